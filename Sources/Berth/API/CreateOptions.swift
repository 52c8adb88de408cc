/// Options for `ContainerRuntime.create` and `run`, mirroring runc's create flags.
public struct CreateOptions: Sendable {
    /// Where to write the init's pid (bare decimal, no newline, written atomically).
    public var pidFile: String?
    /// A unix stream socket that receives the pty master when `process.terminal` is set.
    public var consoleSocket: String?
    /// Use MS_MOVE + chroot instead of pivot_root.
    public var noPivot: Bool
    /// Keep the caller's session keyring instead of giving the container a new one.
    public var noNewKeyring: Bool
    /// Pass descriptors 3 ..< 3+N to the container process.
    public var preserveFDs: Int
    /// Treat cgroupsPath as systemd's `slice:prefix:name`.
    public var systemdCgroup: Bool
    /// The `berth` executable used for set-up when the calling process has threads
    /// (cloning a multi-threaded process is unsafe). Defaults to `$BERTH_BINARY`, then
    /// `berth` on `$PATH`.
    public var helperBinary: String?
    /// The caller's `NOTIFY_SOCKET`: the container gets a socket of its own, and its
    /// `READY=1` is passed on to this one after start.
    public var notifySocket: String?
    /// Socket-activation descriptors (`LISTEN_FDS`): fds 3 ..< 3+N go to the container
    /// before the `preserveFDs` ones, with `LISTEN_FDS=N` and `LISTEN_PID=1` set.
    public var listenFDs: Int
    /// A unix stream socket that receives a pidfd of the container's init (runc's
    /// `--pidfd-socket`), once the init is set up.
    public var pidfdSocket: String?
    /// Receives one line per phase of the set-up (cgroup, namespaces, mounts, process),
    /// for `--debug`; nil asks for none, and nothing is spent on them.
    public var debugHandler: (@Sendable (String) -> Void)?
    /// Receives warnings about the config that do not stop `create` (capabilities the
    /// running kernel does not know, syscalls libseccomp does not know: both skipped, as
    /// runc skips them). nil writes them to stderr as `berth: warning: ...`.
    public var warningHandler: (@Sendable (String) -> Void)?
    /// The init's standard input, output and error; the caller's ends are in
    /// `Container.initProcess`.
    public var io: ProcessIO
    /// A copy-on-write layer over the rootfs, as the annotation `org.berth.rootfs.overlay`
    /// asks for one (this wins over it): `volatile`, or an absolute directory that keeps
    /// the layer. nil leaves it to the bundle.
    public var overlay: String?

    /// Options as runc's create flags default them.
    public init(
        pidFile: String? = nil, consoleSocket: String? = nil, noPivot: Bool = false,
        noNewKeyring: Bool = false, preserveFDs: Int = 0, systemdCgroup: Bool = false,
        helperBinary: String? = nil, notifySocket: String? = nil, listenFDs: Int = 0,
        pidfdSocket: String? = nil, warningHandler: (@Sendable (String) -> Void)? = nil,
        debugHandler: (@Sendable (String) -> Void)? = nil, overlay: String? = nil, io: ProcessIO = .inherit
    ) {
        self.io = io
        self.pidFile = pidFile
        self.consoleSocket = consoleSocket
        self.noPivot = noPivot
        self.noNewKeyring = noNewKeyring
        self.preserveFDs = preserveFDs
        self.systemdCgroup = systemdCgroup
        self.helperBinary = helperBinary
        self.notifySocket = notifySocket
        self.listenFDs = listenFDs
        self.pidfdSocket = pidfdSocket
        self.warningHandler = warningHandler
        self.debugHandler = debugHandler
        self.overlay = overlay
    }
}
