import BerthSpec
import BerthSystem
import Glibc
import SystemPackage

/// Container set-up in a fresh single-threaded `berth` process, for embedding programs
/// that already run threads (cloning a multi-threaded process is unsafe: the child could
/// inherit a lock held by a thread that does not exist in it). posix_spawn is safe there.
///
/// The helper runs `create` or `exec --detach` and exits. The process it started gets
/// its standard streams from the helper's (the `ProcessIO` descriptors, put there by
/// posix_spawn), sends a pty master to a console socket this process listens on, and a
/// pidfd of an exec'd process to a pidfd socket; a failure comes back typed, as the sync
/// protocol's `failed` message, in a report file.
struct HelperProcess {
    let runtime: ContainerRuntime
    let helperBinary: String?

    init(runtime: ContainerRuntime, helperBinary: String?) {
        self.runtime = runtime
        self.helperBinary = helperBinary
    }

    init(runtime: ContainerRuntime, options: CreateOptions) {
        self.init(runtime: runtime, helperBinary: options.helperBinary)
    }

    func binary() throws(BerthError) -> String {
        if let path = helperBinary { return path }
        if let env = getenv("BERTH_BINARY") { return String(cString: env) }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where access(dir + "/berth", X_OK) == 0 {
            return dir + "/berth"
        }
        throw BerthError(.system, "this process has threads and no berth binary was found for set-up (set helperBinary or BERTH_BINARY)")
    }

    func create(id: String, bundle: String, options: CreateOptions) throws(BerthError) -> Container {
        try beginCreate(id: id, bundle: bundle, options: options).finish()
    }

    func exec(_ process: Process, io: ProcessIO, in container: Container, options: ExecOptions)
        throws(BerthError) -> ContainerProcess
    {
        try beginExec(process, io: io, in: container, options: options).finish()
    }

    /// Starts `berth create` and returns without waiting for it.
    func beginCreate(id: String, bundle: String, options: CreateOptions) throws(BerthError) -> PendingSetUp<Container> {
        var args = ["create", "--bundle", Paths.absolute(bundle)]
        if let p = options.pidFile { args += ["--pid-file", p] }
        if let s = options.consoleSocket { args += ["--console-socket", s] }
        if let s = options.pidfdSocket { args += ["--pidfd-socket", s] }
        if options.noPivot { args.append("--no-pivot") }
        if options.noNewKeyring { args.append("--no-new-keyring") }
        if options.preserveFDs > 0 { args += ["--preserve-fds", String(options.preserveFDs)] }
        if let overlay = options.overlay { args += ["--overlay", overlay] }
        let workspace = try Workspace()
        var resources = Resources(workspace: workspace)
        var console: Int32 = -1
        do throws(BerthError) {
            if options.io == .terminal {
                if options.consoleSocket != nil {
                    throw BerthError(.invalidSpec, "a console socket and ProcessIO.terminal both ask for the terminal's master")
                }
                // As an in-process create words it (the helper's CLI sees only a console socket).
                if try Spec.load(bundle: bundle).process?.terminal != true {
                    throw BerthError(.invalidSpec, "process.terminal: must be true for a terminal to be handed to the caller (ProcessIO.terminal)")
                }
                console = try workspace.listen("console.sock")
                resources.listeners.append(console)
                args += ["--console-socket", workspace.path + "/console.sock"]
            }
            args.append(id)
            resources.streams = try StandardStreams(options.io)
        } catch {
            resources.release(failed: true)
            throw error
        }
        let streams = resources.streams
        let runtime = self.runtime
        return try spawn(args, global: options.systemdCgroup ? ["--systemd-cgroup"] : [], resources: resources) {
            () throws(BerthError) -> Container in
            var container = Container(id: id, runtime: runtime)
            let terminal = console >= 0 ? Self.receive(over: console).map(PseudoTerminal.init) : nil
            // The init waits for start: its pidfd, checked against its start time, is safe.
            let record = try runtime.store.load(id)
            guard let pidfd = Pidfd.open(pid: record.pid, startTime: record.startTime) else {
                terminal?.close()
                throw BerthError(.system, "create: the container init exited during set-up")
            }
            container.initProcess = ContainerProcess(
                container: container, pid: record.pid, pidfd: pidfd.release(),
                streams: streams, terminal: terminal)
            return container
        }
    }

    /// Starts `berth exec --detach` and returns without waiting for it.
    func beginExec(_ process: Process, io: ProcessIO, in container: Container, options: ExecOptions)
        throws(BerthError) -> PendingSetUp<ContainerProcess>
    {
        let workspace = try Workspace()
        var resources = Resources(workspace: workspace)
        let pidFile = options.pidFile.map(Paths.absolute) ?? workspace.path + "/pid"
        var args = [
            "exec", "--detach", "--process", workspace.path + "/process.json", "--pid-file", pidFile,
            "--pidfd-socket", workspace.path + "/pidfd.sock",
        ]
        var console: Int32 = -1
        let pidfdListener: Int32
        do throws(BerthError) {
            let document: [UInt8]
            do throws(SpecError) { document = try SpecEncoding.encode(process, pretty: false) } catch {
                throw BerthError.spec(error)
            }
            do throws(SyscallError) { try FileIO.writeAtomically(workspace.path + "/process.json", document) } catch {
                throw BerthError.system("exec", error)
            }
            pidfdListener = try workspace.listen("pidfd.sock")
            resources.listeners.append(pidfdListener)
            if io == .terminal {
                if options.consoleSocket != nil {
                    throw BerthError(.invalidSpec, "a console socket and ProcessIO.terminal both ask for the terminal's master")
                }
                console = try workspace.listen("console.sock")
                resources.listeners.append(console)
                args += ["--console-socket", workspace.path + "/console.sock"]
            } else if let s = options.consoleSocket {
                args += ["--console-socket", s]
            }
            if options.preserveFDs > 0 { args += ["--preserve-fds", String(options.preserveFDs)] }
            if options.ignorePaused { args.append("--ignore-paused") }
            for (controllers, path) in options.subCgroups.sorted(by: { $0.key < $1.key }) {
                args += ["--cgroup", controllers.isEmpty ? path : controllers + ":" + path]
            }
            args.append(container.id)
            resources.streams = try StandardStreams(io)
        } catch {
            resources.release(failed: true)
            throw error
        }
        let streams = resources.streams
        return try spawn(args, resources: resources) { () throws(BerthError) -> ContainerProcess in
            let terminal = console >= 0 ? Self.receive(over: console).map(PseudoTerminal.init) : nil
            guard let pidfd = Self.receive(over: pidfdListener),
                let text = try? FileIO.readString(pidFile), let pid = Int32(text)
            else {
                terminal?.close()
                throw BerthError(.system, "exec: the helper berth reported no process")
            }
            _ = fcntl(pidfd, F_SETFD, FD_CLOEXEC)
            return ContainerProcess(container: container, pid: pid, pidfd: pidfd, streams: streams, terminal: terminal)
        }
    }

    /// Starts `berth delete [--force] ID` and returns without waiting for it.
    func beginDelete(id: String, force: Bool) throws(BerthError) -> PendingSetUp<Void> {
        let resources = Resources(workspace: try Workspace())
        return try spawn(["delete"] + (force ? ["--force"] : []) + [id], resources: resources) { () throws(BerthError) in }
    }

    /// What one helper call holds until it is over: its directory, the sockets it
    /// listens on, and the process's standard streams.
    struct Resources {
        let workspace: Workspace
        var listeners: [Int32] = []
        var streams: StandardStreams?

        /// After the helper exited: the sockets and the directory go; the streams stay
        /// with the process unless the call failed.
        func release(failed: Bool) {
            for fd in listeners { close(fd) }
            if failed { streams?.closeAll() } else { streams?.closeChildEnds() }
            workspace.remove()
        }
    }

    /// Starts `berth [global] ARGS` with the streams' child ends as its 0, 1 and 2 (or
    /// this process's), returning at once; `complete` builds the result once it exited 0.
    private func spawn<Value>(
        _ arguments: [String], global: [String] = [], resources: Resources,
        complete: @escaping () throws(BerthError) -> Value
    ) throws(BerthError)
        -> PendingSetUp<Value>
    {
        let reportPath = resources.workspace.path + "/report"
        let pid: pid_t
        do throws(BerthError) {
            // The helper writes into this file, which must exist: it opens it without O_CREAT.
            do throws(SyscallError) { try FileIO.writeAtomically(reportPath, [], mode: 0o600) } catch {
                throw BerthError.system("helper", error)
            }
            // Warnings go to no log (as without a warning handler).
            let args =
                [try binary(), "--root", runtime.root, "--log", "/dev/null", "--log-format", "json"]
                + global + arguments
            var environment: [String] = []
            var entry = environ
            while let p = entry.pointee {
                let variable = String(cString: p)
                if !variable.hasPrefix(Self.reportVariable + "=") { environment.append(variable) }
                entry += 1
            }
            environment.append(Self.reportVariable + "=" + reportPath)
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            for (target, fd) in (resources.streams?.childEnds ?? []).enumerated() {
                posix_spawn_file_actions_adddup2(&actions, fd, Int32(target))
            }
            var spawned: pid_t = 0
            let rc = withCStrings(args) { argv in
                withCStrings(environment) { envp in
                    posix_spawn(
                        &spawned, args[0], &actions, nil, UnsafeMutablePointer(mutating: argv),
                        UnsafeMutablePointer(mutating: envp))
                }
            }
            guard rc == 0 else {
                throw BerthError.system(arguments[0], SyscallError("posix_spawn", args[0], errno: Errno(rawValue: rc)))
            }
            pid = spawned
        } catch {
            resources.release(failed: true)
            throw error
        }
        let pidfd: Int32
        do throws(SyscallError) { pidfd = try Pidfd.openChild(pid) } catch {
            // Without a pidfd the helper can still be waited for; only the async facade needs one.
            pidfd = -1
        }
        let command = arguments[0]
        return PendingSetUp(pid: pid, pidfd: pidfd) { (exit: ExitStatus) throws(BerthError) -> Value in
            var failed = true
            defer { resources.release(failed: failed) }
            guard exit.code == 0 else {
                if let bytes = try? FileIO.read(reportPath), case .failed(let error)? = SyncMessage(packet: bytes) {
                    throw error
                }
                throw BerthError(.system, "\(command) failed: the helper berth exited with status \(exit.code)")
            }
            let value = try complete()
            failed = false
            return value
        }
    }

    /// The descriptor the helper (or what it started) sent over a socket this process
    /// listens on; nil when none came.
    static func receive(over listener: Int32) -> Int32? {
        let connection = UnixSocket.acceptQueued(listener)
        guard connection >= 0 else { return nil }
        defer { close(connection) }
        let fd = UnixSocket.receiveFD(over: connection)
        return fd >= 0 ? fd : nil
    }

    /// The environment variable naming the report file of a helper `berth`.
    static let reportVariable = "BERTH_HELPER_REPORT"

    /// This `berth` runs as the library's helper.
    static var isHelper: Bool { getenv(reportVariable) != nil }

    /// In a helper `berth`: writes `error` where the embedding library reads it.
    static func report(_ error: BerthError) {
        guard let path = getenv(reportVariable) else { return }
        try? FileIO.write(String(cString: path), SyncMessage.failed(error).encoded)
    }

    /// A private temporary directory for one helper call: the report file, the sockets,
    /// the process document.
    struct Workspace {
        let path: String

        init() throws(BerthError) {
            var template = Array("/tmp/berth-helper-XXXXXX".utf8CString)
            guard mkdtemp(&template) != nil else {
                throw BerthError.system("helper", SyscallError("mkdtemp", "/tmp", errno: currentErrno()))
            }
            path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }

        func listen(_ name: String) throws(BerthError) -> Int32 {
            do throws(SyscallError) { return try UnixSocket.listen(path + "/" + name) } catch {
                throw BerthError.system("helper", error)
            }
        }

        func remove() {
            try? FileIO.removeTree(path)
        }
    }
}
