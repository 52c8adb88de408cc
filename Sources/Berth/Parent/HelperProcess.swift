import BerthSystem
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
        // program's; warnings go to no log (as without a warning handler), and a failure
        // comes back typed, as the sync protocol's `failed` message, in a report file.
        var template = Array("/tmp/berth-create-XXXXXX".utf8CString)
        let reportFD = mkstemp(&template)
        guard reportFD >= 0 else {
            throw BerthError.system("create", SyscallError("mkstemp", "/tmp", errno: currentErrno()))
        }
        close(reportFD)
        let reportPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(reportPath) }
        args.insert(contentsOf: ["--log", "/dev/null", "--log-format", "json"], at: 1)
        var environment: [String] = []
        var entry = environ
        while let p = entry.pointee {
            let variable = String(cString: p)
            if !variable.hasPrefix(Self.reportVariable + "=") { environment.append(variable) }
            entry += 1
        }
        environment.append(Self.reportVariable + "=" + reportPath)
        var pid: pid_t = 0
        let rc = withCStrings(args) { argv in
            withCStrings(environment) { envp in
                posix_spawn(&pid, args[0], nil, nil, UnsafeMutablePointer(mutating: argv),
                            UnsafeMutablePointer(mutating: envp))
            }
        }
        guard rc == 0 else {
            throw BerthError.system("create", SyscallError("posix_spawn", args[0], errno: Errno(rawValue: rc)))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && currentErrno() == .interrupted {}
        let exit = ExitStatus(rawWaitStatus: status)
        if exit.code == 0 { return Container(id: id, runtime: runtime) }
        if let bytes = try? FileIO.read(reportPath), case .failed(let error)? = SyncMessage(packet: bytes) {
            throw error
        }
        throw BerthError(.system, "create failed: \(args[0]) exited with status \(exit.code)")
    }

    /// The environment variable naming the report file of a helper `berth create`.
    static let reportVariable = "BERTH_HELPER_REPORT"

    /// In the helper `berth create`: writes `error` where the embedding library reads it.
    static func report(_ error: BerthError) {
        guard let path = getenv(reportVariable) else { return }
        try? FileIO.write(String(cString: path), SyncMessage.failed(error).encoded)
    }
}
