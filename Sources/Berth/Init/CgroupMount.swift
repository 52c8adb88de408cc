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
            try MountTable.mount(source: "cgroup", target: procFDPath(target), type: "cgroup2",
                            flags: flags, errorPath: destination)
            return
        }
        let target = try rooted.makeMountPoint(destination, directory: true)
        try MountTable.mount(source: "tmpfs", target: procFDPath(target), type: "tmpfs",
                        flags: UInt(MS_NOSUID) | UInt(MS_NODEV) | UInt(MS_NOEXEC), data: "mode=755",
                        errorPath: destination)
        close(target)
        for (h, hostPath) in zip(hierarchies, hostPaths) {
            let sub = destination + "/" + h.name
            let dir = try rooted.makeMountPoint(sub, directory: true)
            defer { close(dir) }
            if cgroupNS && !userNS {
                try MountTable.mount(source: "cgroup", target: procFDPath(dir), type: h.isUnified ? "cgroup2" : "cgroup",
                                flags: flags, data: h.isUnified ? nil : h.superOptions, errorPath: sub)
            } else {
                try MountTable.mount(source: hostPath, target: procFDPath(dir), type: nil,
                                flags: UInt(MS_BIND) | UInt(MS_REC), errorPath: sub)
                let mounted = try rooted.open(sub)
                defer { close(mounted) }
                try MountTable.mount(source: nil, target: procFDPath(mounted), type: nil,
                                flags: UInt(MS_REMOUNT) | UInt(MS_BIND) | flags | MountTable.lockedFlags(of: procFDPath(mounted)),
                                errorPath: sub)
            }
        }
        if flags & UInt(MS_RDONLY) != 0 {
            let mounted = try rooted.open(destination)
            defer { close(mounted) }
            try MountTable.mount(source: nil, target: procFDPath(mounted), type: nil,
                            flags: UInt(MS_REMOUNT) | UInt(MS_RDONLY) | UInt(MS_NOSUID) | UInt(MS_NODEV) | UInt(MS_NOEXEC),
                            data: "mode=755", errorPath: destination)
        }
    }
}

extension CgroupLayout.Hierarchy {
    /// The name under the container's /sys/fs/cgroup (`memory`, `cpu,cpuacct`, `unified`).
    var name: String { String(mountPoint.split(separator: "/").last ?? "") }
    /// The mount data that names the same v1 hierarchy (`memory`, `name=systemd`).
    var superOptions: String { controllers.joined(separator: ",") }
}
