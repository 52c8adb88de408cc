/// The OCI state document, as printed by `state` and passed to hooks on stdin.
public struct State: Codable, Sendable, Equatable {
    /// The runtime specification version of this document.
    public var ociVersion: String
    /// The container id.
    public var id: String
    /// `creating`, `created`, `running`, `stopped` (or runc's `paused`); see ``ContainerStatus``.
    public var status: String
    /// The container init's pid on the host; omitted when there is none.
    public var pid: Int32?
    /// Absolute path of the bundle.
    public var bundle: String
    /// The annotations of the container's configuration.
    public var annotations: [String: String]?

    /// Creates a state document.
    public init(
        ociVersion: String = ociSpecVersion, id: String, status: String, pid: Int32? = nil,
        bundle: String, annotations: [String: String]? = nil
    ) {
        self.ociVersion = ociVersion
        self.id = id
        self.status = status
        self.pid = pid
        self.bundle = bundle
        self.annotations = annotations
    }

    /// Creates a state document from a known status.
    public init(
        ociVersion: String = ociSpecVersion, id: String, status: ContainerStatus, pid: Int32? = nil,
        bundle: String, annotations: [String: String]? = nil
    ) {
        self.init(ociVersion: ociVersion, id: id, status: status.rawValue, pid: pid, bundle: bundle, annotations: annotations)
    }

    enum CodingKeys: String, SpecCodingKey { case ociVersion, id, status, pid, bundle, annotations }

    /// Decodes a state document; missing required strings are `""`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ociVersion = try c.lenient(.ociVersion, "")
        id = try c.lenient(.id, "")
        status = try c.lenient(.status, "")
        pid = try c.optional(.pid)
        bundle = try c.lenient(.bundle, "")
        annotations = try c.optional(.annotations)
    }

    /// Encodes the state document, annotations sorted and `pid` omitted when `nil`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ociVersion, forKey: .ociVersion)
        try c.encode(id, forKey: .id)
        try c.encode(status, forKey: .status)
        try c.encodeIfPresent(pid, forKey: .pid)
        try c.encode(bundle, forKey: .bundle)
        try c.encodeSorted(annotations, forKey: .annotations)
    }
}

/// The container statuses of the OCI state document, plus runc's `paused`.
public enum ContainerStatus: String, Codable, CaseIterable, Sendable {
    /// `create` is in progress.
    case creating
    /// `create` finished; the user process has not started.
    case created
    /// The user process runs.
    case running
    /// The user process exited.
    case stopped
    /// The container's cgroup is frozen (runc extension).
    case paused
}
