/// How CRIU treats the container's cgroups (runc's `--manage-cgroups-mode`). nil in the
/// options means CRIU's default (`soft`).
public enum CheckpointCgroupsMode: String, Sendable, CaseIterable {
    /// Restore cgroup properties where the cgroup is new; keep existing ones.
    case soft
    /// Restore every property of every cgroup.
    case full
    /// Restore properties and fail if a cgroup already exists.
    case strict
    /// Neither dump nor restore cgroups: the restored container goes wherever berth
    /// puts CRIU, i.e. the cgroup its (possibly changed) config names.
    case ignore

    /// `criu_cg_mode` in rpc.proto.
    var criuValue: Int32 {
        switch self {
        case .ignore: 0
        case .soft: 3
        case .full: 4
        case .strict: 5
        }
    }

    /// `criu_cg_mode.DEFAULT`.
    static let criuDefault: Int32 = 6
}

/// Where a lazy migration's memory pages are served (runc's `--page-server`).
public struct PageServer: Sendable, Equatable {
    public var address: String
    public var port: Int32

    public init(address: String, port: Int32) {
        self.address = address
        self.port = port
    }
}

/// The options of `Container.checkpoint`, as runc's `checkpoint` flags.
public struct CheckpointOptions: Sendable {
    /// The directory CRIU writes the images to (created if missing; runc's default is
    /// `./checkpoint`).
    public var imagePath: String
    /// Where CRIU writes its log (`dump.log`) and work files; default: the image path.
    public var workPath: String?
    /// A previous pre-dump's image directory, relative to `imagePath`.
    public var parentPath: String?
    /// Keep the container running after the dump (otherwise it is removed).
    public var leaveRunning = false
    public var tcpEstablished = false
    public var externalUnixSockets = false
    public var shellJob = false
    /// Serve memory pages lazily (userfaultfd) from a page server.
    public var lazyPages = false
    /// With `lazyPages`: a descriptor (open for writing) that gets `\0` once the pages
    /// can be fetched; -1 for none.
    public var statusFD: Int32 = -1
    public var pageServer: PageServer?
    public var fileLocks = false
    /// Dump only memory and leave the container running, as the base of a later dump
    /// with `parentPath`.
    public var preDump = false
    public var manageCgroupsMode: CheckpointCgroupsMode?
    /// Namespaces to create empty on restore instead of restoring (runc accepts
    /// `network`, which it always adds anyway).
    public var emptyNamespaces: [String] = []
    public var autoDedup = false
    /// The CRIU executable (searched in `$PATH` without a slash).
    public var criuPath = "criu"
    /// Receives `--debug` lines; nil for none.
    public var debugHandler: (@Sendable (String) -> Void)?

    public init(imagePath: String) {
        self.imagePath = imagePath
    }
}

/// The options of `ContainerRuntime.restore`, as runc's `restore` flags.
public struct RestoreOptions: Sendable {
    /// The directory holding the images of a checkpoint.
    public var imagePath: String
    /// Where CRIU writes its log (`restore.log`); default: the image path.
    public var workPath: String?
    public var tcpEstablished = false
    public var externalUnixSockets = false
    public var shellJob = false
    public var fileLocks = false
    public var manageCgroupsMode: CheckpointCgroupsMode?
    /// Write the restored init's pid here.
    public var pidFile: String?
    /// A unix socket that receives the restored terminal's pty master.
    public var consoleSocket: String?
    /// The caller will not relay the terminal itself: a container with a terminal then
    /// needs `consoleSocket` (runc's `--detach`).
    public var detach = false
    /// Accepted as runc accepts it: CRIU rebuilds the mount tree itself, so there is no
    /// pivot_root to skip.
    public var noPivot = false
    public var emptyNamespaces: [String] = []
    public var autoDedup = false
    public var lazyPages = false
    /// An LSM profile (`TYPE:NAME`) for the restored processes; CRIU 3.16 or later.
    public var lsmProfile: String?
    /// An LSM mount context replacing the dumped one; CRIU 3.16 or later.
    public var lsmMountContext: String?
    public var systemdCgroup = false
    /// The CRIU executable (searched in `$PATH` without a slash).
    public var criuPath = "criu"
    /// Receives `--debug` lines; nil for none.
    public var debugHandler: (@Sendable (String) -> Void)?
    /// Warnings (nil writes them to stderr).
    public var warningHandler: (@Sendable (String) -> Void)?

    public init(imagePath: String) {
        self.imagePath = imagePath
    }
}

extension CheckpointOptions {
    /// runc's check of `parentPath`: relative, and a directory under `imagePath`.
    public func checkParentPath() throws(BerthError) {
        var o = self
        o.emptyNamespaces = []
        o.lazyPages = false
        try Checkpointer.validate(o)
    }
}

extension CheckpointCgroupsMode {
    /// Parses runc's `--manage-cgroups-mode` value: empty is CRIU's default (nil).
    public static func parse(_ text: String) throws(BerthError) -> CheckpointCgroupsMode? {
        if text.isEmpty { return nil }
        guard let mode = CheckpointCgroupsMode(rawValue: text) else {
            throw BerthError(.invalidSpec, "Invalid manage-cgroups-mode value")
        }
        return mode
    }
}

/// runc's check of `--empty-ns`: only `network` can be left empty.
public func checkEmptyNamespaces(_ names: [String]) throws(BerthError) {
    _ = try Checkpointer.emptyNamespaceMaskChecked(names)
}

extension PageServer {
    /// Parses `ADDRESS:PORT` (`[v6]:PORT` for an IPv6 address) with runc's errors.
    public static func parse(_ text: String) throws(BerthError) -> PageServer {
        let usage = BerthError(.invalidSpec, "Use --page-server ADDRESS:PORT to specify page server")
        var host = ""
        var port = ""
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw usage }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw usage }
            port = String(rest.dropFirst())
        } else {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw usage }
            host = String(parts[0])
            port = String(parts[1])
        }
        guard !host.isEmpty, !port.isEmpty else { throw usage }
        guard let number = Int32(port) else { throw BerthError(.invalidSpec, "Invalid port number") }
        return PageServer(address: host, port: number)
    }
}
