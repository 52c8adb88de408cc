import BerthSpec

/// The state of one container in the shape `runc state` prints.
public struct ContainerState: Codable, Sendable, Equatable {
    /// The runtime-spec version the state follows.
    public var ociVersion: String
    /// The container's id.
    public var id: String
    /// The init's host pid; 0 once the container has stopped.
    public var pid: Int32
    /// `creating`, `created`, `running`, `paused` or `stopped`.
    public var status: ContainerStatus
    /// The absolute path of the bundle it was created from.
    public var bundle: String
    /// The absolute path of its root filesystem.
    public var rootfs: String
    /// RFC 3339 with nanoseconds, UTC.
    public var created: String
    /// The annotations of its config.json, sorted by key (a duplicate key: its last
    /// value), as `state` prints them. A list: building a dictionary would cost `state` and
    /// `list` a runtime `String: Hashable` conformance look-up (a scan of every conformance
    /// record in the binary) that nothing else on their path needs.
    public var annotationList: [Annotation]?
    /// The owner runc reports (empty).
    public var owner: String

    /// One annotation.
    public struct Annotation: Codable, Sendable, Equatable {
        /// The annotation's name.
        public var key: String
        /// Its value.
        public var value: String

        /// An annotation.
        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The annotations of its config.json.
    public var annotations: [String: String]? {
        get { annotationList.map { Dictionary($0.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }) } }
        set { annotationList = newValue.map { $0.sorted { $0.key < $1.key }.map { Annotation(key: $0.key, value: $0.value) } } }
    }

    /// A state with every field given.
    public init(
        ociVersion: String, id: String, pid: Int32, status: ContainerStatus, bundle: String, rootfs: String,
        created: String, annotationList: [Annotation]?, owner: String
    ) {
        self.ociVersion = ociVersion
        self.id = id
        self.pid = pid
        self.status = status
        self.bundle = bundle
        self.rootfs = rootfs
        self.created = created
        self.annotationList = annotationList
        self.owner = owner
    }

    enum CodingKeys: String, CodingKey { case ociVersion, id, pid, status, bundle, rootfs, created, annotations, owner }

    /// Decodes the state document (`annotations` as an object).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            ociVersion: try c.decode(String.self, forKey: .ociVersion), id: try c.decode(String.self, forKey: .id),
            pid: try c.decode(Int32.self, forKey: .pid), status: try c.decode(ContainerStatus.self, forKey: .status),
            bundle: try c.decode(String.self, forKey: .bundle), rootfs: try c.decode(String.self, forKey: .rootfs),
            created: try c.decode(String.self, forKey: .created), annotationList: nil,
            owner: try c.decode(String.self, forKey: .owner))
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations)
    }

    /// Encodes the state document (`annotations` as an object).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ociVersion, forKey: .ociVersion)
        try c.encode(id, forKey: .id)
        try c.encode(pid, forKey: .pid)
        try c.encode(status, forKey: .status)
        try c.encode(bundle, forKey: .bundle)
        try c.encode(rootfs, forKey: .rootfs)
        try c.encode(created, forKey: .created)
        try c.encodeIfPresent(annotations, forKey: .annotations)
        try c.encode(owner, forKey: .owner)
    }
}
