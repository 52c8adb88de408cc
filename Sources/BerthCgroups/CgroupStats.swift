import BerthSpec
import BerthSystem

/// Reads a container's resource usage from its cgroup files, v1 or v2.
public enum CgroupStats {
    /// Reads the stats of the cgroup directories `paths`.
    public static func read(paths: [String]) -> ContainerStats {
        var s = ContainerStats()
        func file(_ name: String) -> String? {
            for dir in paths { if let text = try? FileIO.readString(dir + "/" + name) { return text } }
            return nil
        }
        func number(_ name: String) -> UInt64 {
            guard let text = file(name)?.split(separator: "\n").first else { return 0 }
            return UInt64(text) ?? 0
        }
        func keyed(_ name: String) -> [(String, UInt64)] {
            (file(name) ?? "").split(separator: "\n").compactMap { line in
                let f = line.split(separator: " ")
                guard f.count == 2, let v = UInt64(f[1]) else { return nil }
                return (String(f[0]), v)
            }
        }
        if file("cgroup.controllers") != nil && file("memory.limit_in_bytes") == nil {
            // cgroup v2.
            let cpu = Dictionary(keyed("cpu.stat"), uniquingKeysWith: { a, _ in a })
            s.cpuTotal = (cpu["usage_usec"] ?? 0) * 1000
            s.cpuUser = (cpu["user_usec"] ?? 0) * 1000
            s.cpuKernel = (cpu["system_usec"] ?? 0) * 1000
            s.throttlePeriods = cpu["nr_periods"] ?? 0
            s.throttledPeriods = cpu["nr_throttled"] ?? 0
            s.throttledTime = (cpu["throttled_usec"] ?? 0) * 1000
            s.memoryUsage = number("memory.current")
            s.memoryMax = number("memory.peak")
            s.memoryLimit = number("memory.max")
            s.memoryRaw = keyed("memory.stat")
            s.swapUsage = number("memory.swap.current")
            let events = Dictionary(keyed("memory.events"), uniquingKeysWith: { a, _ in a })
            s.memoryFailcnt = events["max"] ?? 0
            s.oomKills = events["oom_kill"] ?? 0
            for line in (file("io.stat") ?? "").split(separator: "\n") {
                let f = line.split(separator: " ")
                guard let dev = f.first?.split(separator: ":"), dev.count == 2,
                    let major = UInt64(dev[0]), let minor = UInt64(dev[1])
                else { continue }
                for kv in f.dropFirst() {
                    let p = kv.split(separator: "=")
                    if p.count == 2, p[0] == "rbytes" || p[0] == "wbytes", let v = UInt64(p[1]) {
                        s.ioServiceBytes.append((major, minor, p[0] == "rbytes" ? "Read" : "Write", v))
                    }
                }
            }
        } else {
            s.cpuTotal = number("cpuacct.usage")
            s.cpuPerCPU = (file("cpuacct.usage_percpu") ?? "").split(separator: " ").compactMap { UInt64($0.filter(\.isNumber)) }
            let ticks = Dictionary(keyed("cpuacct.stat"), uniquingKeysWith: { a, _ in a })
            // USER_HZ is 100 on Linux: one tick is 10 ms.
            s.cpuUser = (ticks["user"] ?? 0) * 10_000_000
            s.cpuKernel = (ticks["system"] ?? 0) * 10_000_000
            let cpu = Dictionary(keyed("cpu.stat"), uniquingKeysWith: { a, _ in a })
            s.throttlePeriods = cpu["nr_periods"] ?? 0
            s.throttledPeriods = cpu["nr_throttled"] ?? 0
            s.throttledTime = cpu["throttled_time"] ?? 0
            s.memoryUsage = number("memory.usage_in_bytes")
            s.memoryMax = number("memory.max_usage_in_bytes")
            s.memoryLimit = number("memory.limit_in_bytes")
            s.memoryFailcnt = number("memory.failcnt")
            s.memoryRaw = keyed("memory.stat")
            s.swapUsage = number("memory.memsw.usage_in_bytes")
            s.oomKills = Dictionary(keyed("memory.oom_control"), uniquingKeysWith: { a, _ in a })["oom_kill"] ?? 0
            for line in (file("blkio.throttle.io_service_bytes_recursive") ?? "").split(separator: "\n") {
                let f = line.split(separator: " ")
                guard f.count == 3, let dev = f.first?.split(separator: ":"), dev.count == 2,
                    let major = UInt64(dev[0]), let minor = UInt64(dev[1]), let v = UInt64(f[2])
                else { continue }
                s.ioServiceBytes.append((major, minor, String(f[1]), v))
            }
        }
        s.pidsCurrent = number("pids.current")
        s.pidsLimit = number("pids.max")
        return s
    }
}
