import BerthCgroups
import BerthSpec
import BerthSystem
import Glibc

/// The parent side of `create`: validates the bundle, makes the state directory and
/// cgroup, clones the init into its namespaces, serves its set-up requests, and records
/// the result. Any failure undoes all of it.
struct Launcher {
    let store: StateStore
    let id: String
    let bundle: String
    let options: CreateOptions
    /// true for `run`: the init waits for a sync message instead of the exec fifo.
    let startImmediately: Bool
    /// berth runs as a non-root user: the container needs a user namespace, cgroups are
    /// used only where delegated, and bind sources are opened by the init.
    var rootless: Bool { geteuid() != 0 }

    struct Launched {
        var record: StateRecord
        /// pidfd of the init (the caller's child).
        var pidfd: Int32
        /// The parent's end of the sync socket, open on the `run` path only.
        var sync: SyncSocket?
        /// On a foreground `run` with a terminal and no console socket, or with
        /// `ProcessIO.terminal`: the socket on which the init sends the pty master, for
        /// berth to relay or to hand to the caller.
        var consoleReceiver: Int32 = -1
        /// The init's standard streams; the caller's ends are open.
        var streams: StandardStreams?
    }

    /// One `--debug` line, built only when the caller wants it.
    func debug(_ text: @autoclosure () -> String) {
        if let handler = options.debugHandler { handler(text()) }
    }

    func launch() throws(BerthError) -> Launched {
        Trace.mark("launch")
        do throws(SpecError) { try ContainerID.validate(id) } catch { throw BerthError.spec(error) }
        let bundlePath = Paths.absolute(bundle)
        var spec: Spec
        let document: JSONValue
        let documentText: [UInt8]?
        do throws(SpecError) {
            (spec, document, documentText) = try SpecLoader.loadDocument(bundle: bundlePath)
            try spec.validate()
        } catch { throw BerthError.spec(error) }
        Trace.mark("spec loaded")
        guard let rootPath = spec.root?.path else { throw BerthError(.invalidSpec, "root: must be set") }
        let rootfs = Paths.canonical(rootPath.hasPrefix("/") ? rootPath : bundlePath + "/" + rootPath)
        var st = stat()
        guard stat(rootfs, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw BerthError(.invalidSpec, "root.path: \(rootfs) does not exist")
        }
        // Unit properties only mean something to systemd, which berth does not drive.
        if let key = spec.annotations?.keys.sorted().first(where: { $0.hasPrefix("org.systemd.property.") }) {
            throw BerthError(
                .invalidSpec,
                "annotations[\"\(key)\"]: systemd unit properties need the systemd cgroup manager; berth lays out cgroups itself, without systemd")
        }
        let process = spec.process
        let terminalToCaller = options.io == .terminal
        if process?.terminal == true && options.consoleSocket == nil && !startImmediately && !terminalToCaller {
            throw BerthError(.invalidSpec, "cannot allocate tty if berth will detach without setting console socket")
        }
        if process?.terminal != true && options.consoleSocket != nil {
            throw BerthError(.invalidSpec, "cannot use console socket if berth will not detach or allocate tty")
        }
        if terminalToCaller && (process?.terminal != true || options.consoleSocket != nil) {
            throw BerthError(
                .invalidSpec,
                process?.terminal != true
                    ? "process.terminal: must be true for a terminal to be handed to the caller (ProcessIO.terminal)"
                    : "a console socket and ProcessIO.terminal both ask for the terminal's master")
        }
        if process?.terminal == true, case .descriptors = options.io {
            throw BerthError(.invalidSpec, "process.terminal: a process with a terminal has it as its stdio, not the descriptors given")
        }
        if process?.terminal == true && options.io == .pipes {
            throw BerthError(.invalidSpec, "process.terminal: a process with a terminal has it as its stdio, not pipes")
        }
        if rootless, let i = (spec.mounts ?? []).firstIndex(where: BindSource.isIDMapped) {
            throw BerthError(.invalidSpec, "mounts[\(i)]: invalid mount: id-mapped mounts are not supported for rootless containers")
        }
        if options.noPivot, let p = spec.linux?.rootfsPropagation, p == "private" || p == "rprivate" {
            throw BerthError(.invalidSpec, "linux.rootfsPropagation: rootfsPropagation of [r]private is not safe without pivot_root")
        }
        if rootless && !(spec.linux?.namespaces ?? []).contains(where: { $0.type == "user" }) {
            throw BerthError(.invalidSpec, "rootless container requires user namespaces (see berth spec --rootless)")
        }
        try PreservedDescriptors.check(first: 3 + options.listenFDs, count: options.preserveFDs)

        let layers: RootfsLayers?
        do throws(SpecError) {
            layers = try RootfsLayers.requested(annotations: spec.annotations, override: options.overlay)
        } catch { throw BerthError.spec(error) }
        if layers != nil && spec.linux?.namespace(.mount) == nil {
            throw BerthError(.invalidSpec, "\(RootfsLayers.overlayAnnotation): a copy-on-write layer needs a mount namespace of the container's own")
        }
        if let policy = spec.linux?.memoryPolicy { try Self.checkHostNodes(policy) }
        try SecurityPreflight.check(spec, warn: options.warningHandler)
        var netDevices: [NetDeviceRecord] = []
        if let devices = spec.linux?.netDevices, !devices.isEmpty {
            // Moving a device out of the host's network namespace needs CAP_NET_ADMIN there.
            if rootless { throw BerthError(.invalidSpec, "linux.netDevices: network devices are not supported for rootless containers") }
            netDevices = try NetDevices.inspect(devices)
        }
        // Read once: the init gets the same layout for the container's cgroup mount.
        let cgroupLayout = CgroupLayout.detect()
        do throws(SyscallError) { try ResourceWriter.checkUnified(spec.linux?.resources, layout: cgroupLayout) } catch {
            throw BerthError(.invalidSpec, error.operation)
        }
        let cgroupPlan: CgroupSet.Plan
        do throws(CgroupPathError) {
            cgroupPlan = try CgroupSet.plan(
                id: id, cgroupsPath: spec.linux?.cgroupsPath, systemd: options.systemdCgroup,
                layout: cgroupLayout)
        } catch { throw BerthError(.invalidSpec, "linux.cgroupsPath: \(error.message)") }
        Trace.mark("validated")
        debug("create \(id): config.json of \(bundlePath) loaded and validated, rootfs \(rootfs)")
        // The directory is made locked, and the lock is held until a failed create has
        // removed everything it made. Before anything else exists, the directory records
        // what will (the intent): whenever berth dies from here on, `list` shows the
        // container and `delete --force` finds all of it.
        let (dir, lockFD) = try store.makeDirectory(id)
        defer { close(lockFD) }
        Trace.mark("state directory")
        var cleanup = Cleanup(store: store, id: id)
        do throws(BerthError) {
            let created = Clock.rfc3339Nano()
            let intent = CreateIntent(
                bundle: bundlePath, rootfs: rootfs, created: created,
                cgroupPaths: cgroupPlan.paths, cgroupToMake: cgroupPlan.missing,
                cgroupUnified: cgroupPlan.unified)
            try store.recordIntent(intent, id: id, lock: lockFD)
            Trace.mark("intent recorded")
            if options.notifySocket != nil { try NotifySocket.prepare(&spec, stateDirectory: dir) }
            if options.listenFDs > 0 {
                let env = spec.process?.env ?? []
                spec.process?.env = env + ["LISTEN_FDS=\(options.listenFDs)", "LISTEN_PID=1"]
            }
            let launched = try launch(
                spec: spec, document: document, documentText: documentText, bundle: bundlePath, rootfs: rootfs, dir: dir,
                intent: intent, lockFD: lockFD, created: created,
                cgroupLayout: cgroupLayout, cgroupPlan: cgroupPlan,
                netDevices: netDevices, layers: layers, cleanup: &cleanup)
            cleanup.disarm()
            return launched
        } catch {
            cleanup.run()
            throw error
        }
    }

    /// `document` is config.json as read (the state record keeps it, written out from
    /// `documentText`, its bytes, when there are); `spec` is the config to run, with what
    /// berth adds (the notify socket, LISTEN_FDS).
    private func launch(
        spec: Spec, document: JSONValue, documentText: [UInt8]?, bundle: String, rootfs: String, dir: String,
        intent: CreateIntent, lockFD: Int32, created: String,
        cgroupLayout: CgroupLayout, cgroupPlan: CgroupSet.Plan,
        netDevices: [NetDeviceRecord], layers: RootfsLayers?, cleanup: inout Cleanup
    ) throws(BerthError) -> Launched {

        var newNamespaces = NamespaceSet()
        var joined: [(Namespace, String)] = []
        for ns in spec.linux?.namespaces ?? [] {
            guard let kind = Namespace(rawValue: ns.type) else { continue }
            if let path = ns.path, !path.isEmpty { joined.append((kind, path)) } else { newNamespaces.insert(kind) }
        }
        let joinOrder: [Namespace] = [.user, .ipc, .uts, .network, .pid, .cgroup, .time, .mount]
        joined.sort { joinOrder.firstIndex(of: $0.0)! < joinOrder.firstIndex(of: $1.0)! }

        var cgroup: CgroupSet
        do throws(SyscallError) {
            cgroup = try CgroupSet.create(cgroupPlan)
        } catch {
            // A non-root user has cgroups only where they were delegated to it. Without
            // them the container runs in the caller's cgroup, unless it asks for limits.
            guard rootless, error.errno == .permissionDenied || error.errno == .notPermitted || error.errno == .readOnlyFileSystem else {
                throw BerthError.system("create cgroup", error)
            }
            if let field = Self.limitField(spec.linux?.resources) {
                throw BerthError(.invalidSpec, "linux.resources.\(field): cannot be applied as a non-root user without a delegated cgroup (\(error))")
            }
            cgroup = CgroupSet(paths: [], created: [], unified: cgroupLayout.mode == .unified)
        }
        Trace.mark("cgroup created")
        debug(
            cgroup.paths.isEmpty
                ? "cgroup: none (no delegated cgroup for a non-root user)"
                : "cgroup: \(cgroup.paths.count == 1 ? cgroup.paths[0] : "\(cgroup.paths.count) hierarchies under \(cgroup.paths[0])") created")
        cleanup.cgroup = cgroup
        // An init placed in a frozen cgroup would stop before it reported back, and berth
        // would wait for it forever; a cgroup that holds processes belongs to something
        // else. runc refuses both, in these words.
        if cgroup.isEffectivelyFrozen(layout: cgroupLayout) {
            throw BerthError(.invalidState, "container's cgroup unexpectedly frozen")
        }
        let occupants = cgroup.pidsInExistingDirectories()
        if !occupants.isEmpty {
            throw BerthError(.invalidState, "container's cgroup is not empty: \(occupants.count) process(es) found")
        }
        if let resources = spec.linux?.resources {
            let warn = options.warningHandler
            do throws(SyscallError) {
                try ResourceWriter(set: cgroup, warn: { SecurityPreflight.emit($0, to: warn) }).apply(resources)
            } catch { throw BerthError(.invalidSpec, "linux.resources: \(error)", errno: error.errno.rawValue) }
        }
        if let rules = spec.linux?.resources?.devices, !cgroup.paths.isEmpty {
            do throws(SyscallError) {
                try DeviceRules.apply(rules, to: cgroup, empty: true)
            } catch { throw BerthError.system("apply device rules", error) }
        }
        Trace.mark("resources applied")
        if spec.linux?.resources != nil { debug("cgroup: linux.resources applied") }

        var stateDirFD: Int32 = -1
        if !startImmediately {
            let fifo = dir + "/" + StateStore.fifoFile
            // 0622 exactly (not trimmed by the umask): the init opens it for writing after
            // switching to the container's user, which may be any host uid.
            if mkfifo(fifo, 0o622) != 0 || chmod(fifo, 0o622) != 0 {
                throw BerthError.system("create exec fifo", SyscallError("mkfifo", fifo, errno: currentErrno()))
            }
            // A detached clone of the directory, not the directory: `..` from the root of a
            // detached mount stays there, so this descriptor, which the init holds until
            // `start`, leads nowhere else on the host if a config names /proc/self/fd/N as
            // process.cwd or in process.args (CVE-2024-21626 class).
            // A non-root parent may not clone mounts of the host's mount namespace: its init
            // makes the clone itself, in its own mount namespace.
            if !rootless {
                do throws(SyscallError) { stateDirFD = try MountTree.clone(AT_FDCWD, dir, recursive: false) } catch {
                    throw BerthError.system("open state directory", error)
                }
            }
            Trace.mark("exec fifo")
        }
        defer { if stateDirFD >= 0 { close(stateDirFD) } }

        let (consoleFD, consoleReceiver) = try Console.endpoints(
            socketPath: options.consoleSocket,
            relay: (startImmediately || options.io == .terminal) && spec.process?.terminal == true)
        defer { if consoleFD >= 0 { close(consoleFD) } }
        var receiverKept = false
        defer { if !receiverKept && consoleReceiver >= 0 { close(consoleReceiver) } }
        let streams = try StandardStreams(options.io)
        var streamsKept = false
        defer { if !streamsKept { streams.closeAll() } }
        var pidfdSocket = try PidfdSocket.connect(options.pidfdSocket)
        defer { if pidfdSocket >= 0 { close(pidfdSocket) } }

        // The copy-on-write layer, before the clone: the init's mount namespace, a copy of
        // this one, must find the volatile layers' tmpfs mounted.
        var layer: ContainerLayer?
        if let layers {
            var workOwner: (uid: UInt32, gid: UInt32)?
            if !rootless && newNamespaces.contains(.user),
                let uid = spec.linux?.uidMappings?.first(where: { $0.containerID == 0 }),
                let gid = spec.linux?.gidMappings?.first(where: { $0.containerID == 0 })
            {
                workOwner = (uid.hostID, gid.hostID)
            }
            layer = try ContainerLayer.prepare(
                layers, rootfs: rootfs, root: store.root, id: id, stateDirectory: dir,
                workOwner: workOwner)
            cleanup.layer = layer
            Trace.mark("layer")
            debug("layer: \(layer!.kept ? "kept" : "volatile") layer \(layer!.directory) over \(layer!.lowers.count) read-only layer(s)")
        }

        let overlay = layer.map(OverlayRootfs.init)

        // No mount namespace of its own (runc allows it): the container's mounts are made
        // in the host's, below a bind of the rootfs that berth makes and removes.
        var hostRootfs: HostRootfsMount?
        if spec.linux?.namespace(.mount) == nil {
            hostRootfs = try HostRootfsMount.bind(rootfs)
            cleanup.hostRootfs = hostRootfs
            // A mount on the host: into the intent at once (its id is known only now).
            var withMount = intent
            withMount.hostRootfsMount = hostRootfs
            try store.recordIntent(withMount, id: id, lock: lockFD)
            Trace.mark("host rootfs mount")
        }

        let pair: (parent: SyncSocket, child: SyncSocket)
        do throws(SyscallError) { pair = try SyncSocket.pair() } catch { throw BerthError.system("create sync socket", error) }

        // Bind sources: a container with a user namespace (and a root berth) gets them
        // from berth, opened in its mount namespace once it exists (MountSourceHelper);
        // otherwise the init opens each at its turn. Id-mapped mounts need their user
        // namespaces first, made here, before the clone.
        let joinedUserPath = joined.first(where: { $0.0 == .user })?.1
        let initInUserNS = newNamespaces.contains(.user) || joinedUserPath != nil
        let sourcesFromParent = !rootless && initInUserNS && (spec.mounts ?? []).contains(where: BindSource.isBind)
        let idmap =
            (spec.mounts ?? []).contains(where: BindSource.isIDMapped)
            ? try IDMapNamespaces(spec: spec, joinedUserNamespace: joinedUserPath) : IDMapNamespaces()
        defer { idmap.close() }

        var flags: UInt64 = 0
        for ns in newNamespaces.members where ns != .cgroup && ns != .time { flags |= UInt64(ns.cloneFlag) }

        // Joining an existing user namespace: the new namespaces must be owned by it, so
        // they are made by a clone from inside it. And with any user namespace, the other
        // namespaces to join must be joined before the init is in it (see NamespaceJoin).
        // In both cases an intermediate child joins them and clones the init for us
        // (CLONE_PARENT), then exits.
        let joinedUser = joined.contains { $0.0 == .user }
        let joinsEarly = joinedUser || (newNamespaces.contains(.user) && joined.contains { $0.0 != .pid })
        let firstFlags = joinsEarly ? 0 : flags
        let overlaps = Self.hostSetUpOverlapsMounts(
            spec: spec, rootless: rootless, initInUserNS: initInUserNS,
            joinsEarly: joinsEarly, newNamespaces: newNamespaces,
            netDevices: !netDevices.isEmpty, sourcesFromParent: sourcesFromParent)
        Trace.mark("clone")
        debug(
            "namespaces: cloning the init with new " + (newNamespaces.members.map(\.rawValue).sorted().joined(separator: ", "))
                + (joined.isEmpty ? "" : "; joining " + joined.map { "\($0.0.rawValue) \($0.1)" }.joined(separator: ", ")))
        let spawned: Spawn.Child?
        do throws(BerthError) {
            spawned = try Spawn(
                flags: firstFlags, cgroupFD: cgroup.cloneIntoFD,
                pidNamespace: joined.first { $0.0 == .pid }.map { .path($0.1) },
                child: "container init", stdio: streams.childEnds,
                // ContainerRuntime.create and run counted the threads on entry.
                knownSingleThreaded: true
            ).clone()
        } catch {
            pair.parent.close(); pair.child.close()
            throw error
        }
        guard let spawned else {
            pair.parent.close()
            if joinsEarly { Self.cloneInitFromJoinedNamespaces(joined, flags: flags, sync: pair.child) }
            // The container init. It never returns.
            ContainerInit.run(
                InitContext(
                    id: id, spec: spec, bundle: bundle, rootfs: rootfs, sync: pair.child, stateDirectory: dir,
                    stateDirFD: stateDirFD, waitsOnFifo: !startImmediately, consoleSocketFD: consoleFD,
                    relaysTerminal: consoleReceiver >= 0 && options.io != .terminal, noPivot: options.noPivot,
                    noNewKeyring: options.noNewKeyring, cgroupPaths: cgroup.paths, cgroupLayout: cgroupLayout,
                    preserveFDs: options.listenFDs + options.preserveFDs, debug: options.debugHandler != nil,
                    mountSourcesFromParent: sourcesFromParent, idmapNamespaces: sourcesFromParent ? MountDescriptors() : idmap.byMount,
                    newNamespaces: newNamespaces, joinedNamespaces: joined, joinedBeforeClone: joinsEarly,
                    overlay: overlay, hostSetUpWhileMounting: overlaps))
        }
        pair.child.close()
        streams.closeChildEnds()
        var (pid, pidfd) = (spawned.pid, spawned.pidfd)
        let placedByClone = spawned.placedInCgroup
        var early: [SyncMessage] = []
        if joinsEarly {
            (pid, pidfd, early) = try SiblingClone.adopt(intermediate: pid, pidfd: pidfd, sync: pair.parent)
        }
        cleanup.initProcess = Spawn.Child(pid: pid, pidfd: pidfd, placedInCgroup: placedByClone)
        debug("namespaces: init cloned, host pid \(pid)")

        guard let stat = ProcStat.read(pid: pid) else {
            throw BerthError(.system, "container init exited during set-up")
        }
        var nsPaths = NamespacePaths()
        for ns in Namespace.allCases {
            if let j = joined.first(where: { $0.0 == ns }) {
                nsPaths[ns.rawValue] = j.1
            } else if newNamespaces.contains(ns) {
                nsPaths[ns.rawValue] = "/proc/\(pid)/ns/\(ns.procName)"
            }
        }
        var record = StateRecord(
            ociVersion: ociSpecVersion, id: id, pid: pid, startTime: stat.startTime,
            bundle: bundle, rootfs: rootfs, created: created, owner: "",
            namespacePaths: nsPaths, cgroupPaths: cgroup.paths, cgroupCreated: cgroup.created,
            cgroupUnified: cgroup.unified, config: document, notifySocket: options.notifySocket,
            runtimeBinary: ExecGuard.runtimeIdentity)
        record.configText = documentText
        record.hostRootfsMount = hostRootfs
        record.layer = layer
        var moveDevices: (() throws(BerthError) -> Void)?
        if !netDevices.isEmpty {
            // A joined network namespace lives on with its owner; a new one is pinned in the
            // state directory, so the devices outlive the container's processes until delete.
            let joinedNetwork = joined.first(where: { $0.0 == .network })?.1
            let namespacePath = joinedNetwork ?? dir + "/" + StateStore.networkPin
            record.netDevices = netDevices
            record.netDeviceNamespace = namespacePath
            cleanup.netDevices = netDevices
            cleanup.netDeviceNamespace = namespacePath
            moveDevices = { [pid] () throws(BerthError) in
                if joinedNetwork == nil { _ = try NetDevices.pin(pid: pid, directory: dir) }
                try NetDevices.moveIn(netDevices, namespacePath: namespacePath)
            }
        }
        // The state file is written while the init builds its rootfs on the other core; a
        // failure later removes it with the rest of the directory.
        let sendMountSources = { () throws(BerthError) in
            guard sourcesFromParent else { return }
            try MountSourceHelper.serve(
                spec: spec, bundle: bundle, initPidfd: pidfd,
                mountNamespace: joined.first(where: { $0.0 == .mount })?.1, idmap: idmap, to: pair.parent)
        }
        try serveSetUp(
            pid: pid, spec: spec, stateBundle: bundle, sync: pair.parent, first: early, cgroup: cgroup,
            ignoredSignals: stat.ignoredSignals, cgroupPlaced: placedByClone, userNS: newNamespaces.contains(.user),
            timeNS: newNamespaces.contains(.time), moveDevices: moveDevices,
            beforeHostSetUpDone: sendMountSources
        ) {
            [record] () throws(BerthError) in
            try store.save(record)
            Trace.mark("state saved")
        }
        Trace.mark("init ready")
        debug("create \(id): state saved, init \(pid) set up" + (startImmediately ? "" : " and waiting for start"))
        if let pidFile = options.pidFile {
            do throws(SyscallError) {
                try FileIO.writeAtomically(Paths.absolute(pidFile), Array(String(pid).utf8))
            } catch { throw BerthError.system("write pid file", error) }
            Trace.mark("pid file")
        }
        if pidfdSocket >= 0 {
            defer { pidfdSocket = -1 }
            try PidfdSocket.send(pidfd, over: pidfdSocket, kind: PidfdSocket.initKind)
        }
        (receiverKept, streamsKept) = (true, true)
        if startImmediately {
            return Launched(
                record: record, pidfd: pidfd, sync: pair.parent, consoleReceiver: consoleReceiver,
                streams: streams)
        }
        pair.parent.close()
        return Launched(record: record, pidfd: pidfd, sync: nil, consoleReceiver: consoleReceiver, streams: streams)
    }

    /// A failure the init has reported and not been read yet (what it sent before is
    /// passed on; nothing is waited for).
    static func pendingFailure(_ sync: SyncSocket, warn: (@Sendable (String) -> Void)?) -> BerthError? {
        while true {
            var ready = pollfd(fd: sync.fd, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 0) == 1, let message = try? sync.receive() else { return nil }
            switch message {
            case .failed(let error): return error
            case .warning(let text): SecurityPreflight.emit(text, to: warn)
            default: continue
            }
        }
    }

    /// Whether the parent's host set-up can run while the init makes its mounts, rather
    /// than before: when the init needs none of it until its mounts are made. Not with a
    /// user namespace (the maps come first), a cgroup namespace (made after the join, and
    /// the cgroup mounts in it), a time namespace (offsets before it is entered), prestart
    /// or createRuntime hooks (they see the container as runc shows it to them), network
    /// devices, or bind sources the parent opens for the init; not as a non-root user.
    static func hostSetUpOverlapsMounts(
        spec: Spec, rootless: Bool, initInUserNS: Bool, joinsEarly: Bool,
        newNamespaces: NamespaceSet, netDevices: Bool, sourcesFromParent: Bool
    ) -> Bool {
        guard !rootless, !initInUserNS, !joinsEarly, !netDevices, !sourcesFromParent else { return false }
        guard !newNamespaces.contains(.cgroup), !newNamespaces.contains(.time) else { return false }
        if spec.hooks?.prestart?.isEmpty == false || spec.hooks?.createRuntime?.isEmpty == false { return false }
        return true
    }

    /// The intermediate child: joins the namespaces to join (a user namespace among
    /// them, or before the init makes a new one) and clones the init into new namespaces,
    /// owned by the joined user namespace if there is one; returns in the init.
    private static func cloneInitFromJoinedNamespaces(_ joined: [(Namespace, String)], flags: UInt64, sync: SyncSocket) {
        do throws(InitError) { try NamespaceJoin.join(joined) } catch {
            sync.report(BerthError(childFailure: error))
            _exit(1)
        }
        do throws(SyscallError) { try SiblingClone.clone(flags: flags, sync: sync) } catch {
            sync.report(BerthError(.system, "clone container init: \(error)", errno: error.errno.rawValue))
            _exit(1)
        }
    }

    /// Answers the init's requests until it reports ready or fails.
    /// `ignoredSignals`: what the init inherited as ignored (its /proc/<pid>/stat), to
    /// reset before the container's process inherits it through execve.
    private func serveSetUp(
        pid: Int32, spec: Spec, stateBundle: String, sync: SyncSocket,
        first: [SyncMessage], cgroup: CgroupSet, ignoredSignals: UInt64,
        cgroupPlaced: Bool, userNS: Bool, timeNS: Bool, moveDevices: (() throws(BerthError) -> Void)?,
        beforeHostSetUpDone: () throws(BerthError) -> Void,
        whileInitWorks: () throws(BerthError) -> Void
    ) throws(BerthError) {
        var pending = first
        while true {
            let received: SyncMessage?
            do throws(SyscallError) {
                if !pending.isEmpty { received = pending.removeFirst() } else { received = try sync.receive() }
            } catch {
                throw BerthError.system("read from container init", error)
            }
            // The init died without reporting (killed, e.g. by the OOM killer under a too
            // small memory limit, or by a racing `kill`): the stream ends, or a message to
            // it finds its end closed. Say how it ended.
            func exitedDuringSetUp() -> BerthError {
                var status: Int32 = 0
                var how = ""
                if waitpid(pid, &status, 0) == pid {
                    let exit = ExitStatus(rawWaitStatus: status)
                    let limited = spec.linux?.resources?.memory?.limit != nil
                    how =
                        exit.signal.map {
                            ": killed by signal \($0)\($0 == SIGKILL && limited ? " (out of memory under linux.resources.memory?)" : "")"
                        }
                        ?? ": exit status \(exit.code)"
                }
                return BerthError(.system, "container init exited during set-up" + how)
            }
            func sendFailed(_ error: SyscallError) -> BerthError {
                if error.errno == .brokenPipe || error.errno == .connectionReset { return exitedDuringSetUp() }
                return BerthError.system("set up container init", error)
            }
            guard let message = received else { throw exitedDuringSetUp() }
            switch message {
            case .warning(let text):
                SecurityPreflight.emit(text, to: options.warningHandler)
            case .debug(let text):
                debug(text)
            case .seccompListener(let fd):
                try SeccompListener.forward(fd, spec: spec, id: id, pid: pid, bundle: stateBundle)
                do throws(SyscallError) { try sync.send(.seccompListenerForwarded) } catch { throw sendFailed(error) }
            case .requestHostSetUp:
                do throws(BerthError) {
                    if userNS {
                        try IDMaps.write(pid: pid, linux: spec.linux)
                        debug("namespaces: uid and gid maps of the user namespace written")
                    }
                    try ProcessLimits.raiseHardLimits(spec.process?.rlimits, of: pid)
                    try beforeHostSetUpDone()
                    // The init has unshared its time namespace and not entered it yet.
                    if timeNS { try TimeOffsets.write(pid: pid, offsets: spec.linux?.timeOffsets ?? [:]) }
                    do throws(SyscallError) {
                        Trace.mark("maps")
                        if !cgroupPlaced { try cgroup.join(pid: pid) }
                        if let adj = spec.process?.oomScoreAdj {
                            try FileIO.write("/proc/\(pid)/oom_score_adj", Array(String(adj).utf8))
                        }
                        Trace.mark("cgroup joined")
                    } catch { throw BerthError.system("set up container init", error) }
                    if !cgroup.paths.isEmpty {
                        debug(cgroupPlaced ? "cgroup: init cloned straight into its cgroup" : "cgroup: init \(pid) joined its cgroup")
                    }
                    // Network devices move in once the namespaces exist and before any hook
                    // runs. The state file goes first: it is what `delete` needs to bring them
                    // back if berth dies half-way.
                    var saved = false
                    if let moveDevices {
                        try whileInitWorks()
                        saved = true
                        try moveDevices()
                        Trace.mark("network devices")
                    }
                    // prestart (deprecated) and createRuntime hooks run here, in the runtime's
                    // namespaces, once the container's namespaces and cgroup exist. prestart
                    // reads status `created`, as crun sends it and the runtime-spec validation
                    // expects; createRuntime `creating`.
                    if let hooks = spec.hooks?.prestart, !hooks.isEmpty {
                        let state = State(id: id, status: .created, pid: pid, bundle: stateBundle, annotations: spec.annotations)
                        try HookRunner.run(.prestart, hooks, stateJSON: HookRunner.stateJSON(state))
                    }
                    if let hooks = spec.hooks?.createRuntime, !hooks.isEmpty {
                        let state = State(id: id, status: .creating, pid: pid, bundle: stateBundle, annotations: spec.annotations)
                        try HookRunner.run(.createRuntime, hooks, stateJSON: HookRunner.stateJSON(state))
                    }
                    if spec.hooks?.prestart?.isEmpty == false || spec.hooks?.createRuntime?.isEmpty == false {
                        debug("hooks: prestart and createRuntime hooks ran")
                    }
                    do throws(SyscallError) {
                        if ignoredSignals != 0 { try sync.send(.resetSignals(ignoredSignals)) }
                        try sync.send(.hostSetUpDone)
                    } catch { throw sendFailed(error) }
                    if !saved { try whileInitWorks() }
                } catch {
                    // Overlapping the init's mounts, the set-up can fail
                    // because the init failed meanwhile (a closed socket, a pid gone from
                    // cgroup.procs): then its report says what went wrong.
                    if let report = Self.pendingFailure(sync, warn: options.warningHandler) {
                        throw BerthError.containerProcess(report)
                    }
                    throw error
                }
            case .awaitingStart:
                // state.json is written by now: only then may the init wait for `start`,
                // where it outlives berth (were berth to die before, it exits at the end of
                // the sync stream, rather than wait where no record leads to it).
                if !startImmediately {
                    do throws(SyscallError) { try sync.send(.stateRecorded) } catch { throw sendFailed(error) }
                }
                return
            case .failed(let error):
                throw BerthError.containerProcess(error)
            default:
                throw BerthError(.system, "unexpected message \(message) from container init")
            }
        }
    }

    /// The nodes of `linux.memoryPolicy` must be NUMA nodes this host can have
    /// (/sys/devices/system/node/possible); a kernel without NUMA has no such file, and
    /// set_mempolicy(2) then says what is wrong.
    static func checkHostNodes(_ policy: LinuxMemoryPolicy) throws(BerthError) {
        guard !policy.isEmpty, case .success(let nodes) = CPUList.parse(policy.nodes, limit: MemoryPolicyTable.maxNode),
            let text = (try? FileIO.readString("/sys/devices/system/node/possible"))?.split(separator: "\n").first,
            case .success(let possible) = CPUList.parse(String(text), limit: MemoryPolicyTable.maxNode)
        else { return }
        if let node = nodes.first(where: { !possible.contains($0) }) {
            throw BerthError(
                .invalidSpec, "linux.memoryPolicy.nodes: invalid memory policy node \(node): not a NUMA node of this host (nodes \(text))")
        }
    }

    /// The first resource field that needs a cgroup, if any (device rules do not: a user
    /// namespace cannot create device nodes anyway).
    static func limitField(_ r: LinuxResources?) -> String? {
        guard let r else { return nil }
        let fields: [(String, Bool)] = [
            ("memory", r.memory != nil), ("cpu", r.cpu != nil), ("pids", r.pids != nil), ("blockIO", r.blockIO != nil),
            ("hugepageLimits", !(r.hugepageLimits ?? []).isEmpty), ("network", r.network != nil),
            ("rdma", !(r.rdma ?? [:]).isEmpty), ("unified", !(r.unified ?? [:]).isEmpty),
        ]
        return fields.first { $0.1 }?.0
    }
}
