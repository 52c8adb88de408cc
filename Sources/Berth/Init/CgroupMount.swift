import BerthCgroups
import BerthSpec
import BerthSystem
import Glibc

/// A `cgroup` mount in config.json: the container's view of its own cgroups.
///
/// On a cgroup v2 host this is a cgroup2 mount (rooted at the container's cgroup when it
/// has a cgroup namespace). On v1 and hybrid hosts it is a tmpfs with one mount per host
/// hierarchy under it, as runc lays it out: a fresh cgroup mount of the same controllers
/// inside a cgroup namespace, or a bind of the host's hierarchy otherwise.
struct CgroupMount {
    let rooted: RootedPath
    let destination: String
    let options: MountOptions
    /// The container's cgroup directories on the host, in layout order.
    let hostPaths: [String]
    let layout: CgroupLayout
    let cgroupNS: Bool
    let userNS: Bool

    func mount() throws {
        let flags = options.flags & ~(UInt(MS_BIND) | UInt(MS_REC))
        let hierarchies = layout.hierarchies
        if layout.mode == .unified {
            let target = try rooted.makeMountPoint(destination, directory: true)
            defer { close(target) }
            try MountTable.mount(
                source: "cgroup", target: procFDPath(target), type: "cgroup2",
                flags: flags, errorPath: destination)
            return
        }
        let target = try rooted.makeMountPoint(destination, directory: true)
        try MountTable.mount(
            source: "tmpfs", target: procFDPath(target), type: "tmpfs",
            flags: UInt(MS_NOSUID) | UInt(MS_NODEV) | UInt(MS_NOEXEC), data: "mode=755",
            errorPath: destination)
        close(target)
        // The tmpfs just mounted holds nothing of the image, and no process of the
        // container runs yet: its directories are made and opened relative to it, one
        // call each, instead of resolving every path from the rootfs again.
        let tmpfs = try rooted.open(destination, flags: O_PATH | O_DIRECTORY)
        defer { close(tmpfs) }
        // A bind of a host hierarchy gets its flags before it is attached: a detached
        // copy, its attributes set, then moved in (as a bind plus a remount would, in
        // one lookup).
        let bindAttributes = MountAttributes(setting: flags)
        for (h, hostPath) in zip(hierarchies, hostPaths) {
            let sub = destination + "/" + h.name
            let dir = try Self.makeDirectory(h.name, in: tmpfs, path: sub)
            defer { close(dir) }
            if cgroupNS && !userNS {
                try MountTable.mount(
                    source: "cgroup", target: procFDPath(dir), type: h.isUnified ? "cgroup2" : "cgroup",
                    flags: flags, data: h.isUnified ? nil : h.superOptions, errorPath: sub)
            } else {
                let tree = try MountTree.clone(AT_FDCWD, hostPath, recursive: true, errorPath: sub)
                defer { close(tree) }
                if !bindAttributes.isEmpty {
                    try MountTree.setAttributes(tree, bindAttributes, recursive: false, errorPath: sub)
                }
                try MountTree.attach(tree, to: dir, errorPath: sub)
            }
        }
        if flags & UInt(MS_RDONLY) != 0 {
            try MountTable.mount(
                source: nil, target: procFDPath(tmpfs), type: nil,
                flags: UInt(MS_REMOUNT) | UInt(MS_RDONLY) | UInt(MS_NOSUID) | UInt(MS_NODEV) | UInt(MS_NOEXEC),
                data: "mode=755", errorPath: destination)
        }
    }
}

extension CgroupMount {
    /// `name` made (if missing) in the directory `parent` and opened as an O_PATH
    /// directory, not following a symlink.
    static func makeDirectory(_ name: String, in parent: Int32, path: String) throws(SyscallError) -> Int32 {
        if mkdirat(parent, name, 0o755) != 0 && currentErrno() != .fileExists {
            throw SyscallError("mkdir", path, errno: currentErrno())
        }
        return try sys("open", path) { openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
    }
}

extension CgroupLayout.Hierarchy {
    /// The name under the container's /sys/fs/cgroup (`memory`, `cpu,cpuacct`, `unified`).
    var name: String { Paths.components(mountPoint).last.map(String.init) ?? "" }
    /// The mount data that names the same v1 hierarchy (`memory`, `name=systemd`).
    var superOptions: String { controllers.joined(separator: ",") }
}
