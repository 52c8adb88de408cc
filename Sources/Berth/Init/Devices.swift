import BerthSpec
import BerthSystem
import Glibc

/// Device nodes and the standard /dev links inside the container's /dev.
struct Devices {
    let rooted: RootedPath
    let userNS: Bool

    /// The devices every container gets, as runc gives them.
    static let defaults: [LinuxDevice] = [
        LinuxDevice(path: "/dev/null", type: "c", major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0),
        LinuxDevice(path: "/dev/zero", type: "c", major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0),
        LinuxDevice(path: "/dev/full", type: "c", major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0),
        LinuxDevice(path: "/dev/random", type: "c", major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0),
        LinuxDevice(path: "/dev/urandom", type: "c", major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0),
        LinuxDevice(path: "/dev/tty", type: "c", major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0),
    ]

    func create(_ configured: [LinuxDevice], defaults: Bool = true, terminal: Bool) throws {
        var all = defaults ? Self.defaults : []
        for d in configured {
            all.removeAll { $0.path == d.path }
            all.append(d)
        }
        for d in all { try node(d) }
        guard defaults else { return }
        let dev = try rooted.open("/dev", flags: O_PATH | O_DIRECTORY)
        defer { close(dev) }
        var links = [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                     ("stderr", "/proc/self/fd/2")]
        // As runc: /dev/core only where the kernel has /proc/kcore (this runs before the
        // root switch, with the host's /proc), never a dangling link.
        if access("/proc/kcore", F_OK) == 0 { links.append(("core", "/proc/kcore")) }
        for (name, target) in links {
            if symlinkat(target, dev, name) != 0 && currentErrno() != .fileExists {
                throw SyscallError("symlink", "/dev/" + name, errno: currentErrno())
            }
        }
        // /dev/ptmx must reach the container's own devpts instance.
        if (try? rooted.open("/dev/pts/ptmx")).map({ close($0); return true }) == true {
            unlinkat(dev, "ptmx", 0)
            if symlinkat("pts/ptmx", dev, "ptmx") != 0 {
                throw SyscallError("symlink", "/dev/ptmx", errno: currentErrno())
            }
        }
        if terminal {
            let fd = openat(dev, "console", O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o600)
            if fd >= 0 { close(fd) }
        }
    }

    private func node(_ d: LinuxDevice) throws {
        let rel = RootedPath.relative(d.path)
        let parts = rel.split(separator: "/")
        guard let last = parts.last else { return }
        let parent = try rooted.makeDirectories("/" + parts.dropLast().joined(separator: "/"))
        defer { close(parent) }
        let name = String(last)
        if userNS {
            // mknod is refused in a user namespace: bind the host's node instead.
            let fd = openat(parent, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o600)
            if fd >= 0 { close(fd) }
            let target = try rooted.open(d.path)
            defer { close(target) }
            try MountTable.mount(source: d.path, target: procFDPath(target), type: nil, flags: UInt(MS_BIND), errorPath: d.path)
            return
        }
        var kind: mode_t
        switch d.type {
        case "c", "u": kind = S_IFCHR
        case "b": kind = S_IFBLK
        case "p": kind = S_IFIFO
        default: throw InitError.spec("linux.devices: unknown device type \"\(d.type)\" for \(d.path)")
        }
        let mode = kind | mode_t(d.fileMode ?? 0o666) & 0o7777
        let dev = DeviceNumber.make(major: d.major, minor: d.minor)
        if mknodat(parent, name, mode, dev) != 0 {
            let e = currentErrno()
            if e == .fileExists {
                unlinkat(parent, name, 0)
                try sys("mknod", d.path) { mknodat(parent, name, mode, dev) }
            } else {
                throw SyscallError("mknod", d.path, errno: e)
            }
        }
        try sys("chown", d.path) { fchownat(parent, name, d.uid ?? 0, d.gid ?? 0, AT_SYMLINK_NOFOLLOW) }
    }
}
