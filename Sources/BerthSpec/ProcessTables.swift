/// The names `process.scheduler`, `linux.memoryPolicy` and `linux.personality` may use,
/// with the Linux ABI values they stand for (the uapi headers `sched.h`, `mempolicy.h`
/// and `personality.h`).
public enum SchedulerTable {
    /// `policy` names → `sched_attr.sched_policy`.
    public static let policies: [String: UInt32] = [
        "SCHED_OTHER": 0, "SCHED_FIFO": 1, "SCHED_RR": 2, "SCHED_BATCH": 3,
        "SCHED_ISO": 4, "SCHED_IDLE": 5, "SCHED_DEADLINE": 6,
    ]

    /// `flags` names → `sched_attr.sched_flags` bits.
    public static let flags: [String: UInt64] = [
        "SCHED_FLAG_RESET_ON_FORK": 0x01, "SCHED_FLAG_RECLAIM": 0x02, "SCHED_FLAG_DL_OVERRUN": 0x04,
        "SCHED_FLAG_KEEP_POLICY": 0x08, "SCHED_FLAG_KEEP_PARAMS": 0x10,
        "SCHED_FLAG_UTIL_CLAMP_MIN": 0x20, "SCHED_FLAG_UTIL_CLAMP_MAX": 0x40,
    ]
}

/// `linux.memoryPolicy` names.
public enum MemoryPolicyTable {
    /// `mode` names → `set_mempolicy(2)` modes.
    public static let modes: [String: Int32] = [
        "MPOL_DEFAULT": 0, "MPOL_PREFERRED": 1, "MPOL_BIND": 2, "MPOL_INTERLEAVE": 3,
        "MPOL_LOCAL": 4, "MPOL_PREFERRED_MANY": 5, "MPOL_WEIGHTED_INTERLEAVE": 6,
    ]

    /// `flags` names → mode flag bits, or-ed into the mode.
    public static let flags: [String: Int32] = [
        "MPOL_F_STATIC_NODES": 1 << 15, "MPOL_F_RELATIVE_NODES": 1 << 14, "MPOL_F_NUMA_BALANCING": 1 << 13,
    ]

    /// Modes that take no nodes (the kernel refuses a node mask with them).
    public static let nodeless: Set<String> = ["MPOL_DEFAULT", "MPOL_LOCAL"]

    /// Modes that need at least one node.
    public static let needNodes: Set<String> = [
        "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE",
    ]

    /// The highest node number a list may name: the kernel's MAX_NUMNODES is at most 1024
    /// (NODES_SHIFT 10); higher numbers cannot be a node of any host.
    public static let maxNode = 1023
}

/// `linux.personality.domain` names → `personality(2)` execution domains.
public enum PersonalityTable {
    public static let domains: [String: UInt] = ["LINUX": 0x0000, "LINUX32": 0x0008]
}

/// `process.ioPriority.class` names → the class in the top bits of an `ioprio_set(2)` value.
public enum IOPriorityTable {
    public static let classes: [String: Int32] = ["IOPRIO_CLASS_RT": 1, "IOPRIO_CLASS_BE": 2, "IOPRIO_CLASS_IDLE": 3]
}

/// CPU numbers a list may name: the kernel's NR_CPUS is at most 8192.
public enum CPUTable {
    public static let maxCPU = 8191
}
