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
        if options.noPivot { args.append("--no-pivot") }
        if options.noNewKeyring { args.append("--no-new-keyring") }
        if options.preserveFDs > 0 { args += ["--preserve-fds", String(options.preserveFDs)] }
        if options.systemdCgroup { args.insert("--systemd-cgroup", at: 1) }
        args.append(id)

        var errPipe: [Int32] = [-1, -1]
        guard berth_pipe_cloexec(&errPipe) == 0 else {
            throw BerthError.system("create", SyscallError("pipe2", errno: currentErrno()))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        var pid: pid_t = 0
        let rc = withCStrings(args) { argv in
            posix_spawn(&pid, args[0], &actions, nil, UnsafeMutablePointer(mutating: argv), environ)
        }
        close(errPipe[1])
        defer { close(errPipe[0]) }
        guard rc == 0 else {
            throw BerthError.system("create", SyscallError("posix_spawn", args[0], errno: Errno(rawValue: rc)))
        }
        let stderr = (try? FileIO.readAll(errPipe[0])) ?? []
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && currentErrno() == .interrupted {}
        if ExitStatus(rawWaitStatus: status).code == 0 { return Container(id: id, runtime: runtime) }
        var message = String(decoding: stderr, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "create failed"
        if message.hasPrefix("berth: ") { message = String(message.dropFirst(7)) }
        let code: BerthError.Code = message.contains("already exists") ? .alreadyExists
            : message.contains("does not exist") ? .notFound : .system
        throw BerthError(code, message)
    }
}
