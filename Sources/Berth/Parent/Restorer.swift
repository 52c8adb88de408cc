import BerthCgroups
import BerthSpec
import BerthSystem
import Glibc

/// `restore`: makes a container from a bundle and has CRIU bring its processes back from
/// an image directory, as runc does: the state directory and cgroup are made as for
/// `create` (CRIU is placed in the cgroup and told it is the cgroup root, so the restored
/// tasks land there, or with `--manage-cgroups-mode ignore` simply stay there), the
/// rootfs is bound under the state directory for CRIU's `root`, mountpoints are made
/// (through temporary binds, so nested bind destinations can be made inside their
/// parents' sources), external mounts are mapped to their host sources, and the restored
/// init is berth's child (`rst_sibling`).
struct Restorer {
    let store: StateStore
    let id: String
    let bundle: String
    let options: RestoreOptions

    static let logFile = "restore.log"
    static let lsmVersion = 31600
    /// Where the rootfs is bound for CRIU (a mount point whose parent is not overmounted).
    static let rootDirectory = StateStore.restoreRoot
    /// A small tmpfs holding the init layer's files while CRIU binds them in.
    static let layerDirectory = StateStore.restoreLayer

    var rootless: Bool { geteuid() != 0 }

    struct Restored {
        var record: StateRecord
        var pidfd: Int32
        /// The restored terminal's pty master when berth relays it, else -1.
        var master: Int32
    }

    func debug(_ text: @autoclosure () -> String) {
        if let handler = options.debugHandler { handler(text()) }
    }

    func restore() throws(BerthError) -> Restored {
        do throws(SpecError) { try ContainerID.validate(id) } catch { throw BerthError.spec(error) }
        _ = try Checkpointer.emptyNamespaceMaskChecked(options.emptyNamespaces)
        if options.imagePath.isEmpty { throw BerthError(.invalidSpec, "invalid directory to restore checkpoint") }
        let imagePath = Paths.absolute(options.imagePath)
        let descriptors = try Self.readDescriptors(imagePath)
        let bundlePath = Paths.absolute(bundle)
        let spec: Spec
        let document: JSONValue
        do throws(SpecError) {
            (spec, document, _) = try SpecLoader.loadDocument(bundle: bundlePath)
            try spec.validate()
        } catch { throw BerthError.spec(error) }
        guard let rootPath = spec.root?.path else { throw BerthError(.invalidSpec, "root: must be set") }
        let rootfs = Paths.canonical(rootPath.hasPrefix("/") ? rootPath : bundlePath + "/" + rootPath)
        var st = stat()
        guard stat(rootfs, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw BerthError(.invalidSpec, "root.path: \(rootfs) does not exist")
        }
        let terminal = spec.process?.terminal == true
        if terminal && options.consoleSocket == nil && options.detach {
            throw BerthError(.invalidSpec, "cannot allocate tty if berth will detach without setting console socket")
        }
        if !terminal && options.consoleSocket != nil {
            throw BerthError(.invalidSpec, "cannot use console socket if berth will not detach or allocate tty")
        }
        for ns in spec.linux?.namespaces ?? [] where ns.type == "cgroup" && !(ns.path ?? "").isEmpty {
            // CRIU has no way to join a cgroup namespace.
            throw BerthError(.invalidSpec, "Do not know how to handle namespace NEWCGROUP")
        }
        var netDevices: [NetDeviceRecord] = []
        if let devices = spec.linux?.netDevices, !devices.isEmpty {
            if rootless { throw BerthError(.invalidSpec, "linux.netDevices: network devices are not supported for rootless containers") }
            netDevices = try NetDevices.inspect(devices)
        }

        let layout = CgroupLayout.detect()
        let plan: CgroupSet.Plan
        do throws(CgroupPathError) {
            plan = try CgroupSet.plan(id: id, cgroupsPath: spec.linux?.cgroupsPath, systemd: options.systemdCgroup, layout: layout)
        } catch { throw BerthError(.invalidSpec, "linux.cgroupsPath: \(error.message)") }

        // As create: the directory is made locked and records what will be made (the
        // intent) before anything else exists, so a restore that dies anywhere is listed
        // and `delete --force` removes all of it (the restore's own mounts in the
        // directory too: StateStore.remove detaches them first).
        let (dir, lockFD) = try store.makeDirectory(id)
        defer { close(lockFD) }
        var cleanup = Cleanup(store: store, id: id)
        var mounts = TemporaryMounts()
        defer { mounts.release() }
        do throws(BerthError) {
            let intent = CreateIntent(
                bundle: bundlePath, rootfs: rootfs, created: Clock.rfc3339Nano(),
                cgroupPaths: plan.paths, cgroupToMake: plan.missing, cgroupUnified: plan.unified)
            try store.recordIntent(intent, id: id, lock: lockFD)
            Trace.mark("restore: intent recorded")
            let restored = try restore(
                spec: spec, document: document, bundle: bundlePath, rootfs: rootfs, dir: dir, imagePath: imagePath,
                descriptors: descriptors, netDevices: netDevices, layout: layout, plan: plan,
                mounts: &mounts, cleanup: &cleanup)
            cleanup.disarm()
            return restored
        } catch {
            mounts.release()
            cleanup.run()
            throw error
        }
    }

    private func restore(
        spec: Spec, document: JSONValue, bundle: String, rootfs: String, dir: String, imagePath: String,
        descriptors: [String], netDevices: [NetDeviceRecord], layout: CgroupLayout, plan: CgroupSet.Plan,
        mounts: inout TemporaryMounts, cleanup: inout Cleanup
    ) throws(BerthError) -> Restored {
        let cgroup: CgroupSet
        do throws(SyscallError) { cgroup = try CgroupSet.create(plan) } catch { throw BerthError.system("create cgroup", error) }
        cleanup.cgroup = cgroup
        if let resources = spec.linux?.resources {
            do throws(SyscallError) { try ResourceWriter(set: cgroup).apply(resources) } catch {
                throw BerthError(.invalidSpec, "linux.resources: \(error)", errno: error.errno.rawValue)
            }
        }
        if let rules = spec.linux?.resources?.devices, !cgroup.paths.isEmpty {
            do throws(SyscallError) { try DeviceRules.apply(rules, to: cgroup) } catch {
                throw BerthError.system("apply device rules", error)
            }
        }
        Trace.mark("restore: cgroup created")
        debug("restore \(id): cgroup \(cgroup.paths.first ?? "none") created")

        // Namespaces joined by path: net and pid are handed to CRIU as descriptors (it
        // dumped them as external), the others it joins itself.
        var extra: [Int32] = []
        defer { for fd in extra { close(fd) } }
        var inherit: [(key: String, fd: Int32)] = []
        var join: [(ns: String, file: String)] = []
        var joinedNetwork: String?
        for ns in spec.linux?.namespaces ?? [] {
            guard let path = ns.path, !path.isEmpty, let kind = Namespace(rawValue: ns.type) else { continue }
            switch kind {
            case .network, .pid:
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw BerthError(.invalidSpec, "Requested network namespace \(path) does not exist") }
                // CRIU's descriptors 0-2 are stdio and 3 the RPC socket; ours follow.
                inherit.append((Checkpointer.externalKey(kind), 4 + Int32(extra.count)))
                extra.append(fd)
                if kind == .network { joinedNetwork = path }
            default:
                join.append((kind.procName, path))
            }
        }

        // The rootfs, bound privately: CRIU wants its root to be a mount point whose
        // parent is not overmounted, and nothing made below it may reach the host's peers.
        let criuRoot = dir + "/" + Self.rootDirectory
        do throws(SyscallError) {
            try mounts.bindPrivately(rootfs, at: criuRoot)
        } catch { throw BerthError.system("restore: bind the rootfs", error) }
        Trace.mark("restore: rootfs bound")
        let externals = try prepareMountpoints(
            spec: spec, bundle: bundle, rootfs: rootfs, criuRoot: criuRoot,
            cgroup: cgroup, layout: layout, dir: dir, mounts: &mounts)

        var opts = CRIUOptions()
        let imagesFD = try Checkpointer.openDirectory(imagePath)
        defer { close(imagesFD) }
        opts.imagesDirFD = imagesFD
        var logDirectory = imagePath
        var workFD: Int32 = -1
        defer { if workFD >= 0 { close(workFD) } }
        if let work = options.workPath, !work.isEmpty {
            logDirectory = Paths.absolute(work)
            workFD = try Checkpointer.openDirectory(logDirectory)
            opts.workDirFD = workFD
        }
        opts.evasiveDevices = true
        opts.logFile = Self.logFile
        opts.restoreAsSibling = true
        opts.root = criuRoot
        opts.manageCgroupsMode = options.manageCgroupsMode
        opts.shellJob = options.shellJob
        opts.extUnixSocket = options.externalUnixSockets
        opts.tcpEstablished = options.tcpEstablished
        opts.fileLocks = options.fileLocks
        opts.emptyNamespaces = Checkpointer.emptyNamespaceMask(options.emptyNamespaces)
        opts.autoDedup = options.autoDedup
        opts.lazyPages = options.lazyPages
        opts.lsmProfile = options.lsmProfile.flatMap { $0.isEmpty ? nil : $0 }
        opts.lsmMountContext = options.lsmMountContext.flatMap { $0.isEmpty ? nil : $0 }
        opts.configFile = Checkpointer.configFile(spec)
        opts.joinNamespaces = join
        opts.inheritFDs = inherit
        opts.externalMounts = externals.map { ($0.mountpoint, $0.source) }
        // The dumped init's pipes become berth's own stdio, as runc hands them over.
        for (i, target) in descriptors.enumerated() where target.contains("pipe:") {
            opts.inheritFDs.append((target, Int32(i)))
        }

        let terminal = spec.process?.terminal == true
        let session = try CRIUSession(binary: options.criuPath, stdio: terminal ? .quiet : .inherited, extraDescriptors: extra)
        defer { session.finish() }
        try session.checkVersion()
        if joinedNetwork != nil && !session.supports(Checkpointer.externalNetworkVersion) {
            throw BerthError(.system, "criu lacks support for external net namespace during the restoration process (old criu version?)")
        }
        if opts.lsmProfile != nil && !session.supports(Self.lsmVersion) {
            throw BerthError(.invalidSpec, "--lsm-profile requires at least CRIU 3.16")
        }
        if opts.lsmMountContext != nil && !session.supports(Self.lsmVersion) {
            throw BerthError(.invalidSpec, "--lsm-mount-context requires at least CRIU 3.16")
        }
        let features = try session.checkFeatures(CRIUFeatures(memoryTracking: true, lazyPages: options.lazyPages ? true : nil))
        if options.lazyPages && features.lazyPages != true {
            throw BerthError(.system, "criu is missing features: [LazyPages]")
        }

        // CRIU goes into the container's cgroup and restores the tasks relative to where
        // it is (runc's criuApplyCgroups).
        do throws(SyscallError) { try cgroup.join(pid: session.pid) } catch {
            throw BerthError.system("restore: place criu in the container's cgroup", error)
        }
        opts.cgroupRoots = Self.cgroupRoots(of: session.pid)
        Trace.mark("restore: criu in the cgroup")

        var consoleSocket: Int32 = -1
        defer { if consoleSocket >= 0 { close(consoleSocket) } }
        if let path = options.consoleSocket {
            do throws(SyscallError) { consoleSocket = try Terminal.connectConsoleSocket(path) } catch {
                throw BerthError.system("connect console socket", error)
            }
        }

        debug("restore \(id): RESTORE from \(imagePath) by CRIU \(session.version), \(opts.externalMounts.count) external mounts")
        var restoredPID: Int32 = 0
        var pidfd: Int32 = -1
        var master: Int32 = -1
        var pinnedNetwork: String?
        do throws(BerthError) {
            try session.send(CRIURequest(type: .restore, options: opts))
            Trace.mark("restore: request sent")
            while true {
                guard let (response, fds) = try session.receive() else {
                    throw session.unexpectedEOF()
                }
                var received = fds
                defer { for fd in received { close(fd) } }
                guard response.success else {
                    throw BerthError(.system, "criu failed: type \(response.typeName) errno \(response.errno ?? 0)")
                }
                if response.type == CRIURequestType.restore.rawValue {
                    restoredPID = response.restoredPID ?? restoredPID
                    break
                }
                guard response.type == CRIURequestType.notify.rawValue else {
                    throw BerthError(.system, "unable to parse the response \(response.typeName)")
                }
                let script = response.notifyScript ?? ""
                debug("restore \(id): CRIU notifies \(script)")
                switch script {
                case "setup-namespaces":
                    // The restored tasks exist in their namespaces and have not run yet.
                    guard let pid = response.notifyPID, pid > 0 else { break }
                    if !netDevices.isEmpty {
                        let path: String
                        if let joinedNetwork {
                            path = joinedNetwork
                        } else {
                            path = try NetDevices.pin(pid: pid, directory: dir)
                            pinnedNetwork = path
                        }
                        cleanup.netDevices = netDevices
                        cleanup.netDeviceNamespace = path
                        try NetDevices.moveIn(netDevices, namespacePath: path)
                    }
                    try runHooks(spec: spec, pid: pid, bundle: bundle)
                case "post-restore":
                    // From here on a failure kills the restored init (berth's child).
                    if let pid = response.notifyPID, pid > 0, pidfd < 0 {
                        restoredPID = pid
                        do throws(SyscallError) { pidfd = try Pidfd.openChild(pid) } catch {
                            throw BerthError.system("restore: open the restored init", error)
                        }
                        cleanup.initProcess = Spawn.Child(pid: pid, pidfd: pidfd, placedInCgroup: false)
                    }
                case "orphan-pts-master":
                    // CRIU made a new pty for the restored terminal: its master goes to the
                    // console socket, or berth relays it.
                    guard let fd = received.first else { break }
                    if consoleSocket >= 0 {
                        do throws(SyscallError) { try Terminal.sendMaster(fd, name: "orphan-pts-master", over: consoleSocket) } catch {
                            throw BerthError.system("send the console to the console socket", error)
                        }
                    } else {
                        master = fd
                        received.removeFirst()
                    }
                default:
                    break
                }
                try session.send(CRIURequest(type: .notify, notifySuccess: true))
            }
            if let exit = session.finish(), exit.code != 0 {
                throw BerthError(.system, "criu failed: " + (exit.signal.map { "signal: \($0)" } ?? "exit status \(exit.code)"))
            }
        } catch {
            if master >= 0 { close(master) }
            throw Checkpointer.withLog(error, directory: logDirectory, file: Self.logFile)
        }
        guard restoredPID > 0, pidfd >= 0, let stat = ProcStat.read(pid: restoredPID) else {
            if master >= 0 { close(master) }
            throw BerthError(.system, "criu failed: the restored init is gone")
        }
        mounts.release()

        var nsPaths = NamespacePaths()
        for ns in Namespace.allCases {
            if let joined = spec.linux?.namespaces?.first(where: { $0.type == ns.rawValue && !($0.path ?? "").isEmpty }) {
                nsPaths[ns.rawValue] = joined.path
            } else if spec.linux?.namespaces?.contains(where: { $0.type == ns.rawValue }) == true
                || (ns == .time && !ExecLauncher.sameNamespace(.time, pid: restoredPID))
            {
                // CRIU restores into a time namespace of its own, so clocks do not jump.
                nsPaths[ns.rawValue] = "/proc/\(restoredPID)/ns/\(ns.procName)"
            }
        }
        var record = StateRecord(
            ociVersion: ociSpecVersion, id: id, pid: restoredPID, startTime: stat.startTime,
            bundle: bundle, rootfs: rootfs, created: Clock.rfc3339Nano(), owner: "",
            namespacePaths: nsPaths, cgroupPaths: cgroup.paths, cgroupCreated: cgroup.created,
            cgroupUnified: cgroup.unified, config: document, notifySocket: nil)
        if !netDevices.isEmpty {
            record.netDevices = netDevices
            record.netDeviceNamespace = joinedNetwork ?? pinnedNetwork
        }
        do throws(BerthError) {
            Trace.mark("restore: restored")
            try store.save(record)
            if let pidFile = options.pidFile {
                do throws(SyscallError) {
                    try FileIO.writeAtomically(Paths.absolute(pidFile), Array(String(restoredPID).utf8))
                } catch { throw BerthError.system("write pid file", error) }
            }
        } catch {
            if master >= 0 { close(master) }
            throw error
        }
        debug("restore \(id): init \(restoredPID) restored")
        return Restored(record: record, pidfd: pidfd, master: master)
    }

    /// Makes the mountpoints CRIU needs in the rootfs (bound at `criuRoot`), as `create`
    /// makes them: each config mount's destination, unless it lies in a tmpfs (CRIU
    /// restores a tmpfs with its content). A bind source is bound there for the moment,
    /// so the mountpoints of binds nested in it are made inside that source. Returns the
    /// external mounts with their sources on this host.
    private func prepareMountpoints(
        spec: Spec, bundle: String, rootfs: String, criuRoot: String, cgroup: CgroupSet,
        layout: CgroupLayout, dir: String, mounts: inout TemporaryMounts
    ) throws(BerthError) -> [CheckpointMounts.External] {
        let rooted: RootedPath
        do throws(SyscallError) { rooted = try RootedPath(root: criuRoot) } catch { throw BerthError.system("restore", error) }
        let tmpfs = (spec.mounts ?? []).filter { $0.type == "tmpfs" }.map { CheckpointMounts.normalize($0.destination) }
        do throws(SyscallError) {
            for m in spec.mounts ?? [] where m.type != "cgroup" {
                let destination = CheckpointMounts.normalize(m.destination)
                if tmpfs.contains(where: { destination.hasPrefix($0 + "/") }) { continue }
                let bind = BindSource.isBind(m)
                var isDirectory = true
                if bind {
                    var st = stat()
                    let source = BindSource.path(m, bundle: bundle)
                    guard stat(source, &st) == 0 else { throw SyscallError("stat", source, errno: currentErrno()) }
                    isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
                }
                let target = try rooted.makeMountPoint(destination, directory: isDirectory)
                defer { close(target) }
                if bind { try mounts.bind(BindSource.path(m, bundle: bundle), onto: target, path: destination) }
            }
        } catch { throw BerthError.system("restore: create mountpoint", error) }
        Trace.mark("restore: mountpoints made")
        mounts.releaseBinds()

        // The init layer's files, generated afresh for this host, on a small tmpfs that
        // is detached once CRIU has bound them in.
        let described = CheckpointMounts(spec: spec, bundle: bundle, rootfs: rootfs)
        var layerSources: [String: String] = [:]
        let files = described.initLayerFiles
        if !files.isEmpty {
            let layerDir = dir + "/" + Self.layerDirectory
            let newNetwork = spec.linux?.namespaces?.contains { $0.type == "network" && ($0.path ?? "").isEmpty } == true
            let layer = InitLayer(spec: spec, id: id, newNetwork: newNetwork)
            do throws(SyscallError) {
                try mounts.tmpfs(at: layerDir)
                for (path, content) in layer.files() where files.contains(path) {
                    let file = layerDir + "/" + String(path.split(separator: "/").last!)
                    try FileIO.writeAtomically(file, Array(content.utf8), mode: 0o644)
                    layerSources[path] = file
                    if spec.root?.readonly != true { close(try rooted.makeMountPoint(path, directory: false)) }
                }
            } catch { throw BerthError.system("restore: init layer", error) }
        }
        return described.externals(cgroupPaths: cgroup.paths, layout: layout) { layerSources[$0] ?? $0 }
    }

    /// prestart and createRuntime hooks, once the restored tasks' namespaces exist.
    private func runHooks(spec: Spec, pid: Int32, bundle: String) throws(BerthError) {
        if let hooks = spec.hooks?.prestart, !hooks.isEmpty {
            let state = State(id: id, status: .created, pid: pid, bundle: bundle, annotations: spec.annotations)
            try HookRunner.run(.prestart, hooks, stateJSON: HookRunner.stateJSON(state))
        }
        if let hooks = spec.hooks?.createRuntime, !hooks.isEmpty {
            let state = State(id: id, status: .creating, pid: pid, bundle: bundle, annotations: spec.annotations)
            try HookRunner.run(.createRuntime, hooks, stateJSON: HookRunner.stateJSON(state))
        }
    }

    /// `descriptors.json` of the image: where the dumped init's stdio pointed.
    static func readDescriptors(_ imagePath: String) throws(BerthError) -> [String] {
        let path = imagePath + "/" + Checkpointer.descriptorsFile
        let bytes: [UInt8]
        do throws(SyscallError) { bytes = try FileIO.read(path) } catch {
            // Go's wording, as runc reports a missing image.
            throw BerthError(.invalidSpec, "open \(path): \(errnoText(error.errno))", errno: error.errno.rawValue)
        }
        guard case .array(let items)? = try? JSONValue.parse(bytes) else {
            throw BerthError(.invalidSpec, "\(path): not a list of descriptors")
        }
        return items.map { if case .string(let s) = $0 { s } else { "" } }
    }

    /// The cgroup roots for CRIU: where `pid` (CRIU itself, already in the container's
    /// cgroup) is, per controller; on cgroup v2 one root for all.
    static func cgroupRoots(of pid: Int32) -> [(controller: String?, path: String)] {
        guard let text = try? FileIO.readString("/proc/\(pid)/cgroup") else { return [] }
        var roots: [(controller: String?, path: String)] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3 else { continue }
            if f[1].isEmpty {
                roots.append((nil, String(f[2])))
            } else {
                for controller in f[1].split(separator: ",") { roots.append((String(controller), String(f[2]))) }
            }
        }
        return roots
    }
}

/// The mounts a restore makes on the host for CRIU and removes again: the private bind
/// of the rootfs, temporary binds for nested mountpoints, the init layer's tmpfs.
struct TemporaryMounts {
    private var binds: [String] = []
    private var tops: [String] = []

    mutating func bindPrivately(_ source: String, at path: String) throws(SyscallError) {
        try sys("mkdir", path) { mkdir(path, 0o755) }
        tops.append(path)
        try MountTable.mount(source: source, target: path, type: nil, flags: UInt(MS_BIND) | UInt(MS_REC))
        try MountTable.mount(source: nil, target: path, type: nil, flags: UInt(MS_PRIVATE) | UInt(MS_REC))
    }

    mutating func tmpfs(at path: String) throws(SyscallError) {
        try sys("mkdir", path) { mkdir(path, 0o700) }
        tops.append(path)
        try MountTable.mount(source: "tmpfs", target: path, type: "tmpfs", flags: UInt(MS_NOSUID) | UInt(MS_NODEV), data: "mode=755,size=64k")
        try MountTable.mount(source: nil, target: path, type: nil, flags: UInt(MS_PRIVATE))
    }

    /// Binds `source` onto the mountpoint `target` (an O_PATH descriptor) for the moment.
    mutating func bind(_ source: String, onto target: Int32, path: String) throws(SyscallError) {
        try MountTable.mount(source: source, target: procFDPath(target), type: nil, flags: UInt(MS_BIND) | UInt(MS_REC), errorPath: path)
        binds.append(readLink(procFDPath(target)) ?? path)
    }

    /// Removes the temporary binds, innermost first.
    mutating func releaseBinds() {
        for path in binds.reversed() { _ = umount2(path, Int32(MNT_DETACH)) }
        binds = []
    }

    mutating func release() {
        releaseBinds()
        for path in tops.reversed() {
            _ = umount2(path, Int32(MNT_DETACH))
            rmdir(path)
        }
        tops = []
    }
}
