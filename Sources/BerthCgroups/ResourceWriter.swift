import BerthSpec
import BerthSystem

/// Writes `linux.resources` into a container's cgroup files: on v1 each controller's own
/// hierarchy, on v2 the single directory with the runtime spec's conversions (shares →
/// weight, quota/period → cpu.max, swap as memory+swap → swap only).
///
/// A value the kernel refuses is an error naming the file and the value.
public struct ResourceWriter {
    public let set: CgroupSet
    var unified: Bool { self.set.unified }

    public init(set: CgroupSet) {
        self.set = set
    }

    /// The directory holding `file` (v1: the hierarchy that has it; v2: the only one).
    func directory(for file: String) -> String? {
        set.paths.first { FileIO.exists($0 + "/" + file) }
    }

    func write(_ file: String, _ value: String) throws(SyscallError) {
        guard let dir = directory(for: file) else {
            throw SyscallError("write \(file) = \(value): no cgroup has this file", errno: .noSuchFileOrDirectory)
        }
        do throws(SyscallError) {
            try FileIO.write(dir + "/" + file, Array(value.utf8))
        } catch {
            throw SyscallError("write \(value) to", dir + "/" + file, errno: error.errno)
        }
    }

    public func apply(_ r: LinuxResources) throws(SyscallError) {
        if let m = r.memory { try memory(m) }
        if let c = r.cpu { try cpu(c) }
        if let p = r.pids { try write("pids.max", p.limit > 0 ? String(p.limit) : "max") }
        if let b = r.blockIO { try blockIO(b) }
        for h in r.hugepageLimits ?? [] {
            try write(unified ? "hugetlb.\(h.pageSize).max" : "hugetlb.\(h.pageSize).limit_in_bytes", String(h.limit))
        }
        if let n = r.network { try network(n) }
        for (device, limits) in (r.rdma ?? [:]).sorted(by: { $0.key < $1.key }) {
            var line = device
            if let h = limits.hcaHandles { line += " hca_handle=\(h)" }
            if let o = limits.hcaObjects { line += " hca_object=\(o)" }
            if line != device { try write("rdma.max", line) }
        }
        if let u = r.unified, !u.isEmpty {
            guard unified else {
                throw SyscallError("linux.resources.unified: needs a cgroup v2 host", errno: .notSupported)
            }
            for (key, value) in u.sorted(by: { $0.key < $1.key }) {
                guard !key.contains("/"), !key.hasPrefix(".") else {
                    throw SyscallError("linux.resources.unified: invalid key \"\(key)\"", errno: .invalidArgument)
                }
                try write(key, value)
            }
        }
    }

    func memory(_ m: LinuxMemory) throws(SyscallError) {
        func bytes(_ v: Int64) -> String { v < 0 ? (unified ? "max" : "-1") : String(v) }
        if unified {
            if let limit = m.limit { try write("memory.max", bytes(limit)) }
            if let low = m.reservation { try write("memory.low", bytes(low)) }
            if let swap = m.swap {
                // The runtime spec's swap is memory+swap; v2's memory.swap.max is swap alone.
                let value: String
                if swap < 0 { value = "max" } else if let limit = m.limit, limit >= 0 { value = String(max(0, swap - limit)) } else { value = String(swap) }
                try write("memory.swap.max", value)
            }
            if m.disableOOMKiller == true { try write("memory.oom.group", "0") }
            return
        }
        // memsw must stay at or above the limit at every step: when raising both, the
        // limit goes first; when lowering, memsw goes first. Writing memsw first when it
        // is below the current limit fails, so try both orders.
        if let limit = m.limit, let swap = m.swap {
            do throws(SyscallError) {
                try write("memory.limit_in_bytes", bytes(limit))
                try write("memory.memsw.limit_in_bytes", bytes(swap))
            } catch {
                try write("memory.memsw.limit_in_bytes", bytes(swap))
                try write("memory.limit_in_bytes", bytes(limit))
            }
        } else if let limit = m.limit {
            try write("memory.limit_in_bytes", bytes(limit))
        } else if let swap = m.swap {
            try write("memory.memsw.limit_in_bytes", bytes(swap))
        }
        if let low = m.reservation { try write("memory.soft_limit_in_bytes", bytes(low)) }
        if let s = m.swappiness, s <= 100 { try write("memory.swappiness", String(s)) }
        if m.disableOOMKiller == true { try write("memory.oom_control", "1") }
    }

    func cpu(_ c: LinuxCPU) throws(SyscallError) {
        if unified {
            if let shares = c.shares, shares > 0 { try write("cpu.weight", String(Self.weight(fromShares: shares))) }
            if c.quota != nil || c.period != nil {
                let quota = c.quota.map { $0 > 0 ? String($0) : "max" } ?? "max"
                try write("cpu.max", "\(quota) \(c.period ?? 100_000)")
            }
            if let burst = c.burst { try write("cpu.max.burst", String(burst)) }
            if let idle = c.idle { try write("cpu.idle", String(idle)) }
        } else {
            if let shares = c.shares, shares > 0 { try write("cpu.shares", String(shares)) }
            // The period first: a quota is checked against the current period.
            if let period = c.period, period > 0 { try write("cpu.cfs_period_us", String(period)) }
            if let quota = c.quota { try write("cpu.cfs_quota_us", String(quota > 0 ? quota : -1)) }
            if let burst = c.burst { try write("cpu.cfs_burst_us", String(burst)) }
            if let period = c.realtimePeriod, period > 0 { try write("cpu.rt_period_us", String(period)) }
            if let runtime = c.realtimeRuntime { try write("cpu.rt_runtime_us", String(runtime)) }
            if let idle = c.idle { try write("cpu.idle", String(idle)) }
        }
        if let cpus = c.cpus, !cpus.isEmpty { try write("cpuset.cpus", cpus) }
        if let mems = c.mems, !mems.isEmpty { try write("cpuset.mems", mems) }
    }

    func blockIO(_ b: LinuxBlockIO) throws(SyscallError) {
        if unified {
            // io.bfq.weight takes blkio's own scale; io.weight needs the spec's conversion.
            let bfq = directory(for: "io.bfq.weight") != nil
            func weight(_ w: UInt16) -> String { bfq ? String(w) : String(Self.ioWeight(fromBlkio: w)) }
            if let w = b.weight, w > 0 { try write(bfq ? "io.bfq.weight" : "io.weight", "default " + weight(w)) }
            for d in b.weightDevice ?? [] {
                if let w = d.weight { try write(bfq ? "io.bfq.weight" : "io.weight", "\(d.major):\(d.minor) " + weight(w)) }
            }
            for (list, key) in [(b.throttleReadBpsDevice, "rbps"), (b.throttleWriteBpsDevice, "wbps"),
                                (b.throttleReadIOPSDevice, "riops"), (b.throttleWriteIOPSDevice, "wiops")] {
                for d in list ?? [] {
                    try write("io.max", "\(d.major):\(d.minor) \(key)=\(d.rate == 0 ? "max" : String(d.rate))")
                }
            }
            return
        }
        // Kernels without CFQ have only BFQ's weight files.
        let weightFile = directory(for: "blkio.weight") != nil ? "blkio.weight" : "blkio.bfq.weight"
        if let w = b.weight, w > 0 { try write(weightFile, String(w)) }
        if let w = b.leafWeight, w > 0 { try write("blkio.leaf_weight", String(w)) }
        for d in b.weightDevice ?? [] {
            if let w = d.weight { try write(weightFile + "_device", "\(d.major):\(d.minor) \(w)") }
            if let w = d.leafWeight { try write("blkio.leaf_weight_device", "\(d.major):\(d.minor) \(w)") }
        }
        for (list, file) in [(b.throttleReadBpsDevice, "read_bps_device"), (b.throttleWriteBpsDevice, "write_bps_device"),
                             (b.throttleReadIOPSDevice, "read_iops_device"), (b.throttleWriteIOPSDevice, "write_iops_device")] {
            for d in list ?? [] { try write("blkio.throttle." + file, "\(d.major):\(d.minor) \(d.rate)") }
        }
    }

    func network(_ n: LinuxNetwork) throws(SyscallError) {
        guard !unified else {
            if n.classID != nil || !(n.priorities ?? []).isEmpty {
                throw SyscallError("linux.resources.network: net_cls and net_prio exist only on cgroup v1", errno: .notSupported)
            }
            return
        }
        if let id = n.classID { try write("net_cls.classid", String(id)) }
        for p in n.priorities ?? [] { try write("net_prio.ifpriomap", "\(p.name) \(p.priority)") }
    }

    /// The runtime spec's conversion of blkio weight [10, 1000] to io.weight [1, 10000].
    public static func ioWeight(fromBlkio weight: UInt16) -> UInt64 {
        let w = UInt64(min(max(weight, 10), 1000))
        return 1 + ((w - 10) * 9999) / 990
    }

    /// The runtime spec's conversion of cpu shares [2, 262144] to cgroup v2 weight [1, 10000].
    public static func weight(fromShares shares: UInt64) -> UInt64 {
        let s = min(max(shares, 2), 262_144)
        return 1 + ((s - 2) * 9999) / 262_142
    }
}
