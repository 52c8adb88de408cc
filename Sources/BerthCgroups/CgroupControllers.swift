import BerthSystem

/// cgroup v2 controller delegation: a controller's files appear in a cgroup only when
/// every ancestor, from the mount's root down, lists it in `cgroup.subtree_control`.
extension CgroupSet {
    /// Enables `names` (nil: every controller the root offers) in the subtree_control of
    /// each cgroup v2 ancestor of `dir`, from the mount's root down, as runc does when it
    /// creates a v2 cgroup. A level that refuses (a non-root cgroup holding processes
    /// cannot delegate domain controllers) is skipped, one controller at a time; the
    /// limit that needs the controller then fails with its file named.
    public static func enableControllers(_ names: Set<String>?, above dir: String) {
        var ancestors: [String] = []
        var d = parent(of: dir)
        while !d.isEmpty, FileIO.exists(d + "/cgroup.controllers") {
            ancestors.insert(d, at: 0)
            d = parent(of: d)
        }
        guard let root = ancestors.first else { return }
        var wanted = words(root + "/cgroup.controllers")
        if let names { wanted = wanted.filter { names.contains($0) } }
        for level in ancestors {
            let enabled = Set(words(level + "/cgroup.subtree_control"))
            let available = Set(words(level + "/cgroup.controllers"))
            let missing = wanted.filter { !enabled.contains($0) && available.contains($0) }
            guard !missing.isEmpty else { continue }
            let path = level + "/cgroup.subtree_control"
            if (try? FileIO.write(path, Array(missing.map { "+" + $0 }.joined(separator: " ").utf8))) == nil {
                for name in missing { _ = try? FileIO.write(path, Array(("+" + name).utf8)) }
            }
        }
    }

    static func parent(of dir: String) -> String {
        guard let slash = dir.lastIndex(of: "/"), slash != dir.startIndex else { return "" }
        return String(dir[..<slash])
    }

    static func words(_ path: String) -> [String] {
        ((try? FileIO.readString(path)) ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }
}
