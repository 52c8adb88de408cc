/// cgroup resource limits (`linux.resources`).
public struct LinuxResources: Codable, Sendable, Equatable {
    /// Device access rules, applied in order.
    public var devices: [LinuxDeviceCgroup]?
    /// Memory limits.
    public var memory: LinuxMemory?
    /// CPU limits.
    public var cpu: LinuxCPU?
    /// Process count limit.
    public var pids: LinuxPids?
    /// Block I/O limits.
    public var blockIO: LinuxBlockIO?
    /// Huge page limits.
    public var hugepageLimits: [LinuxHugepageLimit]?
    /// Network class id and priorities.
    public var network: LinuxNetwork?
    /// RDMA limits keyed by device name.
    public var rdma: [String: LinuxRdma]?
    /// Raw cgroup v2 files and values, e.g. `"memory.high": "1G"`.
    public var unified: [String: String]?

    /// Creates resource limits.
    public init(
        devices: [LinuxDeviceCgroup]? = nil,
        memory: LinuxMemory? = nil,
        cpu: LinuxCPU? = nil,
        pids: LinuxPids? = nil,
        blockIO: LinuxBlockIO? = nil,
        hugepageLimits: [LinuxHugepageLimit]? = nil,
        network: LinuxNetwork? = nil,
        rdma: [String: LinuxRdma]? = nil,
        unified: [String: String]? = nil
    ) {
        self.devices = devices
        self.memory = memory
        self.cpu = cpu
        self.pids = pids
        self.blockIO = blockIO
        self.hugepageLimits = hugepageLimits
        self.network = network
        self.rdma = rdma
        self.unified = unified
    }

    enum CodingKeys: String, SpecCodingKey {
        case devices, memory, cpu, pids, blockIO, hugepageLimits, network, rdma, unified
    }

    /// Decodes resource limits; keys are matched as runc matches them (exactly, else
    /// ignoring case: `CPU`, `pagesize`).
    public init(from decoder: any Decoder) throws {
        let c = try FoldedContainer<CodingKeys>(decoder)
        devices = try c.optional(.devices)
        memory = try c.optional(.memory)
        cpu = try c.optional(.cpu)
        pids = try c.optional(.pids)
        blockIO = try c.optional(.blockIO)
        hugepageLimits = try c.optional(.hugepageLimits)
        network = try c.optional(.network)
        rdma = try c.optional(.rdma)
        unified = try c.optional(.unified)
    }

    /// Encodes resource limits in specification key order, dictionaries sorted.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(devices, forKey: .devices)
        try c.encodeIfPresent(memory, forKey: .memory)
        try c.encodeIfPresent(cpu, forKey: .cpu)
        try c.encodeIfPresent(pids, forKey: .pids)
        try c.encodeIfPresent(blockIO, forKey: .blockIO)
        try c.encodeIfPresent(hugepageLimits, forKey: .hugepageLimits)
        try c.encodeIfPresent(network, forKey: .network)
        try c.encodeSorted(rdma, forKey: .rdma)
        try c.encodeSorted(unified, forKey: .unified)
    }
}

/// One device cgroup rule (`linux.resources.devices[]`).
public struct LinuxDeviceCgroup: Codable, Sendable, Equatable {
    /// Whether the rule allows (`true`) or denies access.
    public var allow: Bool
    /// `a` (all), `c` or `b`; `nil` means all.
    public var type: String?
    /// Major number; `nil` means any.
    public var major: Int64?
    /// Minor number; `nil` means any.
    public var minor: Int64?
    /// Access, a combination of `r`, `w`, `m`; `nil` means `rwm`.
    public var access: String?

    /// Creates a rule.
    public init(allow: Bool, type: String? = nil, major: Int64? = nil, minor: Int64? = nil, access: String? = nil) {
        self.allow = allow
        self.type = type
        self.major = major
        self.minor = minor
        self.access = access
    }

    enum CodingKeys: String, SpecCodingKey { case allow, type, major, minor, access }

    /// Decodes a rule; a missing `allow` is `false`.
    public init(from decoder: any Decoder) throws {
        let c = try FoldedContainer<CodingKeys>(decoder)
        allow = try c.lenient(.allow, false)
        type = try c.optional(.type)
        major = try c.optional(.major)
        minor = try c.optional(.minor)
        access = try c.optional(.access)
    }
}

/// Memory limits (`linux.resources.memory`). Sizes are in bytes; -1 means unlimited.
public struct LinuxMemory: Codable, Sendable, Equatable {
    /// Memory limit.
    public var limit: Int64?
    /// Soft limit (v1) / `memory.low` (v2).
    public var reservation: Int64?
    /// Memory plus swap limit.
    public var swap: Int64?
    /// Deprecated kernel memory limit.
    public var kernel: Int64?
    /// Kernel TCP buffer limit (v1 only).
    public var kernelTCP: Int64?
    /// Swappiness, 0...100 (v1 only).
    public var swappiness: UInt64?
    /// Disables the OOM killer (v1 only).
    public var disableOOMKiller: Bool?
    /// Hierarchical accounting (v1 only).
    public var useHierarchy: Bool?
    /// Reject an update that sets the limit below current usage.
    public var checkBeforeUpdate: Bool?

    /// Creates memory limits.
    public init(
        limit: Int64? = nil, reservation: Int64? = nil, swap: Int64? = nil, kernel: Int64? = nil,
        kernelTCP: Int64? = nil, swappiness: UInt64? = nil, disableOOMKiller: Bool? = nil,
        useHierarchy: Bool? = nil, checkBeforeUpdate: Bool? = nil
    ) {
        self.limit = limit
        self.reservation = reservation
        self.swap = swap
        self.kernel = kernel
        self.kernelTCP = kernelTCP
        self.swappiness = swappiness
        self.disableOOMKiller = disableOOMKiller
        self.useHierarchy = useHierarchy
        self.checkBeforeUpdate = checkBeforeUpdate
    }

    enum CodingKeys: String, SpecCodingKey {
        case limit, reservation, swap, kernel, kernelTCP, swappiness, disableOOMKiller, useHierarchy
        case checkBeforeUpdate
    }

    /// Decodes memory limits.
    public init(from decoder: any Decoder) throws {
        let c = try FoldedContainer<CodingKeys>(decoder)
        limit = try c.optional(.limit)
        reservation = try c.optional(.reservation)
        swap = try c.optional(.swap)
        kernel = try c.optional(.kernel)
        kernelTCP = try c.optional(.kernelTCP)
        swappiness = try c.optional(.swappiness)
        disableOOMKiller = try c.optional(.disableOOMKiller)
        useHierarchy = try c.optional(.useHierarchy)
        checkBeforeUpdate = try c.optional(.checkBeforeUpdate)
    }
}

/// CPU limits (`linux.resources.cpu`). Times are in microseconds.
public struct LinuxCPU: Codable, Sendable, Equatable {
    /// Relative weight (v1 shares; converted to a v2 weight).
    public var shares: UInt64?
    /// CFS quota per period; -1 means unlimited.
    public var quota: Int64?
    /// CFS burst.
    public var burst: UInt64?
    /// CFS period.
    public var period: UInt64?
    /// Real-time runtime per period.
    public var realtimeRuntime: Int64?
    /// Real-time period.
    public var realtimePeriod: UInt64?
    /// cpuset CPUs, list format.
    public var cpus: String?
    /// cpuset memory nodes, list format.
    public var mems: String?
    /// 1 makes the cgroup SCHED_IDLE.
    public var idle: Int64?

    /// Creates CPU limits.
    public init(
        shares: UInt64? = nil, quota: Int64? = nil, burst: UInt64? = nil, period: UInt64? = nil,
        realtimeRuntime: Int64? = nil, realtimePeriod: UInt64? = nil, cpus: String? = nil,
        mems: String? = nil, idle: Int64? = nil
    ) {
        self.shares = shares
        self.quota = quota
        self.burst = burst
        self.period = period
        self.realtimeRuntime = realtimeRuntime
        self.realtimePeriod = realtimePeriod
        self.cpus = cpus
        self.mems = mems
        self.idle = idle
    }

    enum CodingKeys: String, SpecCodingKey {
        case shares, quota, burst, period, realtimeRuntime, realtimePeriod, cpus, mems, idle
    }

    /// Decodes CPU limits.
    public init(from decoder: any Decoder) throws {
        let c = try FoldedContainer<CodingKeys>(decoder)
        shares = try c.optional(.shares)
        quota = try c.optional(.quota)
        burst = try c.optional(.burst)
        period = try c.optional(.period)
        realtimeRuntime = try c.optional(.realtimeRuntime)
        realtimePeriod = try c.optional(.realtimePeriod)
        cpus = try c.optional(.cpus)
        mems = try c.optional(.mems)
        idle = try c.optional(.idle)
    }
}

/// Process count limit (`linux.resources.pids`).
public struct LinuxPids: Codable, Sendable, Equatable {
    /// Maximum number of tasks: negative means no limit; 0 allows one task (`pids.max`
    /// 1, as runc writes it, since systemd cannot express 0); nil leaves it unchanged
    /// (runtime-spec 1.3 made the field optional).
    public var limit: Int64?

    /// Creates a pids limit.
    public init(limit: Int64?) { self.limit = limit }

    enum CodingKeys: String, SpecCodingKey { case limit }

    /// Decodes a pids limit; a missing limit is nil.
    public init(from decoder: any Decoder) throws {
        let c = try FoldedContainer<CodingKeys>(decoder)
        limit = try c.optional(.limit)
    }
}

/// Block I/O limits (`linux.resources.blockIO`).
public struct LinuxBlockIO: Codable, Sendable, Equatable {
    /// Default weight, 10...1000.
    public var weight: UInt16?
    /// Weight against child cgroups (v1 CFQ only).
    public var leafWeight: UInt16?
    /// Per-device weights.
    public var weightDevice: [LinuxWeightDevice]?
    /// Per-device read limits, bytes per second.
    public var throttleReadBpsDevice: [LinuxThrottleDevice]?
    /// Per-device write limits, bytes per second.
    public var throttleWriteBpsDevice: [LinuxThrottleDevice]?
    /// Per-device read limits, operations per second.
    public var throttleReadIOPSDevice: [LinuxThrottleDevice]?
    /// Per-device write limits, operations per second.
    public var throttleWriteIOPSDevice: [LinuxThrottleDevice]?

    /// Creates block I/O limits.
    public init(
        weight: UInt16? = nil, leafWeight: UInt16? = nil, weightDevice: [LinuxWeightDevice]? = nil,
        throttleReadBpsDevice: [LinuxThrottleDevice]? = nil, throttleWriteBpsDevice: [LinuxThrottleDevice]? = nil,
        throttleReadIOPSDevice: [LinuxThrottleDevice]? = nil, throttleWriteIOPSDevice: [LinuxThrottleDevice]? = nil
    ) {
        self.weight = weight
        self.leafWeight = leafWeight
        self.weightDevice = weightDevice
        self.throttleReadBpsDevice = throttleReadBpsDevice
        self.throttleWriteBpsDevice = throttleWriteBpsDevice
        self.throttleReadIOPSDevice = throttleReadIOPSDevice
        self.throttleWriteIOPSDevice = throttleWriteIOPSDevice
    }

    enum CodingKeys: String, SpecCodingKey {
        case weight, leafWeight, weightDevice, throttleReadBpsDevice, throttleWriteBpsDevice
        case throttleReadIOPSDevice, throttleWriteIOPSDevice
    }

    /// Decodes block I/O limits.
    public init(from decoder: any Decoder) throws {
        let c = try FoldedContainer<CodingKeys>(decoder)
        weight = try c.optional(.weight)
        leafWeight = try c.optional(.leafWeight)
        weightDevice = try c.optional(.weightDevice)
        throttleReadBpsDevice = try c.optional(.throttleReadBpsDevice)
        throttleWriteBpsDevice = try c.optional(.throttleWriteBpsDevice)
        throttleReadIOPSDevice = try c.optional(.throttleReadIOPSDevice)
        throttleWriteIOPSDevice = try c.optional(.throttleWriteIOPSDevice)
    }
}

/// A per-device block I/O weight (`linux.resources.blockIO.weightDevice[]`).
public struct LinuxWeightDevice: Codable, Sendable, Equatable {
    /// Device major number.
    public var major: Int64
    /// Device minor number.
    public var minor: Int64
    /// Weight, 10...1000.
    public var weight: UInt16?
    /// Leaf weight (v1 CFQ only).
    public var leafWeight: UInt16?

    /// Creates a device weight.
    public init(major: Int64, minor: Int64, weight: UInt16? = nil, leafWeight: UInt16? = nil) {
        self.major = major
        self.minor = minor
        self.weight = weight
        self.leafWeight = leafWeight
    }

    enum CodingKeys: String, SpecCodingKey { case major, minor, weight, leafWeight }

    /// Decodes a device weight; missing numbers are 0.
    public init(from decoder: any Decoder) throws {
        let c = try FoldedContainer<CodingKeys>(decoder)
        major = try c.lenient(.major, 0)
        minor = try c.lenient(.minor, 0)
        weight = try c.optional(.weight)
        leafWeight = try c.optional(.leafWeight)
    }
}

/// A per-device block I/O rate limit (`linux.resources.blockIO.throttle*Device[]`).
public struct LinuxThrottleDevice: Codable, Sendable, Equatable {
    /// Device major number.
    public var major: Int64
    /// Device minor number.
    public var minor: Int64
    /// Rate per second.
    public var rate: UInt64

    /// Creates a rate limit.
    public init(major: Int64, minor: Int64, rate: UInt64) {
        self.major = major
        self.minor = minor
        self.rate = rate
    }

    enum CodingKeys: String, SpecCodingKey { case major, minor, rate }

    /// Decodes a rate limit; missing numbers are 0.
    public init(from decoder: any Decoder) throws {
        let c = try FoldedContainer<CodingKeys>(decoder)
        major = try c.lenient(.major, 0)
        minor = try c.lenient(.minor, 0)
        rate = try c.lenient(.rate, 0)
    }
}

/// A huge page limit (`linux.resources.hugepageLimits[]`).
public struct LinuxHugepageLimit: Codable, Sendable, Equatable {
    /// Page size, e.g. `2MB`, `1GB`.
    public var pageSize: String
    /// Limit in bytes.
    public var limit: UInt64

    /// Creates a huge page limit.
    public init(pageSize: String, limit: UInt64) {
        self.pageSize = pageSize
        self.limit = limit
    }

    enum CodingKeys: String, SpecCodingKey { case pageSize, limit }

    /// Decodes a huge page limit; missing fields are `""` / 0.
    public init(from decoder: any Decoder) throws {
        let c = try FoldedContainer<CodingKeys>(decoder)
        pageSize = try c.lenient(.pageSize, "")
        limit = try c.lenient(.limit, 0)
    }
}

/// Network class id and priorities (`linux.resources.network`, cgroup v1 only).
public struct LinuxNetwork: Codable, Sendable, Equatable {
    /// `net_cls.classid`.
    public var classID: UInt32?
    /// `net_prio.ifpriomap` entries.
    public var priorities: [LinuxInterfacePriority]?

    /// Creates network settings.
    public init(classID: UInt32? = nil, priorities: [LinuxInterfacePriority]? = nil) {
        self.classID = classID
        self.priorities = priorities
    }

    enum CodingKeys: String, SpecCodingKey { case classID, priorities }

    /// Decodes network settings.
    public init(from decoder: any Decoder) throws {
        let c = try FoldedContainer<CodingKeys>(decoder)
        classID = try c.optional(.classID)
        priorities = try c.optional(.priorities)
    }
}

/// The priority of one network interface (`linux.resources.network.priorities[]`).
public struct LinuxInterfacePriority: Codable, Sendable, Equatable {
    /// Interface name.
    public var name: String
    /// Priority.
    public var priority: UInt32

    /// Creates an interface priority.
    public init(name: String, priority: UInt32) {
        self.name = name
        self.priority = priority
    }

    enum CodingKeys: String, SpecCodingKey { case name, priority }

    /// Decodes an interface priority; missing fields are `""` / 0.
    public init(from decoder: any Decoder) throws {
        let c = try FoldedContainer<CodingKeys>(decoder)
        name = try c.lenient(.name, "")
        priority = try c.lenient(.priority, 0)
    }
}

/// RDMA limits of one device (`linux.resources.rdma[<device>]`).
public struct LinuxRdma: Codable, Sendable, Equatable {
    /// Maximum HCA handles.
    public var hcaHandles: UInt32?
    /// Maximum HCA objects.
    public var hcaObjects: UInt32?

    /// Creates RDMA limits.
    public init(hcaHandles: UInt32? = nil, hcaObjects: UInt32? = nil) {
        self.hcaHandles = hcaHandles
        self.hcaObjects = hcaObjects
    }

    enum CodingKeys: String, SpecCodingKey { case hcaHandles, hcaObjects }

    /// Decodes RDMA limits.
    public init(from decoder: any Decoder) throws {
        let c = try FoldedContainer<CodingKeys>(decoder)
        hcaHandles = try c.optional(.hcaHandles)
        hcaObjects = try c.optional(.hcaObjects)
    }
}
