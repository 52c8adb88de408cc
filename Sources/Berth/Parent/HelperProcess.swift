import BerthSystem
import CBerth
import Glibc
import SystemPackage

/// Container set-up in a fresh single-threaded `berth` process, for embedding programs
/// that already run threads (cloning a multi-threaded process is unsafe: the child could
/// inherit a lock held by a thread that does not exist in it). posix_spawn is safe there.
struct HelperProcess {
    let runtime: ContainerRuntime
    let options: CreateOptions

    func binary() throws(BerthError) -> String {
        if let path = options.helperBinary { return path }
        if let env = getenv("BERTH_BINARY") { return String(cString: env) }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where access(dir + "/berth", X_OK) == 0 {
            return dir + "/berth"
        }
        throw BerthError(.system, "create: this process has threads and no berth binary was found for set-up (set CreateOptions.helperBinary or BERTH_BINARY)")
    }

    func create(id: String, bundle: String) throws(BerthError) -> Container {
        var args = [try binary(), "--root", runtime.root, "create", "--bundle", bundle]
        if let p = options.pidFile { args += ["--pid-file", p] }
        if let s = options.consoleSocket { args += ["--console-socket", s] }
        if let s = options.pidfdSocket { args += ["--pidfd-socket", s] }
        if options.noPivot { args.append("--no-pivot") }
        if options.noNewKeyring { args.append("--no-new-keyring") }
        if options.preserveFDs > 0 { args += ["--preserve-fds", String(options.preserveFDs)] }
        if options.systemdCgroup { args.insert("--systemd-cgroup", at: 1) }
        args.append(id)

        // The container init inherits the helper's stdio, which must stay the embedding
        // program's; errors come back through a JSON log file instead.
        var template = Array("/tmp/berth-create-XXXXXX".utf8CString)
        let logFD = mkstemp(&template)
        guard logFD >= 0 else { throw BerthError.system("create", SyscallError("mkstemp", "/tmp", errno: currentErrno())) }
        close(logFD)
        let logPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(logPath) }
        args.insert(contentsOf: ["--log", logPath, "--log-format", "json"], at: 1)
        var pid: pid_t = 0
        let rc = withCStrings(args) { argv in
            posix_spawn(&pid, args[0], nil, nil, UnsafeMutablePointer(mutating: argv), environ)
        }
        guard rc == 0 else {
            throw BerthError.system("create", SyscallError("posix_spawn", args[0], errno: Errno(rawValue: rc)))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && currentErrno() == .interrupted {}
        if ExitStatus(rawWaitStatus: status).code == 0 { return Container(id: id, runtime: runtime) }
        let log = (try? FileIO.readString(logPath)) ?? ""
        var message = "create failed"
        if let line = log.split(separator: "\n").last, let start = line.firstRange(of: "\"msg\":\""),
           let end = line.firstRange(of: "\",\"time\"") {
            message = String(line[start.upperBound..<end.lowerBound]).replacingEscapes()
        }
        let code: BerthError.Code = message.contains("already exists") ? .alreadyExists
            : message.contains("does not exist") ? .notFound : .system
        throw BerthError(code, message)
    }
}

extension String {
    /// Undoes the JSON string escapes berth's log writer produces.
    func replacingEscapes() -> String {
        var out = ""
        var it = makeIterator()
        while let c = it.next() {
            guard c == "\\", let n = it.next() else { out.append(c); continue }
            switch n {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "u":
                var hex = ""
                for _ in 0..<4 { if let h = it.next() { hex.append(h) } }
                if let v = UInt32(hex, radix: 16), let u = Unicode.Scalar(v) { out.unicodeScalars.append(u) }
            default: out.append(n)
            }
        }
        return out
    }
}
