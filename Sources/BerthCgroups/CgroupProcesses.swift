import BerthSystem
import Glibc

/// The processes of a container's cgroups, sub-cgroups its processes made included.
extension CgroupSet {
    /// Every cgroup directory below `dir`, deepest first (the order they can be removed
    /// in). cgroupfs reports entry types, so the walk is one readdir per directory.
    public static func descendants(of dir: String) -> [String] {
        // A cgroupfs (kernfs) directory's link count is 2 plus its subdirectories: one
        // stat says a cgroup has none (the usual case), instead of reading it.
        var st = stat()
        if stat(dir, &st) == 0 && st.st_nlink == 2 && (st.st_mode & S_IFMT) == S_IFDIR { return [] }
        guard let handle = opendir(dir) else { return [] }
        var children: [String] = []
        while let entry = readdir(handle) {
            guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { children.append(dir + "/" + name) }
        }
        closedir(handle)
        var result: [String] = []
        for child in children {
            result += descendants(of: child)
            result.append(child)
        }
        return result
    }

    /// The pids listed in one directory's `cgroup.procs`.
    static func procs(_ dir: String) -> [Int32] {
        guard let text = try? FileIO.readString(dir + "/cgroup.procs") else { return [] }
        return text.split(separator: "\n").compactMap { Int32($0) }
    }

    /// Pids in the container's cgroup (the first hierarchy that lists any), without
    /// sub-cgroups: what `ps` shows.
    public func pids() -> [Int32] {
        for dir in paths {
            let pids = Self.procs(dir)
            if !pids.isEmpty { return pids }
        }
        return []
    }

    /// Every pid in the container's cgroups and their sub-cgroups, in every hierarchy
    /// (a process can sit in a sub-cgroup of one controller and the top of another).
    public func allPids() -> [Int32] { Self.pids(in: tree()) }

    /// Every directory of the set: each one's sub-cgroups (deepest first), then itself.
    public func tree() -> [String] {
        var result: [String] = []
        for dir in paths { result += Self.descendants(of: dir) + [dir] }
        return result
    }

    /// The pids listed in the `cgroup.procs` of `directories`, each once.
    public static func pids(in directories: [String]) -> [Int32] {
        var result: [Int32] = []
        for d in directories {
            for pid in procs(d) where !result.contains(pid) { result.append(pid) }
        }
        return result
    }

    /// True when the freezer holds the cgroup frozen, by itself or through an ancestor:
    /// v1 `freezer.state` other than THAWED, v2 `frozen 1` in `cgroup.events` (or
    /// `cgroup.freeze` set while the freeze is still in progress). A process placed in
    /// it would stop before it ever reported back.
    ///
    /// With the `layout` the set's paths were planned from (one path per hierarchy, in
    /// its order), only the freezer's and the v2 directories are read: the other v1
    /// hierarchies have none of these files. A directory just made is read too: it is
    /// born frozen under a frozen ancestor.
    public func isEffectivelyFrozen(layout: CgroupLayout? = nil) -> Bool {
        // With the layout, each directory is read for its own version's files only (v1's
        // freezer.state, v2's cgroup.events and cgroup.freeze); without it, for both.
        var dirs = paths.map { (path: $0, v1: true, v2: true) }
        if let layout, layout.hierarchies.count == paths.count {
            dirs = zip(layout.hierarchies, paths).compactMap { hierarchy, path in
                if hierarchy.isUnified { return (path, false, true) }
                return hierarchy.controllers.contains("freezer") ? (path, true, false) : nil
            }
        }
        for dir in dirs {
            if dir.v1, let state = try? FileIO.readString(dir.path + "/freezer.state"),
                !state.hasPrefix("THAWED")
            {
                return true
            }
            guard dir.v2 else { continue }
            if let events = try? FileIO.readString(dir.path + "/cgroup.events"),
                events.split(separator: "\n").contains("frozen 1")
            {
                return true
            }
            // A directory just made has its own cgroup.freeze at 0: under a freezing
            // ancestor it is born frozen, which cgroup.events above already says.
            if created.contains(dir.path) { continue }
            if let freeze = try? FileIO.readString(dir.path + "/cgroup.freeze"), freeze.hasPrefix("1") {
                return true
            }
        }
        return false
    }

    /// The pids in the set's directories that existed before `create` (and their
    /// sub-cgroups): a directory `create` just made holds no process and no sub-cgroup
    /// yet, so in the usual case (every directory new) nothing is read.
    public func pidsInExistingDirectories() -> [Int32] {
        var dirs: [String] = []
        for dir in paths where !created.contains(dir) { dirs += Self.descendants(of: dir) + [dir] }
        return Self.pids(in: dirs)
    }

    /// Sends `signal` to every process in the cgroups and their sub-cgroups.
    ///
    /// SIGKILL goes through `cgroup.kill` where the kernel has it (v2 and the v2 mount of
    /// a hybrid host, 5.14+): the kernel kills the whole subtree at once, forks in flight
    /// included. Otherwise the cgroup is frozen while its pids are read and signalled, so
    /// nothing forks in between, then thawed (a v1-frozen task takes SIGKILL only once
    /// thawed). Returns the number of processes found the slow way (0 after cgroup.kill).
    @discardableResult
    public func signalAll(_ signal: Int32) -> Int {
        if signal == SIGKILL {
            var killed = false
            for dir in paths where FileIO.exists(dir + "/cgroup.kill") {
                if (try? FileIO.write(dir + "/cgroup.kill", Array("1".utf8))) != nil { killed = true }
            }
            if killed {
                thawAll()
                return 0
            }
        }
        let wasFrozen = isFrozen()
        if !wasFrozen && hasFreezer { try? setFrozen(true) }
        let pids = allPids()
        for pid in pids { _ = Glibc.kill(pid, signal) }
        if signal == SIGKILL {
            thawAll()
        } else if !wasFrozen && hasFreezer {
            try? setFrozen(false)
        }
        return pids.count
    }

    /// Thaws the cgroups and every sub-cgroup that froze itself (v1 freezes each
    /// `freezer.state` separately; v2's `cgroup.freeze` too), so killed tasks can exit.
    public func thawAll() {
        for dir in paths {
            for d in Self.descendants(of: dir) + [dir] {
                if let state = try? FileIO.readString(d + "/freezer.state"), !state.hasPrefix("THAWED") {
                    try? FileIO.write(d + "/freezer.state", Array("THAWED".utf8))
                } else if let freeze = try? FileIO.readString(d + "/cgroup.freeze"), freeze.hasPrefix("1") {
                    try? FileIO.write(d + "/cgroup.freeze", Array("0".utf8))
                }
            }
        }
    }

    /// Waits (at most `timeoutMs`) until no process is left in the cgroups.
    public func waitEmpty(timeoutMs: Int) -> Bool {
        var waited = 0
        while !allPids().isEmpty {
            if waited >= timeoutMs { return false }
            usleep(2000)
            waited += 2
        }
        return true
    }
}
