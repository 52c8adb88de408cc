import BerthCgroups
import BerthSpec
import BerthSystem
import CBerth
import FoundationEssentials
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

    struct Launched {
        var record: StateRecord
        /// pidfd of the init (the caller's child).
        var pidfd: Int32
        /// The parent's end of the sync socket, open on the `run` path only.
        var sync: SyncSocket?
        /// On a foreground `run` with a terminal and no console socket: the socket on
        /// which the init sends the pty master, for berth to relay.
        var consoleReceiver: Int32 = -1
    }

    func launch() throws(BerthError) -> Launched {
        Trace.mark("launch")
        do throws(SpecError) { try ContainerID.validate(id) } catch { throw BerthError.spec(error) }
        let bundlePath = Self.absolute(bundle)
        let spec: Spec
        do throws(SpecError) {
            spec = try SpecLoader.load(bundle: bundlePath)
            try spec.validate()
        } catch { throw BerthError.spec(error) }
        Trace.mark("spec loaded")
        guard let rootPath = spec.root?.path else { throw BerthError(.invalidSpec, "root: must be set") }
        let rootfs = Self.canonical(rootPath.hasPrefix("/") ? rootPath : bundlePath + "/" + rootPath)
        var st = stat()
        guard stat(rootfs, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw BerthError(.invalidSpec, "root.path: \(rootfs) does not exist")
        }
        // Unit properties only mean something to systemd, which berth does not drive.
        if let key = spec.annotations?.keys.sorted().first(where: { $0.hasPrefix("org.systemd.property.") }) {
            throw BerthError(.invalidSpec, "annotations[\"\(key)\"]: systemd unit properties need the systemd cgroup manager; berth lays out cgroups itself, without systemd")
        }
        let process = spec.process
        if process?.terminal == true && options.consoleSocket == nil && !startImmediately {
            throw BerthError(.invalidSpec, "cannot allocate tty if berth will detach without setting console socket")
        }
        if process?.terminal != true && options.consoleSocket != nil {
            throw BerthError(.invalidSpec, "cannot use console socket if berth will not detach or allocate tty")
        }

        try SecurityPreflight.check(spec, warn: options.warningHandler)
        Trace.mark("validated")
        let dir = try store.makeDirectory(id)
        // The lock is held until a failed create has removed everything it made.
        let lockFD: Int32
        do throws(BerthError) { lockFD = try store.lock(id) } catch {
            try? store.remove(id)
            throw error
        }
        defer { close(lockFD) }
        var cleanup = Cleanup(store: store, id: id)
        do throws(BerthError) {
            let launched = try launch(spec: spec, bundle: bundlePath, rootfs: rootfs, dir: dir, lockFD: lockFD,
                                      cleanup: &cleanup)
            cleanup.disarm()
            return launched
        } catch {
            cleanup.run()
            throw error
        }
    }

    private func launch(spec: Spec, bundle: String, rootfs: String, dir: String, lockFD: Int32,
                        cleanup: inout Cleanup) throws(BerthError) -> Launched
    {

        var newNamespaces = Set<Namespace>()
        var joined: [(Namespace, String)] = []
        for ns in spec.linux?.namespaces ?? [] {
            guard let kind = Namespace(rawValue: ns.type) else { continue }
            if let path = ns.path, !path.isEmpty { joined.append((kind, path)) } else { newNamespaces.insert(kind) }
        }
        let joinOrder: [Namespace] = [.user, .ipc, .uts, .network, .pid, .cgroup, .time, .mount]
        joined.sort { joinOrder.firstIndex(of: $0.0)! < joinOrder.firstIndex(of: $1.0)! }

        // Read once: the init gets the same layout for the container's cgroup mount.
        let cgroupLayout = CgroupLayout.detect()
        let cgroup: CgroupSet
        do throws(SyscallError) {
            cgroup = try CgroupSet.create(id: id, cgroupsPath: spec.linux?.cgroupsPath, systemd: options.systemdCgroup,
                                          layout: cgroupLayout)
        } catch { throw BerthError.system("create cgroup", error) }
        Trace.mark("cgroup created")
        cleanup.cgroup = cgroup
        if let resources = spec.linux?.resources {
            do throws(SyscallError) {
                try ResourceWriter(set: cgroup).apply(resources)
            } catch { throw BerthError(.invalidSpec, "linux.resources: \(error)", errno: error.errno.rawValue) }
        }
        if let rules = spec.linux?.resources?.devices {
            do throws(SyscallError) {
                try DeviceRules.apply(rules, to: cgroup)
            } catch { throw BerthError.system("apply device rules", error) }
        }

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
            stateDirFD = berth_open_tree(AT_FDCWD, dir, 1 /* OPEN_TREE_CLONE */ | UInt32(O_CLOEXEC))
            if stateDirFD < 0 { throw BerthError.system("open state directory", SyscallError("open_tree", dir, errno: currentErrno())) }
        }
        defer { if stateDirFD >= 0 { close(stateDirFD) } }

        var consoleFD: Int32 = -1
        var consoleReceiver: Int32 = -1
        if let socketPath = options.consoleSocket {
            do throws(SyscallError) { consoleFD = try Terminal.connectConsoleSocket(socketPath) } catch {
                throw BerthError.system("connect console socket", error)
            }
        } else if startImmediately && spec.process?.terminal == true {
            var pair: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
                throw BerthError.system("create console socket", SyscallError("socketpair", errno: currentErrno()))
            }
            consoleFD = pair[1]
            consoleReceiver = pair[0]
        }
        defer { if consoleFD >= 0 { close(consoleFD) } }

        let pair: (parent: SyncSocket, child: SyncSocket)
        do throws(SyscallError) { pair = try SyncSocket.pair() } catch { throw BerthError.system("create sync socket", error) }

        var mountSources: [Int: Int32] = [:]
        defer { for fd in mountSources.values { close(fd) } }
        for (index, m) in (spec.mounts ?? []).enumerated()
        where m.type == "bind" || (m.options ?? []).contains(where: { $0 == "bind" || $0 == "rbind" }) {
            var source = m.source ?? ""
            if !source.hasPrefix("/") { source = bundle + "/" + source }
            // A detached copy of the source tree, made with the host's privileges; the init
            // attaches it with move_mount, which works across mount and user namespaces
            // where a classic bind mount from an inherited fd does not.
            let recursive = (m.options ?? []).contains("rbind")
            let fd = berth_open_tree(AT_FDCWD, source, 1 /* OPEN_TREE_CLONE */ | UInt32(O_CLOEXEC)
                                     | (recursive ? 0x8000 /* AT_RECURSIVE */ : 0))
            guard fd >= 0 else {
                throw BerthError.system("mounts[\(index)] (\(m.destination))", SyscallError("stat", source, errno: currentErrno()))
            }
            mountSources[index] = fd
        }

        var flags: UInt64 = 0
        for ns in newNamespaces where ns != .cgroup && ns != .time { flags |= UInt64(ns.cloneFlag) }

        // A pid namespace is joined by the parent: setns(CLONE_NEWPID) only affects
        // children created afterwards.
        var restorePID: Int32 = -1
        if let pidPath = joined.first(where: { $0.0 == .pid })?.1 {
            restorePID = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)
            do throws(SyscallError) { try Namespace.pid.join(path: pidPath) } catch {
                close(restorePID)
                throw BerthError.system("join pid namespace", error)
            }
        }
        Trace.mark("clone")
        var cloned: (pid: Int32, pidfd: Int32)?
        var placedByClone = cgroup.cloneIntoFD >= 0
        do throws(SyscallError) {
            do throws(SyscallError) {
                cloned = try Clone.clone(flags: flags, cgroupFD: cgroup.cloneIntoFD)
            } catch {
                // CLONE_INTO_CGROUP can be refused (an older kernel, a threaded or
                // otherwise unusable target): clone plainly and write cgroup.procs instead.
                guard placedByClone else { throw error }
                placedByClone = false
                cloned = try Clone.clone(flags: flags, cgroupFD: -1)
            }
        } catch {
            if restorePID >= 0 { _ = berth_setns(restorePID, Namespace.pid.cloneFlag); close(restorePID) }
            pair.parent.close(); pair.child.close()
            throw BerthError.system("clone container init", error)
        }
        guard let (pid, pidfd) = cloned else {
            // The container init. It never returns.
            pair.parent.close()
            ContainerInit.run(InitContext(
                id: id, spec: spec, bundle: bundle, rootfs: rootfs, sync: pair.child, stateDirectory: dir,
                stateDirFD: stateDirFD, consoleSocketFD: consoleFD, noPivot: options.noPivot,
                noNewKeyring: options.noNewKeyring, cgroupPaths: cgroup.paths, cgroupLayout: cgroupLayout,
                preserveFDs: options.preserveFDs, parentFDs: [lockFD, restorePID, consoleReceiver, cgroup.cloneIntoFD].filter { $0 >= 0 }, mountSourceFDs: mountSources, newNamespaces: newNamespaces, joinedNamespaces: joined))
        }
        if restorePID >= 0 { _ = berth_setns(restorePID, Namespace.pid.cloneFlag); close(restorePID) }
        pair.child.close()
        cleanup.pidfd = pidfd
        cleanup.pid = pid

        guard let stat = ProcStat.read(pid: pid) else {
            throw BerthError(.system, "container init exited during set-up")
        }
        var nsPaths: [String: String] = [:]
        for ns in Namespace.allCases {
            if let j = joined.first(where: { $0.0 == ns }) { nsPaths[ns.rawValue] = j.1 }
            else if newNamespaces.contains(ns) { nsPaths[ns.rawValue] = "/proc/\(pid)/ns/\(ns.procName)" }
        }
        let record = StateRecord(
            ociVersion: ociSpecVersion, id: id, pid: pid, startTime: stat.startTime,
            bundle: bundle, rootfs: rootfs, created: Clock.rfc3339Nano(), owner: "",
            namespacePaths: nsPaths, cgroupPaths: cgroup.paths, cgroupCreated: cgroup.created,
            cgroupUnified: cgroup.unified, config: spec)
        // The state file is written while the init builds its rootfs on the other core; a
        // failure later removes it with the rest of the directory.
        try serveSetUp(pid: pid, spec: spec, stateBundle: bundle, sync: pair.parent, cgroup: cgroup, cgroupPlaced: placedByClone, userNS: newNamespaces.contains(.user)) {
            () throws(BerthError) in
            try store.save(record)
        }
        Trace.mark("init ready")
        if let pidFile = options.pidFile {
            do throws(SyscallError) {
                try FileIO.writeAtomically(Self.absolute(pidFile), Array(String(pid).utf8))
            } catch { throw BerthError.system("write pid file", error) }
        }
        if startImmediately {
            return Launched(record: record, pidfd: pidfd, sync: pair.parent, consoleReceiver: consoleReceiver)
        }
        pair.parent.close()
        return Launched(record: record, pidfd: pidfd, sync: nil)
    }

    /// Answers the init's requests until it reports ready or fails.
    private func serveSetUp(pid: Int32, spec: Spec, stateBundle: String, sync: SyncSocket, cgroup: CgroupSet,
                            cgroupPlaced: Bool, userNS: Bool,
                            whileInitWorks: () throws(BerthError) -> Void) throws(BerthError) {
        while true {
            let message: (SyncSocket.Tag, [UInt8], Int32)?
            do throws(SyscallError) { message = try sync.receiveWithFD() } catch {
                throw BerthError.system("read from container init", error)
            }
            guard let (tag, payload, attached) = message else {
                // The init died without reporting (killed, e.g. by the OOM killer under a
                // too small memory limit): say how.
                var status: Int32 = 0
                var how = ""
                if waitpid(pid, &status, 0) == pid {
                    let exit = ExitStatus(rawWaitStatus: status)
                    how = exit.signal.map { ": killed by signal \($0)\($0 == SIGKILL ? " (out of memory under linux.resources.memory?)" : "")" }
                        ?? ": exit status \(exit.code)"
                }
                throw BerthError(.system, "container init exited during set-up" + how)
            }
            if attached >= 0 && tag != .seccompListener { close(attached) }
            switch tag {
            case .seccompListener:
                try SeccompListener.forward(attached, spec: spec, id: id, pid: pid, bundle: stateBundle)
                do throws(SyscallError) { try sync.send(.seccompListenerDone) } catch {
                    throw BerthError.system("set up container init", error)
                }
            case .needMaps:
                do throws(SyscallError) {
                    Trace.mark("maps")
                    if userNS { try writeIDMaps(pid: pid, linux: spec.linux) }
                    if !cgroupPlaced { try cgroup.join(pid: pid) }
                    if let adj = spec.process?.oomScoreAdj {
                        try FileIO.write("/proc/\(pid)/oom_score_adj", Array(String(adj).utf8))
                    }
                    Trace.mark("cgroup joined")
                } catch { throw BerthError.system("set up container init", error) }
                // prestart (deprecated) and createRuntime hooks run here, in the runtime's
                // namespaces, once the container's namespaces and cgroup exist. The init
                // gets the state document for the hooks it runs itself.
                let hookState = HookRunner.stateJSON(ContainerState(
                    ociVersion: ociSpecVersion, id: id, pid: pid, status: .creating, bundle: stateBundle,
                    rootfs: "", created: "", annotations: spec.annotations, owner: ""))
                if let hooks = spec.hooks {
                    try HookRunner.run((hooks.prestart ?? []) + (hooks.createRuntime ?? []), stateJSON: hookState, fatal: true)
                }
                do throws(SyscallError) { try sync.send(.mapsDone, hookState) } catch {
                    throw BerthError.system("set up container init", error)
                }
                try whileInitWorks()
            case .ready:
                return
            case .error:
                let errno = payload.count >= 4 ? payload.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) } : 0
                let text = String(decoding: payload.dropFirst(4), as: UTF8.self)
                throw BerthError(.system, "unable to start container process: " + text, errno: errno)
            default:
                throw BerthError(.system, "unexpected message \(tag) from container init")
            }
        }
    }

    private func writeIDMaps(pid: Int32, linux: Linux?) throws(SyscallError) {
        func text(_ maps: [LinuxIDMapping]?) -> [UInt8] {
            Array((maps ?? []).map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined().utf8)
        }
        let uid = text(linux?.uidMappings)
        let gid = text(linux?.gidMappings)
        if !uid.isEmpty { try FileIO.write("/proc/\(pid)/uid_map", uid) }
        if !gid.isEmpty { try FileIO.write("/proc/\(pid)/gid_map", gid) }
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return canonical(path) }
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX))
        guard getcwd(&buf, buf.count) != nil else { return path }
        return canonical(String(cString: buf) + "/" + path)
    }

    /// `path` with `.` and empty components removed and `..` applied lexically.
    static func canonical(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}

/// Undoes a half-made container: kills the init, removes the cgroup and state directory.
struct Cleanup {
    let store: StateStore
    let id: String
    var pid: Int32 = 0
    var pidfd: Int32 = -1
    var cgroup: CgroupSet?
    private var armed = true

    init(store: StateStore, id: String) {
        self.store = store
        self.id = id
    }

    mutating func disarm() { armed = false }

    func run() {
        guard armed else { return }
        if pidfd >= 0 {
            _ = berth_pidfd_send_signal(pidfd, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && currentErrno() == .interrupted {}
            close(pidfd)
        }
        cgroup?.destroy()
        try? store.remove(id)
    }
}
