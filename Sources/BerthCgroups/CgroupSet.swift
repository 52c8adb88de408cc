import BerthSystem
import Glibc

/// The cgroup directories made for one container: one per hierarchy on v1/hybrid, one
/// in total on v2.
public struct CgroupSet: Sendable {
    /// Absolute directories, one per hierarchy.
    public var paths: [String]
    /// The directories that creating the set made (and `destroy` removes).
    public var created: [String]
    /// On a unified host, an open directory descriptor for CLONE_INTO_CGROUP (else -1).
    public var cloneIntoFD: Int32
    /// The directories are on a pure cgroup v2 host.
    public var unified: Bool

    public init(paths: [String], created: [String]? = nil, cloneIntoFD: Int32 = -1, unified: Bool) {
        self.paths = paths
        self.created = created ?? paths
        self.cloneIntoFD = cloneIntoFD
        self.unified = unified
    }

    /// Where the container's cgroup directories go, and which of them (and of their
    /// parents) do not exist yet, before anything is made: what `create` records as its
    /// intent. Fails only for a `cgroupsPath` that cannot be laid out.
    public struct Plan: Sendable {
        /// One directory per hierarchy.
        public var paths: [String]
        /// The directories to make, outermost first within each hierarchy.
        public var missing: [String]
        public var unified: Bool
        let layout: CgroupLayout
    }

    public static func plan(id: String, cgroupsPath: String?, systemd: Bool, layout: CgroupLayout) throws(CgroupPathError) -> Plan {
        let own = CgroupLayout.ownCgroups()
        var all: [String] = []
        var missing: [String] = []
        for h in layout.hierarchies {
            let key = h.isUnified ? "" : h.controllers.joinedPlain(separator: ",")
            var parent = own.last { $0.controllers == key }?.path ?? "/"
            if h.root != "/" && parent.hasPrefix(h.root) { parent = String(parent.dropFirst(h.root.count)) }
            let dir = h.mountPoint + (try CgroupPath.resolve(cgroupsPath, id: id, parent: parent, systemd: systemd))
            all.append(dir)
            missing += missingDirectories(dir, under: h.mountPoint)
        }
        return Plan(paths: all, missing: missing, unified: layout.mode == .unified, layout: layout)
    }

    /// Creates the container's cgroup directories. Directories that already existed are
    /// not recorded, so `destroy` only removes what this call made.
    public static func create(id: String, cgroupsPath: String?, systemd: Bool, layout: CgroupLayout) throws(SyscallError) -> CgroupSet {
        let plan: Plan
        do throws(CgroupPathError) {
            plan = try Self.plan(id: id, cgroupsPath: cgroupsPath, systemd: systemd, layout: layout)
        } catch {
            throw SyscallError("cgroupsPath: \(error.message)", errno: .invalidArgument)
        }
        return try create(plan)
    }

    /// Creates the directories of `plan` (those missing now: another container may have
    /// made a shared parent since).
    public static func create(_ plan: Plan) throws(SyscallError) -> CgroupSet {
        var made: [String] = []
        var cloneFD: Int32 = -1
        do throws(SyscallError) {
            for (h, dir) in zip(plan.layout.hierarchies, plan.paths) {
                // Usually only the last directory is missing: one mkdir says so.
                var fresh = false
                if mkdir(dir, 0o755) == 0 {
                    made.append(dir)
                    fresh = true
                } else if currentErrno() != .fileExists {
                    made += try makeDirectories(dir, under: h.mountPoint)
                }
                if h.controllers.contains("cpuset") { try ensureCpuset(dir, mountPoint: h.mountPoint, fresh: fresh) }
                if plan.layout.mode == .unified {
                    // runc's delegation: every controller the root offers, at every level.
                    enableControllers(nil, above: dir)
                    cloneFD = try sys("open", dir) { open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
                }
            }
        } catch {
            CgroupSet(paths: made, unified: plan.unified).destroy()
            throw error
        }
        return CgroupSet(paths: plan.paths, created: made, cloneIntoFD: cloneFD, unified: plan.unified)
    }

    /// The directories from `mountPoint` down to `dir` that do not exist, outermost first.
    static func missingDirectories(_ dir: String, under mountPoint: String) -> [String] {
        var missing: [String] = []
        var d = dir
        while d.utf8.count > mountPoint.utf8.count && !FileIO.exists(d) {
            missing.insert(d, at: 0)
            d = String(d[..<(d.lastIndex(of: "/") ?? d.startIndex)])
        }
        return missing
    }

    /// mkdir -p below `mountPoint`, returning the directories made, outermost first.
    static func makeDirectories(_ dir: String, under mountPoint: String) throws(SyscallError) -> [String] {
        var made: [String] = []
        for m in missingDirectories(dir, under: mountPoint) {
            if mkdir(m, 0o755) == 0 { made.append(m); continue }
            if currentErrno() != .fileExists { throw SyscallError("mkdir", m, errno: currentErrno()) }
        }
        return made
    }

    /// A v1 cpuset cgroup with empty cpus or mems refuses every task (ENOSPC on the
    /// join): a new one starts that way, and so may one made by hand. Such a cgroup takes
    /// its parent's values, after the parent got its own the same way, as runc does, so
    /// both are set before the init is placed.
    ///
    /// - Parameter fresh: `dir` was just made below an existing parent: both its files are
    ///   empty, and a parent with both set (the usual case) is copied without reading more.
    static func ensureCpuset(_ dir: String, mountPoint: String, fresh: Bool = false) throws(SyscallError) {
        func isEmpty(_ value: [UInt8]) -> Bool { value.allSatisfy { $0 == 0x0A || $0 == 0x20 } }
        func empty(_ file: String) -> Bool { isEmpty((try? FileIO.read(dir + "/" + file)) ?? []) }
        let parent = String(dir[..<(dir.lastIndex(of: "/") ?? dir.startIndex)])
        if fresh && dir.count > mountPoint.count,
            let cpus = try? FileIO.read(parent + "/cpuset.cpus"), !isEmpty(cpus),
            let mems = try? FileIO.read(parent + "/cpuset.mems"), !isEmpty(mems)
        {
            try FileIO.write(dir + "/cpuset.cpus", cpus)
            try FileIO.write(dir + "/cpuset.mems", mems)
            return
        }
        guard dir.count > mountPoint.count, empty("cpuset.cpus") || empty("cpuset.mems") else { return }
        try ensureCpuset(parent, mountPoint: mountPoint)
        for file in ["cpuset.cpus", "cpuset.mems"] where empty(file) {
            let value = try FileIO.read(parent + "/" + file)
            try FileIO.write(dir + "/" + file, value)
        }
    }

    /// Moves `pid` into every directory (or into `directories`, sub-cgroups of them).
    public func join(pid: Int32, directories: [String]? = nil) throws(SyscallError) {
        let text = Array(String(pid).utf8)
        for dir in directories ?? paths {
            try FileIO.write(dir + "/cgroup.procs", text)
        }
    }

    /// Removes the directories this set made, and every sub-cgroup the container's
    /// processes made below them (deepest first: a cgroup with children cannot be
    /// removed), retrying while the kernel still counts exiting tasks in them. A
    /// directory that existed before `create` is left alone.
    ///
    /// - Parameter tree: the set's directories as `tree()` listed them, when no process
    ///   was left that could have made more since (no walk again).
    public func destroy(tree: [String]? = nil) {
        if cloneIntoFD >= 0 { close(cloneIntoFD) }
        for dir in created.reversed() {
            let subs = tree.map { t in t.filter { $0.hasPrefix(dir + "/") } } ?? Self.descendants(of: dir)
            for sub in subs { Self.removeDirectory(sub) }
            Self.removeDirectory(dir)
        }
    }

    /// Removes the directories this set made, deepest first, when every one of the set's
    /// directories is its own and all are empty: the rmdirs themselves are the check (a
    /// cgroup with a process or a sub-cgroup refuses with EBUSY), instead of reading each
    /// one first. False, with the rest left in place, at the first that refuses; then
    /// `destroy` after the usual checks removes what is left.
    public func removeIfEmpty() -> Bool {
        guard paths.allSatisfy({ created.contains($0) }) else { return false }
        for dir in created.reversed() where rmdir(dir) != 0 && currentErrno() != .noSuchFileOrDirectory {
            return false
        }
        if cloneIntoFD >= 0 { close(cloneIntoFD) }
        return true
    }

    /// rmdir with retries: a cgroup stays busy until its last task has been reaped. A task
    /// killed just before (`kill` then `delete`) is usually released within a fraction of a
    /// millisecond: the waits start at 50 µs and double up to 2 ms (then 10 ms), about the
    /// same total patience as before.
    static func removeDirectory(_ dir: String) {
        var tries = 0
        while rmdir(dir) != 0 {
            let e = currentErrno()
            if e == .noSuchFileOrDirectory || tries >= 200 { break }
            tries += 1
            usleep(tries < 50 ? UInt32(min(50 << min(tries - 1, 6), 2000)) : 10_000)
        }
    }
}

extension CgroupSet {
    /// The paths in the order the freezer is looked for: the v1 freezer hierarchy's
    /// (by its usual mount point's name) first, then the others in their order, so the
    /// usual answer takes one read, not one failed open per hierarchy before it. Which
    /// directory answers is unchanged: no other v1 hierarchy has the freezer's files.
    var freezerOrder: [String] {
        paths.filter { $0.includes("/freezer/") } + paths.filter { !$0.includes("/freezer/") }
    }

    /// True when the freezer holds the cgroup frozen (v1 `freezer.state`, v2 `cgroup.freeze`).
    public func isFrozen() -> Bool {
        for dir in freezerOrder {
            if let state = try? FileIO.readString(dir + "/freezer.state") {
                return state.hasPrefix("FROZEN") || state.hasPrefix("FREEZING")
            }
            if let freeze = try? FileIO.readString(dir + "/cgroup.freeze") {
                return freeze.hasPrefix("1")
            }
        }
        return false
    }

    /// Freezes (true) or thaws (false) the cgroup.
    public func setFrozen(_ frozen: Bool) throws(SyscallError) {
        for dir in freezerOrder {
            if FileIO.exists(dir + "/freezer.state") {
                try FileIO.write(dir + "/freezer.state", Array((frozen ? "FROZEN" : "THAWED").utf8))
                return
            }
            if FileIO.exists(dir + "/cgroup.freeze") {
                try FileIO.write(dir + "/cgroup.freeze", Array((frozen ? "1" : "0").utf8))
                return
            }
        }
    }

    /// Thaws a frozen cgroup so its processes can die; a no-op otherwise.
    public func thaw() {
        if isFrozen() { try? setFrozen(false) }
    }
}

extension CgroupSet {
    /// True when one of the directories has a freezer (v1 freezer.state or v2 cgroup.freeze).
    public var hasFreezer: Bool {
        freezerOrder.contains { FileIO.exists($0 + "/freezer.state") || FileIO.exists($0 + "/cgroup.freeze") }
    }
}
