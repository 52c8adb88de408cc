/// What a runtime sends to `linux.seccomp.listenerPath` along with the seccomp listener fd
/// (runtime-spec "ContainerProcessState").
public struct ContainerProcessState: Codable, Sendable, Equatable {
    /// The runtime specification version of this document.
    public var ociVersion: String
    /// The names of the descriptors sent along, in order: `["seccompFd"]`.
    public var fds: [String]
    /// The pid of the process the descriptors belong to.
    public var pid: Int32
    /// `linux.seccomp.listenerMetadata`, passed through.
    public var metadata: String?
    /// The container's state.
    public var state: State

    /// The name of the seccomp listener descriptor in `fds`.
    public static let seccompFdName = "seccompFd"

    /// Creates the document.
    public init(ociVersion: String = ociSpecVersion, fds: [String], pid: Int32, metadata: String?, state: State) {
        self.ociVersion = ociVersion
        self.fds = fds
        self.pid = pid
        self.metadata = metadata
        self.state = state
    }

    enum CodingKeys: String, SpecCodingKey { case ociVersion, fds, pid, metadata, state }
}
