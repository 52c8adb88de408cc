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
    /// The annotations of its config.json.
    public var annotations: [String: String]?
    /// The owner runc reports (empty).
    public var owner: String
}
