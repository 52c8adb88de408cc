import BerthSpec
import BerthSystem
import CBerth
import Glibc

/// Builds the container's mount tree in its new mount namespace and switches root.
///
/// Every destination is resolved inside the rootfs with openat2(RESOLVE_IN_ROOT) and
/// mounted through its `/proc/self/fd/N` magic link, so symlinks in a hostile image can
/// neither redirect a mount to the host nor race one there.
struct RootfsSetup {
    let ctx: InitContext
    var spec: Spec { ctx.spec }
    var userNS: Bool { ctx.newNamespaces.contains(.user) || ctx.joinedNamespaces.contains { $0.0 == .user } }

    init(ctx: InitContext) { self.ctx = ctx }

    /// Everything before the root switch: propagation, the rootfs bind, config mounts,
    /// devices and the init layer.
    func prepare() throws {
        guard ctx.newNamespaces.contains(.mount) else {
            throw InitError.spec("linux.namespaces: a new mount namespace is required to set up the rootfs")
        }
        // Changes below must not propagate back to the host: make the whole tree a slave
        // (or what rootfsPropagation asks for) before mounting anything.
        var propagation = UInt(MS_SLAVE) | UInt(MS_REC)
        // pivot_root refuses a shared tree: shared propagation is applied after it (finish).
        if let p = spec.linux?.rootfsPropagation, !p.isEmpty, let flag = MountOptions.propagationTable[p],
           flag & UInt(MS_SHARED) == 0 {
            propagation = flag
        }
        try Mount.mount(source: nil, target: "/", type: nil, flags: propagation)
        // pivot_root needs the rootfs to be a mount point.
        try Mount.mount(source: ctx.rootfs, target: ctx.rootfs, type: nil, flags: UInt(MS_BIND) | UInt(MS_REC))

        let rooted = try RootedPath(root: ctx.rootfs)
        let mounts = spec.mounts ?? []
        for (index, m) in mounts.enumerated() {
            do {
                try mountOne(m, index: index, rooted: rooted)
            } catch let e as SyscallError {
                throw InitError("mounts[\(index)] (\(m.destination)): \(e)", errno: e.errno.rawValue)
            }
        }
        Trace.mark("init: config mounts")
        let devMounted = mounts.contains { normalize($0.destination) == "/dev" && !MountOptions($0.options ?? []).isBind && $0.type != "bind" }
        if devMounted {
            try Devices(rooted: rooted, userNS: userNS).create(spec.linux?.devices ?? [],
                                                                terminal: spec.process?.terminal == true)
        } else if let devices = spec.linux?.devices, !devices.isEmpty {
            try Devices(rooted: rooted, userNS: userNS).create(devices, defaults: false, terminal: false)
        }
        Trace.mark("init: devices")
        try InitLayer(spec: spec, id: ctx.id, newNetwork: ctx.newNamespaces.contains(.network),
                      stateDirectory: ctx.stateDirectory).apply(rooted: rooted)
    }

    /// The root switch and everything after it: masked and read-only paths and the
    /// read-only root. Returns the console helper for a terminal.
    func finish() throws -> Console {
        try switchRoot()
        // sysctls go in before /proc/sys turns read-only.
        for (key, value) in (spec.linux?.sysctl ?? [:]).sorted(by: { $0.key < $1.key }) {
            let path = "/proc/sys/" + key.split(separator: ".").joined(separator: "/")
            do throws(SyscallError) { try FileIO.write(path, Array(value.utf8)) } catch {
                throw InitError("write sysctl \(key)=\(value): \(errnoText(error.errno))", errno: error.errno.rawValue)
            }
        }

        Trace.mark("init: switched root")
        let slash = try RootedPath(root: "/")
        for path in spec.linux?.maskedPaths ?? [] { try mask(path, rooted: slash) }
        for path in spec.linux?.readonlyPaths ?? [] { try readOnly(path, rooted: slash) }
        if spec.root?.readonly == true {
            let flags = UInt(MS_REMOUNT) | UInt(MS_BIND) | UInt(MS_RDONLY) | (Mount.lockedFlags(of: "/") & ~UInt(MS_RDONLY))
            try Mount.mount(source: nil, target: "/", type: nil, flags: flags)
        }
        if let p = spec.linux?.rootfsPropagation, !p.isEmpty, let flag = MountOptions.propagationTable[p],
           flag & UInt(MS_SHARED) != 0 {
            try Mount.mount(source: nil, target: "/", type: nil, flags: flag)
        }
        return Console(socketFD: ctx.consoleSocketFD, consoleSize: spec.process?.consoleSize, relayed: ctx.relaysTerminal)
    }

    private func normalize(_ path: String) -> String {
        "/" + path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }

    private func mountOne(_ m: BerthSpec.Mount, index: Int, rooted: RootedPath) throws {
        let options = MountOptions(m.options ?? [])
        let type = m.type ?? ""
        let destination = normalize(m.destination)
        if type == "cgroup" || type == "cgroup2" {
            try CgroupMount(rooted: rooted, destination: destination, options: options, hostPaths: ctx.cgroupPaths, layout: ctx.cgroupLayout,
                            cgroupNS: ctx.newNamespaces.contains(.cgroup), userNS: userNS).mount()
            return
        }
        let isBind = options.isBind || type == "bind"
        if isBind {
            let opened = ctx.mountSourceFDs[index] == nil
            let sourceFD = try ctx.mountSourceFDs[index] ?? BindSource.open(m, bundle: ctx.bundle)
            defer { if opened { close(sourceFD) } }
            var st = stat()
            try sys("stat", m.source ?? "") { fstat(sourceFD, &st) }
            let isDir = (st.st_mode & S_IFMT) == S_IFDIR
            let target = try rooted.makeMountPoint(destination, directory: isDir)
            defer { close(target) }
            try sys("move_mount", destination) {
                berth_move_mount(sourceFD, "", target, "", 0x04 /* F_EMPTY_PATH */ | 0x40 /* T_EMPTY_PATH */)
            }
            let extra = options.flags & ~(UInt(MS_BIND) | UInt(MS_REC))
            if extra != 0 || !options.propagation.isEmpty {
                let mounted = try rooted.open(destination)
                defer { close(mounted) }
                if extra != 0 {
                    var flags = UInt(MS_REMOUNT) | UInt(MS_BIND) | extra
                    if userNS { flags |= Mount.lockedFlags(of: procFDPath(mounted)) & ~UInt(MS_RDONLY) }
                    try Mount.mount(source: nil, target: procFDPath(mounted), type: nil, flags: flags, errorPath: destination)
                }
                for p in options.propagation {
                    try Mount.mount(source: nil, target: procFDPath(mounted), type: nil, flags: p, errorPath: destination)
                }
            }
            return
        }
        let target = try rooted.makeMountPoint(destination, directory: true)
        defer { close(target) }
        let source = m.source ?? type
        let data = LSM.mountData(options.dataString, type: type, label: spec.linux?.mountLabel)
        let result = Glibc.mount(source, procFDPath(target), type, options.flags, data)
        if result != 0 {
            let e = currentErrno()
            guard type == "sysfs" && (e == .notPermitted || e == .permissionDenied) else {
                throw SyscallError("mount", destination, errno: e)
            }
            // sysfs cannot be mounted in a user namespace that does not own the network
            // namespace; runc falls back to a read-only recursive bind of the host's /sys.
            try Mount.mount(source: "/sys", target: procFDPath(target), type: nil,
                            flags: UInt(MS_BIND) | UInt(MS_REC), errorPath: destination)
            let mounted = try rooted.open(destination)
            defer { close(mounted) }
            try Mount.mount(source: nil, target: procFDPath(mounted), type: nil,
                            flags: UInt(MS_REMOUNT) | UInt(MS_BIND) | UInt(MS_RDONLY) | Mount.lockedFlags(of: procFDPath(mounted)),
                            errorPath: destination)
        }
        if !options.propagation.isEmpty {
            let mounted = try rooted.open(destination)
            defer { close(mounted) }
            for p in options.propagation {
                try Mount.mount(source: nil, target: procFDPath(mounted), type: nil, flags: p, errorPath: destination)
            }
        }
    }

    /// pivot_root, or MS_MOVE + chroot when asked (--no-pivot) or when pivot_root cannot
    /// work (a rootfs on the initramfs).
    private func switchRoot() throws {
        if !ctx.noPivot {
            let oldRoot = try sys("open", "/") { open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC) }
            defer { close(oldRoot) }
            let newRoot = try sys("open", ctx.rootfs) { open(ctx.rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC) }
            defer { close(newRoot) }
            try sys("fchdir", ctx.rootfs) { fchdir(newRoot) }
            // pivot_root(".", ".") stacks the old root on top of the new one; it is then
            // detached from inside, after making it a slave so the unmount does not
            // propagate to the host.
            if berth_pivot_root(".", ".") == 0 {
                try sys("fchdir", "old root") { fchdir(oldRoot) }
                try Mount.mount(source: nil, target: ".", type: nil, flags: UInt(MS_SLAVE) | UInt(MS_REC))
                try Mount.unmount(".", flags: Int32(MNT_DETACH))
                try sys("chdir", "/") { chdir("/") }
                return
            }
            let e = currentErrno()
            guard e == .invalidArgument else { throw SyscallError("pivot_root", ctx.rootfs, errno: e) }
        }
        try sys("chdir", ctx.rootfs) { chdir(ctx.rootfs) }
        try Mount.mount(source: ctx.rootfs, target: "/", type: nil, flags: UInt(MS_MOVE))
        try sys("chroot", ctx.rootfs) { chroot(".") }
        try sys("chdir", "/") { chdir("/") }
    }

    private func mask(_ path: String, rooted: RootedPath) throws {
        guard let fd = try? rooted.open(path, flags: O_PATH | O_NOFOLLOW) else { return }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            try Mount.mount(source: "tmpfs", target: procFDPath(fd), type: "tmpfs",
                            flags: UInt(MS_RDONLY), data: LSM.mountData("size=0k", type: "tmpfs", label: spec.linux?.mountLabel),
                            errorPath: path)
        } else {
            try Mount.mount(source: "/dev/null", target: procFDPath(fd), type: nil,
                            flags: UInt(MS_BIND), errorPath: path)
        }
    }

    private func readOnly(_ path: String, rooted: RootedPath) throws {
        guard let fd = try? rooted.open(path, flags: O_PATH | O_NOFOLLOW) else { return }
        defer { close(fd) }
        try Mount.mount(source: procFDPath(fd), target: procFDPath(fd), type: nil,
                        flags: UInt(MS_BIND) | UInt(MS_REC), errorPath: path)
        let mounted = try rooted.open(path, flags: O_PATH | O_NOFOLLOW)
        defer { close(mounted) }
        let flags = UInt(MS_REMOUNT) | UInt(MS_BIND) | UInt(MS_RDONLY)
            | Mount.lockedFlags(of: procFDPath(mounted))
        try Mount.mount(source: nil, target: procFDPath(mounted), type: nil, flags: flags, errorPath: path)
    }
}
