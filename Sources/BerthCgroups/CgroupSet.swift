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

    /// Creates the container's cgroup directories. Directories that already existed are
    /// not recorded, so `destroy` only removes what this call made.
    public static func create(id: String, cgroupsPath: String?, systemd: Bool, layout: CgroupLayout) throws(SyscallError) -> CgroupSet {
        let own = CgroupLayout.ownCgroups()
        var made: [String] = []
        var all: [String] = []
        var cloneFD: Int32 = -1
        do throws(SyscallError) {
            for h in layout.hierarchies {
                let key = h.isUnified ? "" : h.controllers.joined(separator: ",")
                var parent = own[key] ?? "/"
                if h.root != "/" && parent.hasPrefix(h.root) { parent = String(parent.dropFirst(h.root.count)) }
                let rel: String
                do throws(CgroupPathError) {
                    rel = try CgroupPath.resolve(cgroupsPath, id: id, parent: parent, systemd: systemd)
                } catch {
                    throw SyscallError("cgroupsPath: \(error.message)", errno: .invalidArgument)
                }
                let dir = h.mountPoint + rel
                all.append(dir)
                if !FileIO.exists(dir) {
                    let created = try makeDirectories(dir, under: h.mountPoint)
                    made += created
                    if h.controllers.contains("cpuset") {
                        for d in created { try inheritCpuset(d) }
                    }
                    if h.isUnified { delegateControllers(above: dir, created: created) }
                }
                if layout.mode == .unified {
                    cloneFD = try sys("open", dir) { open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
                }
            }
        } catch {
            CgroupSet(paths: made, unified: layout.mode == .unified).destroy()
            throw error
        }
        return CgroupSet(paths: all, created: made, cloneIntoFD: cloneFD, unified: layout.mode == .unified)
    }

    /// mkdir -p below `mountPoint`, returning the directories made, outermost first.
    static func makeDirectories(_ dir: String, under mountPoint: String) throws(SyscallError) -> [String] {
        var missing: [String] = []
        var d = dir
        while d.count > mountPoint.count && !FileIO.exists(d) {
            missing.insert(d, at: 0)
            d = String(d[..<(d.lastIndex(of: "/") ?? d.startIndex)])
        }
        for m in missing where mkdir(m, 0o755) != 0 && currentErrno() != .fileExists {
            throw SyscallError("mkdir", m, errno: currentErrno())
        }
        return missing
    }

    /// On v2 a controller reaches a cgroup only when every parent enables it for its
    /// children: as runc does, each new directory above the container's (and the parent
    /// it was made in) enables all it has, so `linux.resources` of a nested cgroupsPath
    /// (`/pods/web`) find their files. Best effort: a parent that holds processes refuses
    /// (no internal processes), and then the write that needs the file says so.
    static func delegateControllers(above dir: String, created: [String]) {
        guard let first = created.first else { return }
        let parent = String(first[..<(first.lastIndex(of: "/") ?? first.startIndex)])
        for d in [parent] + created.dropLast() {
            guard let available = try? FileIO.readString(d + "/cgroup.controllers") else { continue }
            let controllers = available.split(whereSeparator: { $0 == " " || $0 == "\n" })
            let enabled = Set(((try? FileIO.readString(d + "/cgroup.subtree_control")) ?? "")
                .split(whereSeparator: { $0 == " " || $0 == "\n" }))
            for c in controllers where !enabled.contains(c) {
                try? FileIO.write(d + "/cgroup.subtree_control", Array(("+" + c).utf8))
            }
        }
    }

    /// A new v1 cpuset cgroup starts with empty cpus and mems, which refuses every task;
    /// it takes its parent's, as runc does.
    static func inheritCpuset(_ dir: String) throws(SyscallError) {
        let parent = String(dir[..<(dir.lastIndex(of: "/") ?? dir.startIndex)])
        for file in ["cpuset.cpus", "cpuset.mems"] {
            let current = (try? FileIO.readString(dir + "/" + file)) ?? ""
            if current.allSatisfy({ $0 == "\n" || $0 == " " }) {
                let value = try FileIO.read(parent + "/" + file)
                try FileIO.write(dir + "/" + file, value)
            }
        }
    }

    /// Moves `pid` into every directory.
    public func join(pid: Int32) throws(SyscallError) {
        let text = Array(String(pid).utf8)
        for dir in paths {
            try FileIO.write(dir + "/cgroup.procs", text)
        }
    }

    /// Pids in the container's cgroup (the first hierarchy that lists any).
    public func pids() -> [Int32] {
        for dir in paths {
            if let text = try? FileIO.readString(dir + "/cgroup.procs") {
                let pids = text.split(separator: "\n").compactMap { Int32($0) }
                if !pids.isEmpty { return pids }
            }
        }
        return []
    }

    /// Removes the directories, retrying briefly while the kernel still reports them busy.
    public func destroy() {
        if cloneIntoFD >= 0 { close(cloneIntoFD) }
        for dir in created.reversed() {
            var tries = 0
            while rmdir(dir) != 0 {
                let e = currentErrno()
                if e == .noSuchFileOrDirectory || tries >= 50 { break }
                tries += 1
                usleep(2000)
            }
        }
    }
}

extension CgroupSet {
    /// True when the freezer holds the cgroup frozen (v1 `freezer.state`, v2 `cgroup.freeze`).
    public func isFrozen() -> Bool {
        for dir in paths {
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
        for dir in paths {
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
        paths.contains { FileIO.exists($0 + "/freezer.state") || FileIO.exists($0 + "/cgroup.freeze") }
    }
}
