/// The seccomp filter (`linux.seccomp`).
public struct LinuxSeccomp: Codable, Sendable, Equatable {
    /// Action for syscalls no rule matches, e.g. `SCMP_ACT_ERRNO`.
    public var defaultAction: String
    /// errno returned by `defaultAction` `SCMP_ACT_ERRNO`/`SCMP_ACT_TRACE`.
    public var defaultErrnoRet: UInt32?
    /// Additional architectures, e.g. `SCMP_ARCH_X86`.
    public var architectures: [String]?
    /// Filter flags, e.g. `SECCOMP_FILTER_FLAG_LOG`.
    public var flags: [String]?
    /// Unix socket that receives the notify fd when an action is `SCMP_ACT_NOTIFY`.
    public var listenerPath: String?
    /// Opaque data sent to the listener.
    public var listenerMetadata: String?
    /// Rules, matched in order.
    public var syscalls: [LinuxSyscall]?

    /// Creates a seccomp filter.
    public init(
        defaultAction: String, defaultErrnoRet: UInt32? = nil, architectures: [String]? = nil,
        flags: [String]? = nil, listenerPath: String? = nil, listenerMetadata: String? = nil,
        syscalls: [LinuxSyscall]? = nil
    ) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.flags = flags
        self.listenerPath = listenerPath
        self.listenerMetadata = listenerMetadata
        self.syscalls = syscalls
    }

    enum CodingKeys: String, SpecCodingKey {
        case defaultAction, defaultErrnoRet, architectures, flags, listenerPath, listenerMetadata, syscalls
    }

    /// Decodes a filter; a missing `defaultAction` is `""`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        defaultAction = try c.lenient(.defaultAction, "")
        defaultErrnoRet = try c.optional(.defaultErrnoRet)
        architectures = try c.optional(.architectures)
        flags = try c.optional(.flags)
        listenerPath = try c.optional(.listenerPath)
        listenerMetadata = try c.optional(.listenerMetadata)
        syscalls = try c.optional(.syscalls)
    }

    /// The actions the specification defines.
    public static let knownActions: [String] = [
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
        "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
    ]

    /// Syscalls that may not answer SCMP_ACT_NOTIFY: the runtime itself makes them after
    /// loading the filter and before the listener has its fd, so a notification would
    /// never be answered. `write` is runc's hand-off (refused there, and here for the same
    /// configs to fail the same way); `sendmsg` is berth's.
    public static let notifyRefused: Set<String> = ["write", "sendmsg"]

    /// The argument comparison operators the specification defines.
    public static let knownOperators: [String] = [
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
        "SCMP_CMP_MASKED_EQ",
    ]

    /// The filter flags the specification defines.
    public static let knownFlags: [String] = [
        "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    ]
}

/// A seccomp rule (`linux.seccomp.syscalls[]`).
public struct LinuxSyscall: Codable, Sendable, Equatable {
    /// Syscall names the rule applies to.
    public var names: [String]
    /// The action, e.g. `SCMP_ACT_ALLOW`.
    public var action: String
    /// errno returned for `SCMP_ACT_ERRNO`/`SCMP_ACT_TRACE`.
    public var errnoRet: UInt32?
    /// Argument conditions, all of which must hold.
    public var args: [LinuxSeccompArg]?

    /// Creates a rule.
    public init(names: [String], action: String, errnoRet: UInt32? = nil, args: [LinuxSeccompArg]? = nil) {
        self.names = names
        self.action = action
        self.errnoRet = errnoRet
        self.args = args
    }

    enum CodingKeys: String, SpecCodingKey { case names, action, errnoRet, args }

    /// Decodes a rule; missing `names`/`action` are empty.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        names = try c.lenient(.names, [])
        action = try c.lenient(.action, "")
        errnoRet = try c.optional(.errnoRet)
        args = try c.optional(.args)
    }
}

/// A syscall argument condition (`linux.seccomp.syscalls[].args[]`).
public struct LinuxSeccompArg: Codable, Sendable, Equatable {
    /// Argument index, 0...5.
    public var index: UInt
    /// Value compared against.
    public var value: UInt64
    /// Second value (the mask value of `SCMP_CMP_MASKED_EQ`).
    public var valueTwo: UInt64?
    /// Operator, e.g. `SCMP_CMP_EQ`.
    public var op: String

    /// Creates a condition.
    public init(index: UInt, value: UInt64, valueTwo: UInt64? = nil, op: String) {
        self.index = index
        self.value = value
        self.valueTwo = valueTwo
        self.op = op
    }

    enum CodingKeys: String, SpecCodingKey { case index, value, valueTwo, op }

    /// Decodes a condition; missing required fields are 0 / `""`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        index = try c.lenient(.index, 0)
        value = try c.lenient(.value, 0)
        valueTwo = try c.optional(.valueTwo)
        op = try c.lenient(.op, "")
    }
}
