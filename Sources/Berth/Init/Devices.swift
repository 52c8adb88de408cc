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
        // Nodes share their directory (/dev nearly always): it is resolved once.
        var parents = Parents()
        defer { parents.close() }
        for d in all { try node(d, parents: &parents) }
        guard defaults else { return }
        let dev = try parents.directory("/dev", rooted: rooted).fd
        var links = [
            ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
            ("stderr", "/proc/self/fd/2"),
        ]
        // As runc: /dev/core only where the kernel has /proc/kcore (this runs before the
        // root switch, with the host's /proc), never a dangling link.
        if access("/proc/kcore", F_OK) == 0 { links.append(("core", "/proc/kcore")) }
        for (name, target) in links {
            if rooted.created(in: dev, name, { symlinkat(target, dev, name) }) != 0 && currentErrno() != .fileExists {
                throw SyscallError("symlink", "/dev/" + name, errno: currentErrno())
            }
        }
        // /dev/ptmx must reach the container's own devpts instance.
        if (try? rooted.open("/dev/pts/ptmx")).map({
            close($0); return true
        }) == true {
            unlinkat(dev, "ptmx", 0)
            if rooted.created(in: dev, "ptmx", { symlinkat("pts/ptmx", dev, "ptmx") }) != 0 {
                throw SyscallError("symlink", "/dev/ptmx", errno: currentErrno())
            }
        }
        if terminal {
            let fd = rooted.created(in: dev, "console") { openat(dev, "console", O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o600) }
            if fd >= 0 { close(fd) }
        }
    }

    /// The directories nodes are made in, each opened once.
    struct Parents {
        var open: [(path: String, fd: Int32, setgid: Bool)] = []
        /// Who a new node belongs to: the init's (effective, so filesystem) ids.
        let owner = (uid: geteuid(), gid: getegid())

        mutating func directory(_ path: String, rooted: RootedPath) throws(SyscallError) -> (fd: Int32, setgid: Bool) {
            if let known = open.first(where: { $0.path == path }) { return (known.fd, known.setgid) }
            let fd = try rooted.makeDirectories(path)
            var st = stat()
            let setgid = fstat(fd, &st) != 0 || st.st_mode & S_ISGID != 0
            open.append((path, fd, setgid))
            return (fd, setgid)
        }

        func close() { for entry in open { Glibc.close(entry.fd) } }
    }

    private func node(_ d: LinuxDevice, parents: inout Parents) throws {
        let parts = Paths.components(d.path)
        guard let last = parts.last else { return }
        let (parent, setgid) = try parents.directory("/" + Array(parts.dropLast()).joinedPlain(separator: "/"), rooted: rooted)
        let name = String(last)
        if userNS {
            // mknod is refused in a user namespace: bind the host's node instead.
            let fd = rooted.created(in: parent, name) { openat(parent, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o600) }
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
        if rooted.created(in: parent, name, { mknodat(parent, name, mode, dev) }) != 0 {
            let e = currentErrno()
            if e == .fileExists {
                unlinkat(parent, name, 0)
                try sys("mknod", d.path) { rooted.created(in: parent, name) { mknodat(parent, name, mode, dev) } }
            } else {
                throw SyscallError("mknod", d.path, errno: e)
            }
        }
        // The node belongs to the init's fsuid and fsgid (its group: the directory's, in a
        // setgid one) already: a chown only when it asks for another owner.
        let (uid, gid) = (d.uid ?? 0, d.gid ?? 0)
        if setgid || uid != parents.owner.uid || gid != parents.owner.gid {
            try sys("chown", d.path) { fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) }
        }
    }
}
