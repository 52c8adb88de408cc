import BerthSpec
import BerthSystem
import Glibc

/// Builds the container's mount tree in its mount namespace and switches root.
///
/// The mount namespace is a new one, or one joined by path (set up the same way, in
/// there: the rootfs path is resolved in it, and pivot_root makes the rootfs its root),
/// or, as runc allows, none of the container's own: the mounts are then made in the
/// host's mount namespace, below a private bind of the rootfs the parent made
/// (`HostRootfsMount`), without touching the host's propagation, and the init only
/// chroots into the rootfs. As in runc, what would act on the host's mounts beyond the
/// container's own is skipped then: the read-only remounts of tmpfs and /dev and of the
/// root, the rootfs propagation (masked and read-only paths are refused by validation).
///
/// Every destination is resolved inside the rootfs with openat2(RESOLVE_IN_ROOT) and
/// mounted through its `/proc/self/fd/N` magic link, so symlinks in a hostile image can
/// neither redirect a mount to the host nor race one there. Mounts are made in config
/// order, each at its turn (bind mounts too), which is the order the container's
/// mountinfo lists them in.
struct RootfsSetup {
    let ctx: InitContext
    var spec: Spec { ctx.spec }
    var userNS: Bool { ctx.newNamespaces.contains(.user) || ctx.joinedNamespaces.contains { $0.0 == .user } }

    init(ctx: InitContext) { self.ctx = ctx }

    /// A mount namespace of the container's own, new or joined; else the host's.
    var ownMountNamespace: Bool {
        ctx.newNamespaces.contains(.mount) || ctx.joinedNamespaces.contains { $0.0 == .mount }
    }

    /// A tmpfs (or `/dev`) mount that turns read-only, and gets its recursive attributes,
    /// only at the end of the set-up: mount points, device nodes and copied files are
    /// still made below it until then.
    private struct Deferred {
        var fd: Int32
        var flags: UInt
        var recursive: MountAttributes
        var destination: String
    }

    /// The propagation `linux.rootfsPropagation` asks for, if any.
    private var requestedPropagation: UInt? {
        guard let p = spec.linux?.rootfsPropagation, !p.isEmpty else { return nil }
        return MountOptions.propagation(p)
    }

    /// Nothing mounted in the container may propagate to the host, pivot_root refuses
    /// shared mounts, and a bind of the rootfs from an unbindable mount is refused: so
    /// every mount starts as a slave (or private, when the config asks for that on every
    /// mount), and the propagation the config asks for is given to the container's root
    /// at the end (`finish`).
    private var baselinePropagation: UInt {
        let rprivate = UInt(MS_PRIVATE) | UInt(MS_REC)
        return requestedPropagation == rprivate ? rprivate : UInt(MS_SLAVE) | UInt(MS_REC)
    }

    /// Everything before the root switch: propagation, the rootfs bind, config mounts,
    /// devices and the init layer.
    func prepare() throws {
        if ownMountNamespace {
            try MountTable.mount(source: nil, target: "/", type: nil, flags: baselinePropagation)
            // pivot_root needs the rootfs to be a mount point: a bind of it, or the overlay
            // whose lowest layers it is (the config's mounts then go on the overlay).
            if let overlay = ctx.overlay {
                try overlay.mount(at: ctx.rootfs, userNamespace: userNS)
                Trace.mark("init: overlay")
            } else {
                try MountTable.mount(source: ctx.rootfs, target: ctx.rootfs, type: nil, flags: UInt(MS_BIND) | UInt(MS_REC))
            }
        }

        let rooted = try RootedPath(root: ctx.rootfs)
        // Mount points and device nodes made from here on land in the container's upper
        // layer: marked, they do not count as its changes.
        if ctx.overlay != nil { rooted.marker = CreationMarker(userNamespace: userNS) }
        let mounts = spec.mounts ?? []
        var deferred: [Deferred] = []
        defer {
            for d in deferred { close(d.fd) }
            // The sources the parent sent and the id mappings' namespaces: not needed past
            // the mounts (all are close-on-exec; none outlives the set-up either way).
            for fd in ctx.mountSources.distinct { close(fd) }
            for fd in ctx.idmapNamespaces.distinct { close(fd) }
        }
        for (index, m) in mounts.enumerated() {
            do {
                try mountOne(m, index: index, rooted: rooted, deferred: &deferred)
            } catch let e as SyscallError {
                throw InitError("mounts[\(index)] (\(m.destination)): \(e)", errno: e.errno.rawValue)
            } catch let e as InitError {
                var wrapped = InitError("mounts[\(index)] (\(m.destination)): \(e.description)", errno: e.errno)
                wrapped.code = e.code
                throw wrapped
            }
        }
        Trace.mark("init: config mounts")
        let devMounted = mounts.contains { Paths.withoutDots($0.destination) == "/dev" && !BindSource.isBind($0) }
        if devMounted {
            try Devices(rooted: rooted, userNS: userNS).create(
                spec.linux?.devices ?? [],
                terminal: spec.process?.terminal == true)
        } else if let devices = spec.linux?.devices, !devices.isEmpty {
            try Devices(rooted: rooted, userNS: userNS).create(devices, defaults: false, terminal: false)
        }
        Trace.mark("init: devices")
        try InitLayer(
            spec: spec, id: ctx.id, newNetwork: ctx.newNamespaces.contains(.network),
            stateDirectory: ctx.stateDirectory, warn: { try? ctx.sync.send(.warning($0)) }
        )
        .apply(rooted: rooted)
        for d in deferred {
            do throws(SyscallError) {
                if d.flags & UInt(MS_RDONLY) != 0 && ownMountNamespace {
                    try MountTable.mount(
                        source: nil, target: procFDPath(d.fd), type: nil,
                        flags: d.flags | UInt(MS_REMOUNT) | UInt(MS_BIND), errorPath: d.destination)
                }
                if !d.recursive.isEmpty {
                    try MountTree.setAttributes(d.fd, d.recursive, recursive: true, errorPath: d.destination)
                }
            } catch {
                throw InitError("remount \(d.destination) read-only: \(error)", errno: error.errno.rawValue)
            }
        }
    }

    /// The root switch and everything after it: masked and read-only paths and the
    /// read-only root. Returns the console helper for a terminal.
    func finish() throws -> Console {
        if ownMountNamespace {
            try switchRoot()
        } else {
            // In the host's mount namespace: neither pivot_root (it would move the host's
            // root) nor MS_MOVE (--no-pivot), only chroot.
            try sys("chdir", ctx.rootfs) { chdir(ctx.rootfs) }
            try sys("chroot", ctx.rootfs) { chroot(".") }
            try sys("chdir", "/") { chdir("/") }
        }
        // sysctls go in before /proc/sys turns read-only.
        for (key, value) in (spec.linux?.sysctl ?? [:]).sorted(by: { $0.key < $1.key }) {
            let path = "/proc/sys/" + key.split(separator: ".").joinedPlain(separator: "/")
            do throws(SyscallError) { try FileIO.write(path, Array(value.utf8)) } catch {
                throw InitError("write sysctl \(key)=\(value): \(errnoText(error.errno))", errno: error.errno.rawValue)
            }
        }

        Trace.mark("init: switched root")
        guard ownMountNamespace else {
            return Console(socketFD: ctx.consoleSocketFD, consoleSize: spec.process?.consoleSize)
        }
        let slash = try RootedPath(root: "/")
        // As runc: read-only paths first, then the masks over them.
        try MaskedPaths(rooted: slash, mountLabel: spec.linux?.mountLabel)
            .apply(readOnly: spec.linux?.readonlyPaths ?? [], masked: spec.linux?.maskedPaths ?? [])
        if spec.root?.readonly == true {
            let flags = UInt(MS_REMOUNT) | UInt(MS_BIND) | UInt(MS_RDONLY) | (MountTable.lockedFlags(of: "/") & ~UInt(MS_RDONLY))
            try MountTable.mount(source: nil, target: "/", type: nil, flags: flags)
        }
        if let p = requestedPropagation, p != baselinePropagation {
            try MountTable.mount(source: nil, target: "/", type: nil, flags: p)
        }
        return Console(socketFD: ctx.consoleSocketFD, consoleSize: spec.process?.consoleSize, relayed: ctx.relaysTerminal)
    }

    private func mountOne(_ m: Mount, index: Int, rooted: RootedPath, deferred: inout [Deferred]) throws {
        let options = MountOptions(m.options ?? [])
        let type = m.type ?? ""
        let destination = Paths.withoutDots(m.destination)
        if type == "cgroup" || type == "cgroup2" {
            try CgroupMount(
                rooted: rooted, destination: destination, options: options, hostPaths: ctx.cgroupPaths, layout: ctx.cgroupLayout,
                cgroupNS: ctx.newNamespaces.contains(.cgroup), userNS: userNS
            ).mount()
            return
        }
        if options.isBind || type == "bind" {
            try BindMount(mount: m, index: index, destination: destination, ctx: ctx, rooted: rooted).make()
            return
        }
        // procfs and sysfs (and the /dev tmpfs) only on a real directory: a symlink there
        // would move them elsewhere in the rootfs, where masks and read-only paths miss.
        // Their destination is looked up without following a last symlink, so the object
        // checked is the one mounted on.
        let ordinaryDirectoryOnly = type == "proc" || type == "sysfs" || destination == "/dev"
        var data = options.data
        let target: Int32
        if let existing = try? rooted.open(destination, flags: ordinaryDirectoryOnly ? O_PATH | O_NOFOLLOW : O_PATH) {
            var st = stat()
            let isDirectory = fstat(existing, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
            if ordinaryDirectoryOnly && !isDirectory {
                close(existing)
                throw InitError.spec("filesystem \"\(type)\" must be mounted on ordinary directory")
            }
            target = existing
            // As runc: a tmpfs takes the mode of the directory it covers, unless mode= says.
            if type == "tmpfs" && isDirectory && !data.contains(where: { $0.hasPrefix("mode=") }) {
                let octal = String(st.st_mode & 0o7777, radix: 8)
                data.insert("mode=" + String(repeating: "0", count: max(0, 4 - octal.count)) + octal, at: 0)
            }
        } else {
            target = try rooted.makeMountPoint(destination, directory: true, knownMissing: true)
        }
        defer { close(target) }
        // A tmpfs and /dev stay writable until everything below them is made.
        let deferReadOnly = type == "tmpfs" || destination == "/dev"
        var flags = options.flags
        if deferReadOnly { flags &= ~UInt(MS_RDONLY) }
        // tmpcopyup: the directory's contents, read through a descriptor opened before the
        // tmpfs covers it.
        var copyFrom: Int32 = -1
        if options.copyUp && type == "tmpfs" {
            copyFrom = try sys("open", destination) { open(procFDPath(target), O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        }
        defer { if copyFrom >= 0 { close(copyFrom) } }

        let source = m.source ?? type
        let mountData = LSM.mountData(data.isEmpty ? nil : data.joinedPlain(separator: ","), type: type, label: spec.linux?.mountLabel)
        if Glibc.mount(source, procFDPath(target), type, flags, mountData) != 0 {
            let e = currentErrno()
            guard type == "sysfs" && (e == .notPermitted || e == .permissionDenied) else {
                throw SyscallError("mount", destination, errno: e)
            }
            // sysfs cannot be mounted in a user namespace that does not own the network
            // namespace; runc falls back to a read-only recursive bind of the host's /sys.
            try MountTable.mount(
                source: "/sys", target: procFDPath(target), type: nil,
                flags: UInt(MS_BIND) | UInt(MS_REC), errorPath: destination)
            let mounted = try rooted.open(destination)
            defer { close(mounted) }
            try MountTable.mount(
                source: nil, target: procFDPath(mounted), type: nil,
                flags: UInt(MS_REMOUNT) | UInt(MS_BIND) | UInt(MS_RDONLY) | MountTable.lockedFlags(of: procFDPath(mounted)),
                errorPath: destination)
        }
        let later = deferReadOnly && (options.flags & UInt(MS_RDONLY) != 0 || !options.recursive.isEmpty)
        guard copyFrom >= 0 || later || !options.propagation.isEmpty || !options.recursive.isEmpty else { return }
        let mounted = try rooted.open(destination, flags: copyFrom >= 0 ? O_RDONLY | O_DIRECTORY : O_PATH)
        var keep = false
        defer { if !keep { close(mounted) } }
        if copyFrom >= 0 { try TmpCopyUp.copy(from: copyFrom, to: mounted, path: destination) }
        for p in options.propagation {
            try MountTable.mount(source: nil, target: procFDPath(mounted), type: nil, flags: p, errorPath: destination)
        }
        if later {
            deferred.append(Deferred(fd: mounted, flags: options.flags, recursive: options.recursive, destination: destination))
            keep = true
        } else if !options.recursive.isEmpty {
            try MountTree.setAttributes(mounted, options.recursive, recursive: true, errorPath: destination)
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
            var pivoted = true
            do throws(SyscallError) { try MountTable.pivotRoot(".", ".") } catch {
                // EINVAL: a rootfs pivot_root refuses (on ramfs, the initial rootfs): the
                // switch below is made without it.
                guard error.errno == .invalidArgument else { throw SyscallError("pivot_root", ctx.rootfs, errno: error.errno) }
                pivoted = false
            }
            if pivoted {
                try sys("fchdir", "old root") { fchdir(oldRoot) }
                try MountTable.mount(source: nil, target: ".", type: nil, flags: UInt(MS_SLAVE) | UInt(MS_REC))
                try MountTable.unmount(".", flags: Int32(MNT_DETACH))
                try sys("chdir", "/") { chdir("/") }
                return
            }
        }
        // Without pivot_root the host's mounts stay in this namespace, only out of sight:
        // a full procfs or sysfs among them would let the container mount a fresh,
        // unmasked one (the kernel allows that where one is fully visible).
        try NoPivotRoot.hideHostProcAndSys(rootfs: ctx.rootfs)
        try sys("chdir", ctx.rootfs) { chdir(ctx.rootfs) }
        try MountTable.mount(source: ctx.rootfs, target: "/", type: nil, flags: UInt(MS_MOVE))
        try sys("chroot", ctx.rootfs) { chroot(".") }
        try sys("chdir", "/") { chdir("/") }
    }
}
