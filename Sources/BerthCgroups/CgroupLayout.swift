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
    ///
    /// mountinfo is read as bytes: split into `Character`s (grapheme clusters), its few
    /// kilobytes cost about a million instructions per create.
    public static func detect() -> CgroupLayout {
        var hierarchies: [Hierarchy] = []
        // A hierarchy may be mounted more than once: a bind of it elsewhere, or the cgroup
        // mounts of a container that shares the host's mount namespace (listed after the
        // host's own, below its rootfs, often read-only). One entry per hierarchy: the
        // first full mount of it (root "/"), else its first mount.
        var keys: [String] = []
        let bytes = (try? FileIO.read("/proc/self/mountinfo")) ?? []
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            // Most mounts are not cgroups: the type after " - " is looked at before the
            // line is split into fields.
            guard Self.hasCgroupType(line) else { continue }
            let parts = line.split(separator: UInt8(ascii: " "))
            guard let dash = parts.firstIndex(where: { $0.count == 1 && $0.first == UInt8(ascii: "-") }),
                parts.count > dash + 3
            else { continue }
            let fstype = String(decoding: parts[dash + 1], as: UTF8.self)
            guard fstype == "cgroup" || fstype == "cgroup2" else { continue }
            var controllers: [String] = []
            if fstype == "cgroup" {
                for option in parts[dash + 3].split(separator: UInt8(ascii: ",")) {
                    let o = String(decoding: option, as: UTF8.self)
                    if o != "rw" && o != "ro" && (!option.contains(UInt8(ascii: "=")) || o.hasPrefix("name=")) {
                        controllers.append(o)
                    }
                }
            }
            let hierarchy = Hierarchy(
                mountPoint: String(decoding: parts[4], as: UTF8.self), root: String(decoding: parts[3], as: UTF8.self),
                controllers: controllers)
            let key = controllers.sorted().joinedPlain(separator: ",")
            // A list: a dozen hierarchies at most, and no `String: Hashable` look-up.
            if let i = keys.firstIndex(of: key) {
                if hierarchies[i].root != "/" && hierarchy.root == "/" { hierarchies[i] = hierarchy }
                continue
            }
            keys.append(key)
            hierarchies.append(hierarchy)
        }
        let hasV1 = hierarchies.contains { !$0.isUnified }
        let hasV2 = hierarchies.contains { $0.isUnified }
        let mode: Mode = hasV1 ? (hasV2 ? .hybrid : .legacy) : .unified
        return CgroupLayout(mode: mode, hierarchies: hierarchies)
    }

    /// Whether a mountinfo line's filesystem type (the field after the " - " separator)
    /// is `cgroup` or `cgroup2`; the lines that are go on to the full parse.
    static func hasCgroupType(_ line: ArraySlice<UInt8>) -> Bool {
        let separator: [UInt8] = Array(" - cgroup".utf8)
        var i = line.startIndex
        while i + separator.count <= line.endIndex {
            if line[i] == UInt8(ascii: " ") && line[i..<(i + separator.count)].elementsEqual(separator) {
                let after = i + separator.count
                return after == line.endIndex || line[after] == UInt8(ascii: " ") || line[after] == UInt8(ascii: "2")
            }
            i += 1
        }
        return false
    }

    /// This process's cgroup in one hierarchy, from /proc/self/cgroup.
    public struct OwnCgroup: Sendable {
        /// The comma-joined controller list ("" for cgroup2).
        public var controllers: String
        /// The cgroup's path in that hierarchy.
        public var path: String
    }

    /// This process's cgroup in each hierarchy, from /proc/self/cgroup (read as bytes).
    public static func ownCgroups() -> [OwnCgroup] {
        let bytes = (try? FileIO.read("/proc/self/cgroup")) ?? []
        var result: [OwnCgroup] = []
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let f = line.split(separator: UInt8(ascii: ":"), maxSplits: 2, omittingEmptySubsequences: false)
            if f.count == 3 {
                result.append(OwnCgroup(controllers: String(decoding: f[1], as: UTF8.self), path: String(decoding: f[2], as: UTF8.self)))
            }
        }
        return result
    }
}
