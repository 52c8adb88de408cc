import BerthSystem
import Glibc

/// Which cgroup hierarchies this host mounts, read once from /proc/self/mountinfo.
public struct CgroupLayout: Sendable {
    /// The kind of host.
    public enum Mode: String, Sendable {
        /// Only cgroup2, at /sys/fs/cgroup.
        case unified
        /// v1 controllers plus a cgroup2 mount (usually /sys/fs/cgroup/unified).
        case hybrid
        /// Only v1 hierarchies.
        case legacy
    }

    /// One mounted hierarchy.
    public struct Hierarchy: Sendable {
        /// Where it is mounted, e.g. /sys/fs/cgroup/memory.
        public var mountPoint: String
        /// The mount's root inside the hierarchy (not "/" inside a cgroup namespace).
        public var root: String
        /// v1 controllers (and `name=` options) it carries; empty for cgroup2.
        public var controllers: [String]
        public var isUnified: Bool { controllers.isEmpty }
    }

    public var mode: Mode
    public var hierarchies: [Hierarchy]

    /// Reads the layout of the calling process's mount namespace.
    public static func detect() -> CgroupLayout {
        var hierarchies: [Hierarchy] = []
        // A hierarchy may be mounted more than once: a bind of it elsewhere, or the cgroup
        // mounts of a container that shares the host's mount namespace (listed after the
        // host's own, below its rootfs, often read-only). One entry per hierarchy: the
        // first full mount of it (root "/"), else its first mount.
        var index: [String: Int] = [:]
        let text = (try? FileIO.readString("/proc/self/mountinfo")) ?? ""
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard let dash = parts.firstIndex(of: "-"), parts.count > dash + 3 else { continue }
            let fstype = parts[dash + 1]
            guard fstype == "cgroup" || fstype == "cgroup2" else { continue }
            let controllers =
                fstype == "cgroup2"
                ? []
                : parts[dash + 3].split(separator: ",").map(String.init).filter {
                    $0 != "rw" && $0 != "ro" && (!$0.contains("=") || $0.hasPrefix("name="))
                }
            let hierarchy = Hierarchy(mountPoint: String(parts[4]), root: String(parts[3]), controllers: controllers)
            let key = controllers.sorted().joinedPlain(separator: ",")
            if let i = index[key] {
                if hierarchies[i].root != "/" && hierarchy.root == "/" { hierarchies[i] = hierarchy }
                continue
            }
            index[key] = hierarchies.count
            hierarchies.append(hierarchy)
        }
        let hasV1 = hierarchies.contains { !$0.isUnified }
        let hasV2 = hierarchies.contains { $0.isUnified }
        let mode: Mode = hasV1 ? (hasV2 ? .hybrid : .legacy) : .unified
        return CgroupLayout(mode: mode, hierarchies: hierarchies)
    }

    /// This process's cgroup in each hierarchy, from /proc/self/cgroup: keyed by the
    /// comma-joined controller list ("" for cgroup2).
    public static func ownCgroups() -> [String: String] {
        let text = (try? FileIO.readString("/proc/self/cgroup")) ?? ""
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            if f.count == 3 { result[String(f[1])] = String(f[2]) }
        }
        return result
    }
}
