/// The runtime features document printed by `features` (runtime-spec `features.md`).
/// Every field is optional; `nil` means unknown.
public struct Features: Codable, Sendable, Equatable {
    /// Oldest supported spec version.
    public var ociVersionMin: String?
    /// Newest supported spec version.
    public var ociVersionMax: String?
    /// Supported hook phases.
    public var hooks: [String]?
    /// Recognised mount options.
    public var mountOptions: [String]?
    /// Linux features.
    public var linux: Linux?
    /// Implementation-specific annotations.
    public var annotations: [String: String]?
    /// Config annotations whose effect may be unsafe.
    public var potentiallyUnsafeConfigAnnotations: [String]?

    /// Creates a features document.
    public init(
        ociVersionMin: String? = nil, ociVersionMax: String? = nil, hooks: [String]? = nil,
        mountOptions: [String]? = nil, linux: Linux? = nil, annotations: [String: String]? = nil,
        potentiallyUnsafeConfigAnnotations: [String]? = nil
    ) {
        self.ociVersionMin = ociVersionMin
        self.ociVersionMax = ociVersionMax
        self.hooks = hooks
        self.mountOptions = mountOptions
        self.linux = linux
        self.annotations = annotations
        self.potentiallyUnsafeConfigAnnotations = potentiallyUnsafeConfigAnnotations
    }

    enum CodingKeys: String, SpecCodingKey {
        case ociVersionMin, ociVersionMax, hooks, mountOptions, linux, annotations
        case potentiallyUnsafeConfigAnnotations
    }

    /// Decodes a features document.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ociVersionMin = try c.optional(.ociVersionMin)
        ociVersionMax = try c.optional(.ociVersionMax)
        hooks = try c.optional(.hooks)
        mountOptions = try c.optional(.mountOptions)
        linux = try c.optional(.linux)
        annotations = try c.optional(.annotations)
        potentiallyUnsafeConfigAnnotations = try c.optional(.potentiallyUnsafeConfigAnnotations)
    }

    /// Encodes the features document, annotations sorted.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(ociVersionMin, forKey: .ociVersionMin)
        try c.encodeIfPresent(ociVersionMax, forKey: .ociVersionMax)
        try c.encodeIfPresent(hooks, forKey: .hooks)
        try c.encodeIfPresent(mountOptions, forKey: .mountOptions)
        try c.encodeIfPresent(linux, forKey: .linux)
        try c.encodeSorted(annotations, forKey: .annotations)
        try c.encodeIfPresent(potentiallyUnsafeConfigAnnotations, forKey: .potentiallyUnsafeConfigAnnotations)
    }

    /// Linux features (`linux`).
    public struct Linux: Codable, Sendable, Equatable {
        /// Supported namespace types.
        public var namespaces: [String]?
        /// Known capability names.
        public var capabilities: [String]?
        /// cgroup support.
        public var cgroup: Cgroup?
        /// seccomp support.
        public var seccomp: Seccomp?
        /// AppArmor support.
        public var apparmor: Apparmor?
        /// SELinux support.
        public var selinux: Selinux?
        /// Intel RDT support.
        public var intelRdt: IntelRdt?
        /// Mount extensions.
        public var mountExtensions: MountExtensions?
        /// `linux.netDevices` support.
        public var netDevices: NetDevices?

        /// Creates Linux features.
        public init(
            namespaces: [String]? = nil, capabilities: [String]? = nil, cgroup: Cgroup? = nil,
            seccomp: Seccomp? = nil, apparmor: Apparmor? = nil, selinux: Selinux? = nil,
            intelRdt: IntelRdt? = nil, mountExtensions: MountExtensions? = nil, netDevices: NetDevices? = nil
        ) {
            self.namespaces = namespaces
            self.capabilities = capabilities
            self.cgroup = cgroup
            self.seccomp = seccomp
            self.apparmor = apparmor
            self.selinux = selinux
            self.intelRdt = intelRdt
            self.mountExtensions = mountExtensions
            self.netDevices = netDevices
        }

        enum CodingKeys: String, SpecCodingKey {
            case namespaces, capabilities, cgroup, seccomp, apparmor, selinux, intelRdt, mountExtensions, netDevices
        }
    }

    /// cgroup support (`linux.cgroup`).
    public struct Cgroup: Codable, Sendable, Equatable {
        /// cgroup v1 support.
        public var v1: Bool?
        /// cgroup v2 support.
        public var v2: Bool?
        /// systemd cgroup driver support.
        public var systemd: Bool?
        /// systemd user-instance cgroup driver support.
        public var systemdUser: Bool?
        /// RDMA controller support.
        public var rdma: Bool?

        /// Creates cgroup features.
        public init(v1: Bool? = nil, v2: Bool? = nil, systemd: Bool? = nil, systemdUser: Bool? = nil, rdma: Bool? = nil) {
            self.v1 = v1
            self.v2 = v2
            self.systemd = systemd
            self.systemdUser = systemdUser
            self.rdma = rdma
        }

        enum CodingKeys: String, SpecCodingKey { case v1, v2, systemd, systemdUser, rdma }
    }

    /// seccomp support (`linux.seccomp`).
    public struct Seccomp: Codable, Sendable, Equatable {
        /// Whether seccomp is supported.
        public var enabled: Bool?
        /// Supported actions.
        public var actions: [String]?
        /// Supported operators.
        public var operators: [String]?
        /// Supported architectures.
        public var archs: [String]?
        /// Flags the runtime recognises.
        public var knownFlags: [String]?
        /// Flags the runtime and kernel support.
        public var supportedFlags: [String]?

        /// Creates seccomp features.
        public init(
            enabled: Bool? = nil, actions: [String]? = nil, operators: [String]? = nil, archs: [String]? = nil,
            knownFlags: [String]? = nil, supportedFlags: [String]? = nil
        ) {
            self.enabled = enabled
            self.actions = actions
            self.operators = operators
            self.archs = archs
            self.knownFlags = knownFlags
            self.supportedFlags = supportedFlags
        }

        enum CodingKeys: String, SpecCodingKey { case enabled, actions, operators, archs, knownFlags, supportedFlags }
    }

    /// AppArmor support (`linux.apparmor`).
    public struct Apparmor: Codable, Sendable, Equatable {
        /// Whether AppArmor is supported.
        public var enabled: Bool?
        /// Creates AppArmor features.
        public init(enabled: Bool? = nil) { self.enabled = enabled }
        enum CodingKeys: String, SpecCodingKey { case enabled }
    }

    /// SELinux support (`linux.selinux`).
    public struct Selinux: Codable, Sendable, Equatable {
        /// Whether SELinux is supported.
        public var enabled: Bool?
        /// Creates SELinux features.
        public init(enabled: Bool? = nil) { self.enabled = enabled }
        enum CodingKeys: String, SpecCodingKey { case enabled }
    }

    /// Intel RDT support (`linux.intelRdt`).
    public struct IntelRdt: Codable, Sendable, Equatable {
        /// Whether Intel RDT is supported.
        public var enabled: Bool?
        /// Creates Intel RDT features.
        public init(enabled: Bool? = nil) { self.enabled = enabled }
        enum CodingKeys: String, SpecCodingKey { case enabled }
    }

    /// Mount extensions (`linux.mountExtensions`).
    public struct MountExtensions: Codable, Sendable, Equatable {
        /// id-mapped mount support.
        public var idmap: IDMap?
        /// Creates mount extension features.
        public init(idmap: IDMap? = nil) { self.idmap = idmap }
        enum CodingKeys: String, SpecCodingKey { case idmap }
    }

    /// id-mapped mount support (`linux.mountExtensions.idmap`).
    public struct IDMap: Codable, Sendable, Equatable {
        /// Whether id-mapped mounts are supported.
        public var enabled: Bool?
        /// Creates id-mapped mount features.
        public init(enabled: Bool? = nil) { self.enabled = enabled }
        enum CodingKeys: String, SpecCodingKey { case enabled }
    }

    /// Network device support (`linux.netDevices`).
    public struct NetDevices: Codable, Sendable, Equatable {
        /// Whether `linux.netDevices` is supported.
        public var enabled: Bool?
        /// Creates network device features.
        public init(enabled: Bool? = nil) { self.enabled = enabled }
        enum CodingKeys: String, SpecCodingKey { case enabled }
    }
}
