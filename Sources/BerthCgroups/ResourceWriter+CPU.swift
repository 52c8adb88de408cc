import BerthSpec
import BerthSystem

/// `linux.resources.cpu` (cpus and mems are written by `cpuset`).
extension ResourceWriter {
    func cpu(_ c: LinuxCPU) throws(SyscallError) {
        if unified { try cpuV2(c) } else { try cpuV1(c) }
    }

    /// v1. The kernel checks a new CFS period, quota or burst against the others and
    /// against the parent's bandwidth, so a write can be refused (EINVAL) only because
    /// its partner has not been written yet: a smaller period with an old quota can
    /// exceed the parent's limit, a larger burst than the old quota allows. Such a
    /// write is retried after the quota, as runc does. Realtime period and runtime
    /// depend on each other the same way.
    func cpuV1(_ c: LinuxCPU) throws(SyscallError) {
        if let shares = c.shares, shares != 0 {
            try write("cpu.shares", String(shares))
            // The kernel clamps shares to [2, 262144]; say so instead of storing another value.
            if let read = readNumber("cpu.shares"), read != shares {
                throw SyscallError(
                    shares > read
                        ? "the maximum allowed cpu-shares is \(read)"
                        : "the minimum allowed cpu-shares is \(read)", errno: .invalidArgument)
            }
        }
        let quota = c.quota ?? 0
        var pendingPeriod: String?
        if let period = c.period, period != 0 {
            do throws(SyscallError) { try write("cpu.cfs_period_us", String(period)) } catch {
                guard error.errno == .invalidArgument, quota != 0 else { throw error }
                pendingPeriod = String(period)
            }
        }
        var pendingBurst: String?
        if let burst = c.burst {
            if directory(for: "cpu.cfs_burst_us") == nil {
                warn("linux.resources.cpu.burst is not applied: this kernel has no cpu.cfs_burst_us")
            } else {
                do throws(SyscallError) { try write("cpu.cfs_burst_us", String(burst)) } catch {
                    guard error.errno == .invalidArgument, quota != 0 else { throw error }
                    pendingBurst = String(burst)
                }
            }
        }
        if quota != 0 {
            try write("cpu.cfs_quota_us", String(quota < -1 ? -1 : quota))
            if let p = pendingPeriod { try write("cpu.cfs_period_us", p) }
            if let b = pendingBurst { try write("cpu.cfs_burst_us", b) }
        }
        if let idle = c.idle { try write("cpu.idle", String(idle)) }
        try realtime(c)
    }

    func realtime(_ c: LinuxCPU) throws(SyscallError) {
        let runtime = c.realtimeRuntime ?? 0
        var pendingPeriod: String?
        if let period = c.realtimePeriod, period != 0 {
            do throws(SyscallError) { try write("cpu.rt_period_us", String(period)) } catch {
                guard error.errno == .invalidArgument, runtime != 0 else { throw error }
                pendingPeriod = String(period)
            }
        }
        if runtime != 0 {
            try write("cpu.rt_runtime_us", String(runtime))
            if let p = pendingPeriod { try write("cpu.rt_period_us", p) }
        }
    }

    /// v2: cpu.idle before cpu.weight (the weight of an idle group is fixed), and one
    /// cpu.max write carrying quota and period. A period given alone keeps the current
    /// quota, a quota given alone the current period (the kernel reads a single value
    /// as the quota), so neither silently resets the other.
    func cpuV2(_ c: LinuxCPU) throws(SyscallError) {
        if let idle = c.idle { try write("cpu.idle", String(idle)) }
        if let shares = c.shares, shares != 0 { try write("cpu.weight", String(Self.weight(fromShares: shares))) }
        let quota = c.quota ?? 0
        let period = c.period ?? 0
        var pendingBurst: String?
        if let burst = c.burst {
            do throws(SyscallError) { try write("cpu.max.burst", String(burst)) } catch {
                guard error.errno == .invalidArgument, quota != 0 else { throw error }
                pendingBurst = String(burst)
            }
        }
        if quota != 0 || period != 0 {
            var value: String
            if quota != 0 {
                value = quota > 0 ? String(quota) : "max"
            } else {
                value = read("cpu.max")?.split(separator: " ").first.map(String.init) ?? "max"
            }
            if period != 0 { value += " \(period)" }
            try write("cpu.max", value)
            if let b = pendingBurst { try write("cpu.max.burst", b) }
        }
    }
}
