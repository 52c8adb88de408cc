/// Lifecycle hooks (`hooks`).
public struct Hooks: Codable, Sendable, Equatable {
    /// Deprecated: run in the runtime namespace after the container is created, before pivot_root.
    public var prestart: [Hook]?
    /// Run in the runtime namespace during `create`, after the namespaces exist.
    public var createRuntime: [Hook]?
    /// Run in the container namespace during `create`, before pivot_root.
    public var createContainer: [Hook]?
    /// Run in the container namespace during `start`, before the user process execs.
    public var startContainer: [Hook]?
    /// Run in the runtime namespace after the user process started.
    public var poststart: [Hook]?
    /// Run in the runtime namespace after the container is deleted.
    public var poststop: [Hook]?

    /// Creates a hook set.
    public init(
        prestart: [Hook]? = nil, createRuntime: [Hook]? = nil, createContainer: [Hook]? = nil,
        startContainer: [Hook]? = nil, poststart: [Hook]? = nil, poststop: [Hook]? = nil
    ) {
        self.prestart = prestart
        self.createRuntime = createRuntime
        self.createContainer = createContainer
        self.startContainer = startContainer
        self.poststart = poststart
        self.poststop = poststop
    }

    enum CodingKeys: String, SpecCodingKey {
        case prestart, createRuntime, createContainer, startContainer, poststart, poststop
    }
}

/// One hook command (`hooks.<phase>[]`). It receives the container state on stdin.
public struct Hook: Codable, Sendable, Equatable {
    /// Absolute path of the executable.
    public var path: String
    /// Arguments, including `argv[0]`.
    public var args: [String]?
    /// Environment, `KEY=value`.
    public var env: [String]?
    /// Seconds after which the hook is aborted.
    public var timeout: Int?

    /// Creates a hook.
    public init(path: String, args: [String]? = nil, env: [String]? = nil, timeout: Int? = nil) {
        self.path = path
        self.args = args
        self.env = env
        self.timeout = timeout
    }

    enum CodingKeys: String, SpecCodingKey { case path, args, env, timeout }

    /// Decodes a hook; a missing `path` is `""`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.lenient(.path, "")
        args = try c.optional(.args)
        env = try c.optional(.env)
        timeout = try c.optional(.timeout)
    }
}
