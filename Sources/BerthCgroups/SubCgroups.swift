import BerthSystem

/// runc's `exec --cgroup`: the process joins an existing sub-cgroup of the container's
/// cgroup instead of the container's cgroup itself.
extension CgroupSet {
    /// The directories a process joins for `subCgroups`: `["": SUB]` means SUB below the
    /// container's cgroup in every hierarchy (the only form on v2); `[CONTROLLER: SUB]`
    /// entries move only the hierarchy carrying that v1 controller (`cpu`, `memory`,
    /// `name=systemd`), the others stay at the container's cgroup. A path that leads out
    /// of the container's cgroup (`..`, or `../<sibling>`) is refused, as runc refuses it.
    public func directories(subCgroups: [String: String], layout: CgroupLayout) throws(CgroupPathError) -> [String] {
        if subCgroups.isEmpty { return paths }
        if let sub = subCgroups[""] {
            var result: [String] = []
            for dir in paths { result.append(try Self.below(dir, sub)) }
            return result
        }
        var result = paths
        for (controller, sub) in subCgroups.sorted(by: { $0.key < $1.key }) {
            guard let index = paths.firstIndex(where: { Self.controllers(of: $0, layout: layout).contains(controller) }) else {
                throw CgroupPathError(message: "unknown controller \(controller) in SubCgroupPaths")
            }
            result[index] = try Self.below(paths[index], sub)
        }
        return result
    }

    /// The v1 controllers (and `name=`) of the hierarchy `dir` lives in; empty for v2.
    static func controllers(of dir: String, layout: CgroupLayout) -> [String] {
        let mount = layout.hierarchies
            .filter { dir == $0.mountPoint || dir.hasPrefix($0.mountPoint + "/") }
            .max { $0.mountPoint.count < $1.mountPoint.count }
        return mount?.controllers ?? []
    }

    /// `dir/sub` with `.` and `..` resolved lexically, refused unless it is `dir` or below.
    static func below(_ dir: String, _ sub: String) throws(CgroupPathError) -> String {
        let base = dir.split(separator: "/").map(String.init)
        var parts = base
        for component in sub.split(separator: "/") where component != "." {
            if component == ".." {
                if !parts.isEmpty { parts.removeLast() }
            } else {
                parts.append(String(component))
            }
        }
        // Component-wise: `../c1-sibling` shares the string prefix of `c1` but is not below it.
        guard parts.count >= base.count, Array(parts.prefix(base.count)) == base else {
            throw CgroupPathError(message: "bad sub cgroup path: \(sub)")
        }
        return "/" + parts.joined(separator: "/")
    }
}

extension CgroupSet {
    /// A v1 cpuset sub-cgroup made without `cgroup.clone_children` has empty cpus and
    /// mems and refuses every task (ENOSPC); it takes the values above it, as the
    /// container's own cgroup did at create.
    public func prepareSubCgroups(_ directories: [String]) throws(SyscallError) {
        for (dir, top) in zip(directories, paths) where dir != top && FileIO.exists(dir + "/cpuset.cpus") {
            try Self.ensureCpuset(dir, mountPoint: top)
        }
    }
}
