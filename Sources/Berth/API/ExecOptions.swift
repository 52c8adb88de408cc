/// Options for `Container.exec`, mirroring runc's exec flags.
public struct ExecOptions: Sendable {
    /// A unix stream socket that receives the pty master when the process has a terminal.
    public var consoleSocket: String?
    /// Where to write the new process's host pid.
    public var pidFile: String?
    /// The caller will not wait (runc's `--detach`): a terminal then needs a console socket.
    public var detach: Bool
    /// Pass descriptors 3 ..< 3+N to the process.
    public var preserveFDs: Int
    /// Exec even when the container is paused: the new process joins the frozen cgroup,
    /// so it (and this call, which waits for its execve) goes on only once the container
    /// is resumed, as with runc.
    public var ignorePaused: Bool
    /// runc's `--cgroup`: an existing sub-cgroup of the container's cgroup to run the
    /// process in. `["": "sub"]` applies to every hierarchy (the only form on cgroup v2),
    /// `["memory": "sub"]` to the v1 hierarchy of that controller. A path leading out of
    /// the container's cgroup is refused.
    public var subCgroups: [String: String]
    /// A unix stream socket that receives a pidfd of the new process (runc's
    /// `--pidfd-socket`), once it has exec'd.
    public var pidfdSocket: String?
    /// Receives one line per phase of the set-up (namespaces, cgroup, process), for
    /// `--debug`; nil asks for none.
    public var debugHandler: (@Sendable (String) -> Void)?
    /// Receives warnings about the process that do not stop it (syscall names libseccomp
    /// does not know); nil writes them to stderr as `berth: warning: ...`.
    public var warningHandler: (@Sendable (String) -> Void)?
    /// The `berth` executable that runs the set-up when the calling program has more
    /// than one thread (see `CreateOptions.helperBinary`). Defaults to `$BERTH_BINARY`,
    /// then `berth` on `$PATH`.
    public var helperBinary: String?

    /// Options as runc's exec flags default them.
    public init(
        consoleSocket: String? = nil, pidFile: String? = nil, detach: Bool = false,
        preserveFDs: Int = 0, ignorePaused: Bool = false, pidfdSocket: String? = nil,
        subCgroups: [String: String] = [:],
        warningHandler: (@Sendable (String) -> Void)? = nil, debugHandler: (@Sendable (String) -> Void)? = nil,
        helperBinary: String? = nil
    ) {
        self.helperBinary = helperBinary
        self.subCgroups = subCgroups
        self.consoleSocket = consoleSocket
        self.pidFile = pidFile
        self.detach = detach
        self.preserveFDs = preserveFDs
        self.ignorePaused = ignorePaused
        self.pidfdSocket = pidfdSocket
        self.warningHandler = warningHandler
        self.debugHandler = debugHandler
    }
}
