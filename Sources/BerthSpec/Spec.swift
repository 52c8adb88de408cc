/// The container configuration (`config.json`) of an OCI bundle, as defined by the
/// OCI runtime specification 1.2.
///
/// Property names are the JSON keys. Fields the specification marks OPTIONAL are Swift
/// optionals and are omitted from the encoded JSON when `nil`. Fields it marks REQUIRED
/// are decoded like Go's `encoding/json` does: missing means the zero value, and
/// ``validate()`` reports what is wrong. Unknown keys are ignored; Windows, Solaris, VM
/// and z/OS sections are not modelled.
public struct Spec: Codable, Sendable, Equatable {
    /// The version of the runtime specification the bundle complies with.
    public var ociVersion: String
    /// The container process. Optional: `create` can be given a process later.
    public var process: Process?
    /// The container's root filesystem.
    public var root: Root?
    /// The container's hostname (requires a UTS namespace).
    public var hostname: String?
    /// The container's NIS domain name (requires a UTS namespace).
    public var domainname: String?
    /// Additional mounts, performed in order on top of `root`.
    public var mounts: [Mount]?
    /// Lifecycle hooks.
    public var hooks: Hooks?
    /// Arbitrary metadata.
    public var annotations: [String: String]?
    /// Linux-specific configuration.
    public var linux: Linux?

    /// Creates a configuration.
    public init(
        ociVersion: String = ociSpecVersion,
        process: Process? = nil,
        root: Root? = nil,
        hostname: String? = nil,
        domainname: String? = nil,
        mounts: [Mount]? = nil,
        hooks: Hooks? = nil,
        annotations: [String: String]? = nil,
        linux: Linux? = nil
    ) {
        self.ociVersion = ociVersion
        self.process = process
        self.root = root
        self.hostname = hostname
        self.domainname = domainname
        self.mounts = mounts
        self.hooks = hooks
        self.annotations = annotations
        self.linux = linux
    }

    enum CodingKeys: String, SpecCodingKey {
        case ociVersion, process, root, hostname, domainname, mounts, hooks, annotations, linux
    }

    /// Decodes a configuration; a missing `ociVersion` decodes as `""`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ociVersion = try c.lenient(.ociVersion, "")
        process = try c.optional(.process)
        root = try c.optional(.root)
        hostname = try c.optional(.hostname)
        domainname = try c.optional(.domainname)
        mounts = try c.optional(.mounts)
        hooks = try c.optional(.hooks)
        annotations = try c.optional(.annotations)
        linux = try c.optional(.linux)
    }

    /// Encodes the configuration in specification key order, annotations sorted.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ociVersion, forKey: .ociVersion)
        try c.encodeIfPresent(process, forKey: .process)
        try c.encodeIfPresent(root, forKey: .root)
        try c.encodeIfPresent(hostname, forKey: .hostname)
        try c.encodeIfPresent(domainname, forKey: .domainname)
        try c.encodeIfPresent(mounts, forKey: .mounts)
        try c.encodeIfPresent(hooks, forKey: .hooks)
        try c.encodeSorted(annotations, forKey: .annotations)
        try c.encodeIfPresent(linux, forKey: .linux)
    }
}

/// The container's root filesystem (`root`).
public struct Root: Codable, Sendable, Equatable {
    /// Path to the root filesystem, absolute or relative to the bundle.
    public var path: String
    /// Whether the root filesystem is mounted read-only.
    public var readonly: Bool?

    /// Creates a root entry.
    public init(path: String, readonly: Bool? = nil) {
        self.path = path
        self.readonly = readonly
    }

    enum CodingKeys: String, SpecCodingKey { case path, readonly }

    /// Decodes a root entry; a missing `path` decodes as `""`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.lenient(.path, "")
        readonly = try c.optional(.readonly)
    }
}
