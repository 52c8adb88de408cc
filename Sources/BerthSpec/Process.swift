/// The container process (`process`).
public struct Process: Codable, Sendable, Equatable {
    /// Whether a pseudo-terminal is allocated for the process.
    public var terminal: Bool?
    /// The initial terminal size.
    public var consoleSize: Box?
    /// The user the process runs as. Decoded leniently: missing means uid 0, gid 0.
    public var user: User
    /// The executable and its arguments; at least one entry is required to run.
    public var args: [String]?
    /// Environment variables, `KEY=value`.
    public var env: [String]?
    /// The working directory inside the container. Missing decodes as `/`.
    public var cwd: String
    /// Capability sets.
    public var capabilities: LinuxCapabilities?
    /// Resource limits.
    public var rlimits: [POSIXRlimit]?
    /// Sets `PR_SET_NO_NEW_PRIVS`.
    public var noNewPrivileges: Bool?
    /// AppArmor profile name.
    public var apparmorProfile: String?
    /// `/proc/self/oom_score_adj` value.
    public var oomScoreAdj: Int?
    /// Scheduling attributes (`sched_setattr(2)`).
    public var scheduler: Scheduler?
    /// SELinux process label.
    public var selinuxLabel: String?
    /// I/O priority (`ioprio_set(2)`).
    public var ioPriority: LinuxIOPriority?
    /// CPU affinity for processes started by `exec`.
    public var execCPUAffinity: CPUAffinity?

    /// Creates a process description.
    public init(
        terminal: Bool? = nil,
        consoleSize: Box? = nil,
        user: User = User(),
        args: [String]? = nil,
        env: [String]? = nil,
        cwd: String = "/",
        capabilities: LinuxCapabilities? = nil,
        rlimits: [POSIXRlimit]? = nil,
        noNewPrivileges: Bool? = nil,
        apparmorProfile: String? = nil,
        oomScoreAdj: Int? = nil,
        scheduler: Scheduler? = nil,
        selinuxLabel: String? = nil,
        ioPriority: LinuxIOPriority? = nil,
        execCPUAffinity: CPUAffinity? = nil
    ) {
        self.terminal = terminal
        self.consoleSize = consoleSize
        self.user = user
        self.args = args
        self.env = env
        self.cwd = cwd
        self.capabilities = capabilities
        self.rlimits = rlimits
        self.noNewPrivileges = noNewPrivileges
        self.apparmorProfile = apparmorProfile
        self.oomScoreAdj = oomScoreAdj
        self.scheduler = scheduler
        self.selinuxLabel = selinuxLabel
        self.ioPriority = ioPriority
        self.execCPUAffinity = execCPUAffinity
    }

    enum CodingKeys: String, SpecCodingKey {
        case terminal, consoleSize, user, args, env, cwd, capabilities, rlimits, noNewPrivileges
        case apparmorProfile, oomScoreAdj, scheduler, selinuxLabel, ioPriority, execCPUAffinity
    }

    /// Decodes a process; missing `user` means uid 0/gid 0 and missing `cwd` means `/`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        terminal = try c.optional(.terminal)
        consoleSize = try c.optional(.consoleSize)
        user = try c.lenient(.user, User())
        args = try c.optional(.args)
        env = try c.optional(.env)
        cwd = try c.lenient(.cwd, "/")
        capabilities = try c.optional(.capabilities)
        rlimits = try c.optional(.rlimits)
        noNewPrivileges = try c.optional(.noNewPrivileges)
        apparmorProfile = try c.optional(.apparmorProfile)
        oomScoreAdj = try c.optional(.oomScoreAdj)
        scheduler = try c.optional(.scheduler)
        selinuxLabel = try c.optional(.selinuxLabel)
        ioPriority = try c.optional(.ioPriority)
        execCPUAffinity = try c.optional(.execCPUAffinity)
    }
}

/// A rectangle size, used for `process.consoleSize`.
public struct Box: Codable, Sendable, Equatable {
    /// Rows.
    public var height: UInt
    /// Columns.
    public var width: UInt

    /// Creates a size.
    public init(height: UInt, width: UInt) {
        self.height = height
        self.width = width
    }

    enum CodingKeys: String, SpecCodingKey { case height, width }

    /// Decodes a size; missing dimensions are 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        height = try c.lenient(.height, 0)
        width = try c.lenient(.width, 0)
    }
}

/// The user and groups of the container process (`process.user`).
public struct User: Codable, Sendable, Equatable {
    /// User id in the container.
    public var uid: UInt32
    /// Primary group id in the container.
    public var gid: UInt32
    /// The umask of the process; unchanged when `nil`.
    public var umask: UInt32?
    /// Supplementary group ids.
    public var additionalGids: [UInt32]?

    /// Creates a user; the default is root.
    public init(uid: UInt32 = 0, gid: UInt32 = 0, umask: UInt32? = nil, additionalGids: [UInt32]? = nil) {
        self.uid = uid
        self.gid = gid
        self.umask = umask
        self.additionalGids = additionalGids
    }

    enum CodingKeys: String, SpecCodingKey { case uid, gid, umask, additionalGids }

    /// Decodes a user; missing ids are 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        uid = try c.lenient(.uid, 0)
        gid = try c.lenient(.gid, 0)
        umask = try c.optional(.umask)
        additionalGids = try c.optional(.additionalGids)
    }
}

/// The capability sets of the container process (`process.capabilities`).
/// Names are spelled `CAP_...`.
public struct LinuxCapabilities: Codable, Sendable, Equatable {
    /// The bounding set.
    public var bounding: [String]?
    /// The effective set.
    public var effective: [String]?
    /// The inheritable set.
    public var inheritable: [String]?
    /// The permitted set.
    public var permitted: [String]?
    /// The ambient set.
    public var ambient: [String]?

    /// Creates capability sets.
    public init(
        bounding: [String]? = nil, effective: [String]? = nil, inheritable: [String]? = nil,
        permitted: [String]? = nil, ambient: [String]? = nil
    ) {
        self.bounding = bounding
        self.effective = effective
        self.inheritable = inheritable
        self.permitted = permitted
        self.ambient = ambient
    }

    enum CodingKeys: String, SpecCodingKey { case bounding, effective, inheritable, permitted, ambient }
}

/// One resource limit (`process.rlimits[]`).
public struct POSIXRlimit: Codable, Sendable, Equatable {
    /// The limit name, e.g. `RLIMIT_NOFILE` (see ``RlimitTable``).
    public var type: String
    /// The hard limit.
    public var hard: UInt64
    /// The soft limit.
    public var soft: UInt64

    /// Creates a resource limit.
    public init(type: String, hard: UInt64, soft: UInt64) {
        self.type = type
        self.hard = hard
        self.soft = soft
    }

    enum CodingKeys: String, SpecCodingKey { case type, hard, soft }

    /// Decodes a limit; missing fields are `""` / 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.lenient(.type, "")
        hard = try c.lenient(.hard, 0)
        soft = try c.lenient(.soft, 0)
    }
}

/// Scheduling attributes of the process (`process.scheduler`, `sched_setattr(2)`).
public struct Scheduler: Codable, Sendable, Equatable {
    /// Policy name, e.g. `SCHED_OTHER`, `SCHED_FIFO`, `SCHED_DEADLINE`.
    public var policy: String
    /// Nice value.
    public var nice: Int32?
    /// Static priority.
    public var priority: Int32?
    /// Flags, e.g. `SCHED_FLAG_RESET_ON_FORK`.
    public var flags: [String]?
    /// Deadline scheduler runtime, in nanoseconds.
    public var runtime: UInt64?
    /// Deadline scheduler deadline, in nanoseconds.
    public var deadline: UInt64?
    /// Deadline scheduler period, in nanoseconds.
    public var period: UInt64?

    /// Creates scheduling attributes.
    public init(
        policy: String, nice: Int32? = nil, priority: Int32? = nil, flags: [String]? = nil,
        runtime: UInt64? = nil, deadline: UInt64? = nil, period: UInt64? = nil
    ) {
        self.policy = policy
        self.nice = nice
        self.priority = priority
        self.flags = flags
        self.runtime = runtime
        self.deadline = deadline
        self.period = period
    }

    enum CodingKeys: String, SpecCodingKey { case policy, nice, priority, flags, runtime, deadline, period }

    /// Decodes scheduling attributes; a missing policy is `""`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        policy = try c.lenient(.policy, "")
        nice = try c.optional(.nice)
        priority = try c.optional(.priority)
        flags = try c.optional(.flags)
        runtime = try c.optional(.runtime)
        deadline = try c.optional(.deadline)
        period = try c.optional(.period)
    }
}

/// I/O priority of the process (`process.ioPriority`).
public struct LinuxIOPriority: Codable, Sendable, Equatable {
    /// `IOPRIO_CLASS_RT`, `IOPRIO_CLASS_BE` or `IOPRIO_CLASS_IDLE`.
    public var `class`: String
    /// Priority level within the class (0...7).
    public var priority: Int

    /// Creates an I/O priority.
    public init(class: String, priority: Int) {
        self.class = `class`
        self.priority = priority
    }

    enum CodingKeys: String, SpecCodingKey { case `class`, priority }

    /// Decodes an I/O priority; missing fields are `""` / 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.class = try c.lenient(.class, "")
        priority = try c.lenient(.priority, 0)
    }
}

/// CPU affinity applied to processes started with `exec` (`process.execCPUAffinity`).
/// Values use the cpuset list format, e.g. `0-3,7`.
public struct CPUAffinity: Codable, Sendable, Equatable {
    /// Affinity right after the process joins the container.
    public var initial: String?
    /// Affinity just before `execve`.
    public var final: String?

    /// Creates an affinity.
    public init(initial: String? = nil, final: String? = nil) {
        self.initial = initial
        self.final = final
    }

    enum CodingKeys: String, SpecCodingKey { case initial, final }
}
