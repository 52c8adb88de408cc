/// A container's resource usage, in the units of runc's `events --stats` document
/// (nanoseconds, bytes), as read from its cgroup (v1 or v2).
public struct ContainerStats: Sendable {
    public var cpuTotal: UInt64 = 0
    public var cpuPerCPU: [UInt64] = []
    public var cpuUser: UInt64 = 0
    public var cpuKernel: UInt64 = 0
    public var throttlePeriods: UInt64 = 0
    public var throttledPeriods: UInt64 = 0
    public var throttledTime: UInt64 = 0
    public var memoryUsage: UInt64 = 0
    public var memoryMax: UInt64 = 0
    public var memoryLimit: UInt64 = 0
    public var memoryFailcnt: UInt64 = 0
    public var memoryRaw: [(String, UInt64)] = []
    public var swapUsage: UInt64 = 0
    public var pidsCurrent: UInt64 = 0
    public var pidsLimit: UInt64 = 0
    /// (major, minor, op, value) for bytes serviced.
    public var ioServiceBytes: [(UInt64, UInt64, String, UInt64)] = []
    /// OOM kills so far (v1 memory.oom_control oom_kill, v2 memory.events oom_kill).
    public var oomKills: UInt64 = 0

    public init() {}
}
