import BerthSpec

/// The state of one container in the shape `runc state` prints.
public struct ContainerState: Codable, Sendable, Equatable {
    public var ociVersion: String
    public var id: String
    /// The init's host pid; 0 once the container has stopped.
    public var pid: Int32
    public var status: ContainerStatus
    public var bundle: String
    public var rootfs: String
    /// RFC 3339 with nanoseconds, UTC.
    public var created: String
    public var annotations: [String: String]?
    public var owner: String
}
