/// Linux-specific configuration (`linux`).
public struct Linux: Codable, Sendable, Equatable {
    /// User id mappings of the user namespace.
    public var uidMappings: [LinuxIDMapping]?
    /// Group id mappings of the user namespace.
    public var gidMappings: [LinuxIDMapping]?
    /// Kernel parameters set in the container's namespaces.
    public var sysctl: [String: String]?
    /// cgroup resource limits.
    public var resources: LinuxResources?
    /// The cgroup path: absolute, relative, or systemd-style `slice:prefix:name`.
    public var cgroupsPath: String?
    /// Namespaces to create (no `path`) or join (`path`).
    public var namespaces: [LinuxNamespace]?
    /// Device nodes to create in the container.
    public var devices: [LinuxDevice]?
    /// Host network devices to move into the container's network namespace, by host name.
    public var netDevices: [String: LinuxNetDevice]?
    /// The seccomp filter.
    public var seccomp: LinuxSeccomp?
    /// Propagation of the root mount (`shared`, `rslave`, `private`, ...).
    public var rootfsPropagation: String?
    /// Paths masked (made unreadable) inside the container.
    public var maskedPaths: [String]?
    /// Paths made read-only inside the container.
    public var readonlyPaths: [String]?
    /// SELinux label for the container's mounts.
    public var mountLabel: String?
    /// Intel RDT (resctrl) settings.
    public var intelRdt: LinuxIntelRdt?
    /// `personality(2)` settings.
    public var personality: LinuxPersonality?
    /// Clock offsets of the time namespace, keyed by clock (`monotonic`, `boottime`).
    public var timeOffsets: [String: LinuxTimeOffset]?
    /// NUMA memory policy of the container's processes (`set_mempolicy(2)`).
    public var memoryPolicy: LinuxMemoryPolicy?

    /// Creates a Linux section.
    public init(
        uidMappings: [LinuxIDMapping]? = nil,
        gidMappings: [LinuxIDMapping]? = nil,
        sysctl: [String: String]? = nil,
        resources: LinuxResources? = nil,
        cgroupsPath: String? = nil,
        namespaces: [LinuxNamespace]? = nil,
        devices: [LinuxDevice]? = nil,
        netDevices: [String: LinuxNetDevice]? = nil,
        seccomp: LinuxSeccomp? = nil,
        rootfsPropagation: String? = nil,
        maskedPaths: [String]? = nil,
        readonlyPaths: [String]? = nil,
        mountLabel: String? = nil,
        intelRdt: LinuxIntelRdt? = nil,
        personality: LinuxPersonality? = nil,
        timeOffsets: [String: LinuxTimeOffset]? = nil,
        memoryPolicy: LinuxMemoryPolicy? = nil
    ) {
        self.uidMappings = uidMappings
        self.gidMappings = gidMappings
        self.sysctl = sysctl
        self.resources = resources
        self.cgroupsPath = cgroupsPath
        self.namespaces = namespaces
        self.devices = devices
        self.netDevices = netDevices
        self.seccomp = seccomp
        self.rootfsPropagation = rootfsPropagation
        self.maskedPaths = maskedPaths
        self.readonlyPaths = readonlyPaths
        self.mountLabel = mountLabel
        self.intelRdt = intelRdt
        self.personality = personality
        self.timeOffsets = timeOffsets
        self.memoryPolicy = memoryPolicy
    }

    enum CodingKeys: String, SpecCodingKey {
        case uidMappings, gidMappings, sysctl, resources, cgroupsPath, namespaces, devices, netDevices
        case seccomp, rootfsPropagation, maskedPaths, readonlyPaths, mountLabel, intelRdt, personality
        case timeOffsets, memoryPolicy
    }

    /// Decodes a Linux section.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        uidMappings = try c.optional(.uidMappings)
        gidMappings = try c.optional(.gidMappings)
        sysctl = try c.optional(.sysctl)
        resources = try c.optional(.resources)
        cgroupsPath = try c.optional(.cgroupsPath)
        namespaces = try c.optional(.namespaces)
        devices = try c.optional(.devices)
        netDevices = try c.optional(.netDevices)
        seccomp = try c.optional(.seccomp)
        rootfsPropagation = try c.optional(.rootfsPropagation)
        maskedPaths = try c.optional(.maskedPaths)
        readonlyPaths = try c.optional(.readonlyPaths)
        mountLabel = try c.optional(.mountLabel)
        intelRdt = try c.optional(.intelRdt)
        personality = try c.optional(.personality)
        timeOffsets = try c.optional(.timeOffsets)
        memoryPolicy = try c.optional(.memoryPolicy)
    }

    /// Encodes the section in specification key order, dictionaries sorted.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(uidMappings, forKey: .uidMappings)
        try c.encodeIfPresent(gidMappings, forKey: .gidMappings)
        try c.encodeSorted(sysctl, forKey: .sysctl)
        try c.encodeIfPresent(resources, forKey: .resources)
        try c.encodeIfPresent(cgroupsPath, forKey: .cgroupsPath)
        try c.encodeIfPresent(namespaces, forKey: .namespaces)
        try c.encodeIfPresent(devices, forKey: .devices)
        try c.encodeSorted(netDevices, forKey: .netDevices)
        try c.encodeIfPresent(seccomp, forKey: .seccomp)
        try c.encodeIfPresent(rootfsPropagation, forKey: .rootfsPropagation)
        try c.encodeIfPresent(maskedPaths, forKey: .maskedPaths)
        try c.encodeIfPresent(readonlyPaths, forKey: .readonlyPaths)
        try c.encodeIfPresent(mountLabel, forKey: .mountLabel)
        try c.encodeIfPresent(intelRdt, forKey: .intelRdt)
        try c.encodeIfPresent(personality, forKey: .personality)
        try c.encodeSorted(timeOffsets, forKey: .timeOffsets)
        try c.encodeIfPresent(memoryPolicy, forKey: .memoryPolicy)
    }

    /// The namespace entry of the given kind, if configured (created or joined).
    public func namespace(_ kind: NamespaceKind) -> LinuxNamespace? {
        namespaces?.first { $0.kind == kind }
    }
}

/// The kinds of Linux namespace the specification knows.
public enum NamespaceKind: String, CaseIterable, Sendable {
    /// PID namespace.
    case pid
    /// Network namespace.
    case network
    /// Mount namespace.
    case mount
    /// System V IPC and POSIX message queue namespace.
    case ipc
    /// Hostname and domain name namespace.
    case uts
    /// User and group id namespace.
    case user
    /// cgroup namespace.
    case cgroup
    /// Clock namespace.
    case time
}

/// A namespace to create or join (`linux.namespaces[]`).
public struct LinuxNamespace: Codable, Sendable, Equatable {
    /// The namespace type as written (`pid`, `network`, ...). Validation rejects unknown values.
    public var type: String
    /// A namespace file to join (e.g. `/proc/<pid>/ns/net`); `nil` creates a new namespace.
    public var path: String?

    /// Creates a namespace entry from a raw type.
    public init(type: String, path: String? = nil) {
        self.type = type
        self.path = path
    }

    /// Creates a namespace entry from a known kind.
    public init(_ kind: NamespaceKind, path: String? = nil) {
        self.init(type: kind.rawValue, path: path)
    }

    /// The type as a known kind, or `nil` when `type` is not a known namespace.
    public var kind: NamespaceKind? { NamespaceKind(rawValue: type) }

    /// Whether this entry creates a new namespace (no `path`, or an empty one).
    public var isNew: Bool { path?.isEmpty ?? true }

    enum CodingKeys: String, SpecCodingKey { case type, path }

    /// Decodes a namespace entry; a missing `type` is `""`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.lenient(.type, "")
        path = try c.optional(.path)
    }
}

/// A user or group id mapping (`linux.uidMappings[]`, `mounts[].gidMappings[]`, ...).
public struct LinuxIDMapping: Codable, Sendable, Equatable {
    /// First id inside the container.
    public var containerID: UInt32
    /// First id on the host.
    public var hostID: UInt32
    /// Number of ids mapped.
    public var size: UInt32

    /// Creates a mapping.
    public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
        self.containerID = containerID
        self.hostID = hostID
        self.size = size
    }

    enum CodingKeys: String, SpecCodingKey { case containerID, hostID, size }

    /// Decodes a mapping; missing fields are 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        containerID = try c.lenient(.containerID, 0)
        hostID = try c.lenient(.hostID, 0)
        size = try c.lenient(.size, 0)
    }
}

/// A device node to create in the container (`linux.devices[]`).
public struct LinuxDevice: Codable, Sendable, Equatable {
    /// Absolute path of the node inside the container.
    public var path: String
    /// `c` (character), `b` (block), `u` (unbuffered character) or `p` (FIFO).
    public var type: String
    /// Major number (ignored for `p`).
    public var major: Int64
    /// Minor number (ignored for `p`).
    public var minor: Int64
    /// Permission bits of the node.
    public var fileMode: UInt32?
    /// Owner of the node.
    public var uid: UInt32?
    /// Group of the node.
    public var gid: UInt32?

    /// Creates a device.
    public init(
        path: String, type: String, major: Int64 = 0, minor: Int64 = 0,
        fileMode: UInt32? = nil, uid: UInt32? = nil, gid: UInt32? = nil
    ) {
        self.path = path
        self.type = type
        self.major = major
        self.minor = minor
        self.fileMode = fileMode
        self.uid = uid
        self.gid = gid
    }

    enum CodingKeys: String, SpecCodingKey { case path, type, major, minor, fileMode, uid, gid }

    /// Decodes a device; missing required fields are `""` / 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.lenient(.path, "")
        type = try c.lenient(.type, "")
        major = try c.lenient(.major, 0)
        minor = try c.lenient(.minor, 0)
        fileMode = try c.optional(.fileMode)
        uid = try c.optional(.uid)
        gid = try c.optional(.gid)
    }
}

/// A host network device moved into the container (`linux.netDevices[<host name>]`).
public struct LinuxNetDevice: Codable, Sendable, Equatable {
    /// The name inside the container; defaults to the host name.
    public var name: String?

    /// Creates a network device entry.
    public init(name: String? = nil) { self.name = name }

    enum CodingKeys: String, SpecCodingKey { case name }
}

/// Intel RDT settings (`linux.intelRdt`).
public struct LinuxIntelRdt: Codable, Sendable, Equatable {
    /// The resctrl class of service (group directory) name.
    public var closID: String?
    /// Complete schemata written as is to the resctrl `schemata` file.
    public var schemata: String?
    /// L3 cache schema, `L3:<id>=<cbm>;...`.
    public var l3CacheSchema: String?
    /// Memory bandwidth schema, `MB:<id>=<bw>;...`.
    public var memBwSchema: String?
    /// Enables cache monitoring.
    public var enableCMT: Bool?
    /// Enables memory bandwidth monitoring.
    public var enableMBM: Bool?

    /// Creates Intel RDT settings.
    public init(
        closID: String? = nil, schemata: String? = nil, l3CacheSchema: String? = nil,
        memBwSchema: String? = nil, enableCMT: Bool? = nil, enableMBM: Bool? = nil
    ) {
        self.closID = closID
        self.schemata = schemata
        self.l3CacheSchema = l3CacheSchema
        self.memBwSchema = memBwSchema
        self.enableCMT = enableCMT
        self.enableMBM = enableMBM
    }

    enum CodingKeys: String, SpecCodingKey { case closID, schemata, l3CacheSchema, memBwSchema, enableCMT, enableMBM }
}

/// `personality(2)` settings (`linux.personality`).
public struct LinuxPersonality: Codable, Sendable, Equatable {
    /// `LINUX` or `LINUX32`.
    public var domain: String
    /// Additional flags (none are defined yet).
    public var flags: [String]?

    /// Creates personality settings.
    public init(domain: String, flags: [String]? = nil) {
        self.domain = domain
        self.flags = flags
    }

    enum CodingKeys: String, SpecCodingKey { case domain, flags }

    /// Decodes personality settings; a missing domain is `""`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        domain = try c.lenient(.domain, "")
        flags = try c.optional(.flags)
    }
}

/// A clock offset of the time namespace (`linux.timeOffsets[<clock>]`).
public struct LinuxTimeOffset: Codable, Sendable, Equatable {
    /// Offset in seconds.
    public var secs: Int64?
    /// Additional offset in nanoseconds.
    public var nanosecs: UInt32?

    /// Creates an offset.
    public init(secs: Int64? = nil, nanosecs: UInt32? = nil) {
        self.secs = secs
        self.nanosecs = nanosecs
    }

    enum CodingKeys: String, SpecCodingKey { case secs, nanosecs }
}

/// The NUMA memory policy of the container's processes (`linux.memoryPolicy`), set with
/// `set_mempolicy(2)` and kept across execve, for the container's process and `exec`.
public struct LinuxMemoryPolicy: Codable, Sendable, Equatable {
    /// `MPOL_DEFAULT`, `MPOL_BIND`, `MPOL_INTERLEAVE`, `MPOL_WEIGHTED_INTERLEAVE`,
    /// `MPOL_PREFERRED`, `MPOL_PREFERRED_MANY` or `MPOL_LOCAL`.
    public var mode: String
    /// NUMA nodes in list format, `0-3,7`.
    public var nodes: String
    /// Mode flags: `MPOL_F_STATIC_NODES`, `MPOL_F_RELATIVE_NODES`, `MPOL_F_NUMA_BALANCING`.
    public var flags: [String]?

    /// Creates a memory policy.
    public init(mode: String, nodes: String = "", flags: [String]? = nil) {
        self.mode = mode
        self.nodes = nodes
        self.flags = flags
    }

    /// Nothing set at all (`{}`), which runc treats as no policy.
    public var isEmpty: Bool { mode.isEmpty && nodes.isEmpty && (flags ?? []).isEmpty }

    enum CodingKeys: String, SpecCodingKey { case mode, nodes, flags }

    /// Decodes a memory policy; missing `mode` and `nodes` are `""`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mode = try c.lenient(.mode, "")
        nodes = try c.lenient(.nodes, "")
        flags = try c.optional(.flags)
    }
}
