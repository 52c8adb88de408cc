// A test container's cgroup directories on the host, found from /proc/self/mountinfo, so
// the same checks read v1 (per controller), hybrid (v1 plus the v2 mount) and v2 layouts.
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

struct HostCgroup {
    /// One mounted hierarchy: where, and its v1 controllers (empty for cgroup2).
    struct Mount {
        var point: String
        var controllers: [String]
        var isV2: Bool { controllers.isEmpty }
    }

    /// The cgroupsPath the test gave the container (absolute, e.g. `/berth-itest-c-1234`).
    let rel: String

    static let mounts: [Mount] = {
        var result: [Mount] = []
        for line in Host.stableMountInfo().split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard let dash = parts.firstIndex(of: "-"), parts.count > dash + 3 else { continue }
            let type = parts[dash + 1]
            guard type == "cgroup" || type == "cgroup2" else { continue }
            let controllers =
                type == "cgroup2"
                ? []
                : parts[dash + 3].split(separator: ",").map(String.init)
                    .filter { $0 != "rw" && $0 != "ro" && (!$0.contains("=") || $0.hasPrefix("name=")) }
            result.append(Mount(point: String(parts[4]), controllers: controllers))
        }
        return result
    }()

    static var isPureV2: Bool { !mounts.isEmpty && mounts.allSatisfy(\.isV2) }

    /// The hierarchy that carries `controller`: its v1 mount, else the v2 mount.
    static func mount(for controller: String) -> Mount? {
        mounts.first { $0.controllers.contains(controller) } ?? mounts.first { $0.isV2 }
    }

    /// The container's directory in the hierarchy of `controller`.
    func dir(_ controller: String) -> String? {
        HostCgroup.mount(for: controller).map { $0.point + rel }
    }

    /// Every directory of the container (one per hierarchy).
    var allDirs: [String] { HostCgroup.mounts.map { $0.point + rel } }

    /// `file` of `controller`, read from the host, without trailing whitespace.
    func read(_ controller: String, _ file: String) -> String? {
        dir(controller).flatMap { Host.readFile($0 + "/" + file) }?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Where the same file appears inside a container whose /sys/fs/cgroup shows its own
    /// cgroups (runc's cgroup mount).
    static func insidePath(_ controller: String, _ file: String) -> String {
        guard let m = mount(for: controller), m.point != "/sys/fs/cgroup" else { return "/sys/fs/cgroup/" + file }
        return "/sys/fs/cgroup/" + (m.point as NSString).lastPathComponent + "/" + file
    }
}

extension Sandbox {
    /// A cgroupsPath unique to this test, and the host view of it.
    func testCgroup(_ id: String) -> HostCgroup {
        let cg = HostCgroup(rel: "/berth-itest-\(id)")
        bundle.config["linux.cgroupsPath"] = cg.rel
        onCleanup {
            // Whatever a failed test left: sub-cgroups first, then the container's.
            for dir in cg.allDirs {
                let subs = ((try? FileManager.default.subpathsOfDirectory(atPath: dir)) ?? [])
                    .filter {
                        !$0.contains(".")
                            && (try? FileManager.default.attributesOfItem(atPath: dir + "/" + $0)[.type] as? FileAttributeType) == .typeDirectory
                    }
                    .sorted { $0.count > $1.count }
                for sub in subs { rmdir(dir + "/" + sub) }
                rmdir(dir)
            }
        }
        return cg
    }

    /// `cat FILE` inside the container, trimmed; nil when it fails.
    func readInside(_ id: String, _ path: String) -> String? {
        let r = berth(["exec", id, "cat", path])
        return r.status == 0 ? r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }
}

/// Limits by meaning, read from the v1 or v2 file that holds them, in v1's terms (v2's
/// cpu.max split into quota and period, "max" as the v1 unlimited values).
enum Limit {
    case memory, reservation, memorySwap, cpuQuota, cpuPeriod, pids

    static let v1Unlimited = "9223372036854771712"
}

extension HostCgroup {
    func value(_ limit: Limit) -> String? {
        let v2 = HostCgroup.mount(for: "memory")?.isV2 == true
        switch limit {
        case .memory: return v2 ? read("memory", "memory.max").map(v1Style) : read("memory", "memory.limit_in_bytes")
        case .reservation: return v2 ? read("memory", "memory.low").map(v1Style) : read("memory", "memory.soft_limit_in_bytes")
        case .memorySwap: return v2 ? read("memory", "memory.swap.max").map(v1Style) : read("memory", "memory.memsw.limit_in_bytes")
        case .cpuQuota:
            if v2 { return read("cpu", "cpu.max")?.split(separator: " ").first.map { $0 == "max" ? "-1" : String($0) } }
            return read("cpu", "cpu.cfs_quota_us")
        case .cpuPeriod:
            if v2 { return read("cpu", "cpu.max")?.split(separator: " ").last.map(String.init) }
            return read("cpu", "cpu.cfs_period_us")
        case .pids: return read("pids", "pids.max")
        }
    }

    private func v1Style(_ v: String) -> String { v == "max" ? Limit.v1Unlimited : v }
}
