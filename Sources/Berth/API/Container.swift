import BerthCgroups
import BerthSpec
import BerthSystem
import Glibc

/// One container under a runtime's state root.
public struct Container: Sendable {
    /// The container's id.
    public let id: String
    /// The runtime (state root) it belongs to.
    public let runtime: ContainerRuntime
    /// The container's init, with the caller's ends of its standard streams, when this
    /// value came from `ContainerRuntime.create`; nil from `ContainerRuntime.container(id:)`
    /// (see `openInitProcess()`).
    public internal(set) var initProcess: ContainerProcess?

    var store: StateStore { runtime.store }

    /// The current state, as `runc state` reports it.
    /// A create that has not finished (or died half-way) shows as `creating` while its
    /// berth holds the container's lock, else `stopped`, with pid 0.
    public func state() throws(BerthError) -> ContainerState {
        switch try store.entry(id) {
        case .complete(let record): return makeState(record, status: status(record))
        case .partial(let intent): return partialState(intent)
        }
    }

    func partialState(_ intent: CreateIntent?) -> ContainerState {
        var created = intent?.created ?? ""
        if created.isEmpty {
            var st = stat()
            if stat(store.directory(id), &st) == 0 {
                created = Clock.rfc3339Nano(seconds: st.st_mtim.tv_sec, nanos: st.st_mtim.tv_nsec)
            }
        }
        return ContainerState(
            ociVersion: ociSpecVersion, id: id, pid: 0,
            status: store.isLocked(id) ? .creating : .stopped,
            bundle: intent?.bundle ?? "", rootfs: intent?.rootfs ?? "", created: created,
            annotationList: nil, owner: "")
    }

    func makeState(_ record: StateRecord, status: ContainerStatus) -> ContainerState {
        ContainerState(
            ociVersion: record.ociVersion, id: record.id,
            pid: status == .stopped ? 0 : record.pid, status: status,
            bundle: record.bundle, rootfs: record.rootfs, created: record.created,
            annotationList: record.annotationList, owner: record.owner)
    }

    func status(_ record: StateRecord) -> ContainerStatus {
        guard ProcStat.read(pid: record.pid).map({ !$0.isDead && $0.startTime == record.startTime }) == true else {
            return .stopped
        }
        // A frozen container is paused whether or not it has started, as runc reports it
        // (and `start` refuses it: the init could not take the start signal).
        if record.cgroups.isFrozen() { return .paused }
        if store.hasFifo(id) && !hasLeftFifo(record) { return .created }
        return .running
    }

    /// The exec fifo is still there, but the init is no longer the runtime's binary: it
    /// exec'd, and the `start` that released it died before removing the fifo. Unknown
    /// (false) where /proc/<pid>/exe cannot be read (a non-root berth).
    func hasLeftFifo(_ record: StateRecord) -> Bool {
        guard let binary = record.runtimeBinary, binary.count == 2 else { return false }
        var st = stat()
        guard stat("/proc/\(record.pid)/exe", &st) == 0 else { return false }
        return UInt64(st.st_dev) != binary[0] || UInt64(st.st_ino) != binary[1]
    }

    /// Starts a created container: releases its init from the exec fifo, then runs the
    /// poststart hooks.
    public func start() throws(BerthError) {
        let lock = try store.lock(id)
        defer { close(lock) }
        Trace.mark("start: locked")
        guard case .complete(let record) = try store.entry(id) else {
            throw BerthError(.invalidState, "cannot start a container that has stopped")
        }
        switch status(record) {
        case .created: break
        case .stopped: throw BerthError(.invalidState, "cannot start a container that has stopped")
        case .paused: throw BerthError(.invalidState, "cannot start a container in the paused state")
        default:
            // A start that died between releasing the init and removing the fifo.
            if store.hasFifo(id) { unlink(store.directory(id) + "/" + StateStore.fifoFile) }
            throw BerthError(.invalidState, "cannot start an already running container")
        }
        guard let pidfd = Pidfd.open(pid: record.pid, startTime: record.startTime) else {
            throw BerthError(.invalidState, "cannot start a container that has stopped")
        }
        // Bound before the process starts, so no readiness message is lost.
        let notifyFD = record.notifySocket == nil ? -1 : try NotifySocket.bind(stateDirectory: store.directory(id))
        defer { if notifyFD >= 0 { close(notifyFD) } }
        let path = store.directory(id) + "/" + StateStore.fifoFile
        // Non-blocking open never hangs; the init, blocked in its open for writing, then
        // writes one byte. If the init dies first, its pidfd becomes readable instead.
        let fifo = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fifo >= 0 else { throw BerthError.system("start", SyscallError("open", path, errno: currentErrno())) }
        defer { close(fifo) }
        Trace.mark("start: fifo opened")
        var fds = [
            pollfd(fd: fifo, events: Int16(POLLIN), revents: 0),
            pollfd(fd: pidfd.fd, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            // The init may not have opened its end yet (create has just returned): wait.
            // But a start that died after releasing the init leaves a fifo nobody
            // will write to; the exe check finds that (looked at every 100 ms).
            let r = poll(&fds, 2, 100)
            if r < 0 && currentErrno() == .interrupted { continue }
            if r < 0 { throw BerthError.system("start", SyscallError("poll", path, errno: currentErrno())) }
            if r == 0 {
                if hasLeftFifo(record) {
                    unlink(path)
                    throw BerthError(.invalidState, "cannot start an already running container")
                }
                continue
            }
            if fds[0].revents & Int16(POLLIN) != 0 {
                var byte: UInt8 = 0
                if read(fifo, &byte, 1) == 1 { break }
            }
            if fds[1].revents != 0 || fds[0].revents & Int16(POLLHUP) != 0 {
                throw BerthError(.invalidState, "cannot start a container that has stopped: its init exited before start")
            }
        }
        // Released: from here a start that dies leaves a fifo behind, which `status` sees
        // through (the init is no longer the runtime's binary) and the next start removes.
        Trace.mark("start: released")
        unlink(path)
        Trace.mark("start: started")
        do throws(BerthError) { try runHooks(.poststart, record: record) } catch {
            // As runc: a failing poststart hook fails start and takes the container down.
            try? pidfd.signal(SIGKILL)
            throw error
        }
        if notifyFD >= 0, let host = record.notifySocket {
            // Like runc, start returns once the container is ready (or has exited).
            _ = NotifySocket.forward(from: notifyFD, initPidfd: pidfd.fd, initPID: record.pid, to: host)
        }
    }

    /// The container's config.json as it was at create.
    public func configuration() throws(BerthError) -> Spec {
        try store.load(id).spec()
    }

    /// Waits for the container's init to exit and returns its exit status (or the signal
    /// that killed it): `initProcess.wait()` when this value came from `create`, else
    /// through a pidfd opened now, which needs the init to be still running (take one
    /// earlier with `openInitProcess()`). Blocks the calling thread.
    public func wait() throws(BerthError) -> ExitStatus {
        if let initProcess { return try initProcess.wait() }
        return try openInitProcess().wait()
    }

    /// A handle on the container's running init, to wait for and signal from any
    /// process, not only the one that created it (through a pidfd, opened after the
    /// init's start time is checked, so a recycled pid is never taken for it).
    public func openInitProcess() throws(BerthError) -> ContainerProcess {
        let record = try store.load(id)
        guard let pidfd = Pidfd.open(pid: record.pid, startTime: record.startTime) else {
            throw BerthError(.invalidState, "container \(id) has stopped already: its exit status is gone")
        }
        return ContainerProcess(container: self, pid: record.pid, pidfd: pidfd.release())
    }

    /// Starts `process` inside the running container, as runc's `exec`: in all its
    /// namespaces and its cgroup, with the container's seccomp profile. Returns once the
    /// process has exec'd, as a handle to wait for and signal; its standard streams are
    /// `io` (`.terminal` sets `process.terminal`).
    ///
    /// From a program with more than one thread, the set-up runs in a fresh `berth exec`
    /// process (`ExecOptions.helperBinary`). For `waitForwardingSignals()`, block the
    /// signals (`SignalForwarder.block()`) beforehand.
    public func exec(_ process: Process, io: ProcessIO = .inherit, options: ExecOptions = ExecOptions())
        throws(BerthError) -> ContainerProcess
    {
        var process = process
        if io == .terminal { process.terminal = true }
        let threads: Int
        do throws(SyscallError) { threads = try Clone.countThreads() } catch { throw BerthError.system("exec", error) }
        guard threads == 1 else {
            return try HelperProcess(runtime: runtime, helperBinary: options.helperBinary)
                .exec(process, io: io, in: self, options: options)
        }
        do throws(BerthError) {
            return try ExecLauncher(container: self, process: process, io: io, options: options).launch()
        } catch {
            // In a helper `berth exec`: the embedding library gets the error with its code.
            HelperProcess.report(error)
            throw error
        }
    }

    /// Sends `signal` to the container's init, or with `all` to every process in it.
    /// The init is signalled through a pidfd only after its start time is checked, so a
    /// recycled pid is never hit.
    ///
    /// SIGKILL to a container without its own pid namespace goes to every process in its
    /// cgroup, sub-cgroups included, as runc does: killing the init of a pid namespace
    /// kills everything in it, but an init that shares berth's pid namespace is an
    /// ordinary process, whose children would survive it. This works after the init is
    /// gone too (the cgroup still names what is left).
    public func kill(_ signal: Int32 = SIGTERM, all: Bool = false) throws(BerthError) {
        let record = try store.load(id)
        if signal == SIGKILL && !hasOwnPidNamespace(record) && !record.cgroupPaths.isEmpty {
            record.cgroups.signalAll(SIGKILL)
            return
        }
        guard let pidfd = Pidfd.open(pid: record.pid, startTime: record.startTime) else {
            throw BerthError.containerNotRunning
        }
        if all {
            for pid in processes(record) where pid != record.pid {
                _ = Glibc.kill(pid, signal)
            }
        }
        do throws(SyscallError) { try pidfd.signal(signal) } catch {
            if error.errno == .noSuchProcess { throw BerthError.containerNotRunning }
            throw BerthError.system("kill", error)
        }
        // A frozen task takes SIGKILL only once thawed (v1 freezer): let it die.
        if signal == SIGKILL { record.cgroups.thaw() }
    }

    /// The config gives the container a pid namespace (new or joined), as runc decides.
    func hasOwnPidNamespace(_ record: StateRecord) -> Bool {
        record.namespacePaths["pid"] != nil
    }

    /// Host pids of the container's processes: its cgroup's, else those sharing its pid
    /// namespace.
    public func processes() throws(BerthError) -> [Int32] {
        let record = try store.load(id)
        guard status(record) != .stopped else { return [] }
        return processes(record)
    }

    func processes(_ record: StateRecord) -> [Int32] {
        let fromCgroup = record.cgroups.pids()
        if !fromCgroup.isEmpty { return fromCgroup }
        guard record.namespacePaths["pid"] == "/proc/\(record.pid)/ns/pid",
            let ns = readLink("/proc/\(record.pid)/ns/pid")
        else { return [record.pid] }
        var pids: [Int32] = []
        for name in (try? FileIO.list("/proc")) ?? [] {
            guard let pid = Int32(name), readLink("/proc/\(name)/ns/pid") == ns else { continue }
            pids.append(pid)
        }
        return pids
    }

    /// Deletes the container. A stopped container is removed; a created one is killed
    /// first (as runc does); a running or paused one only with `force`.
    /// Every step can be repeated: a delete that died half-way is finished by the next.
    public func delete(force: Bool = false) throws(BerthError) {
        let lock = try store.lock(id)
        defer { close(lock) }
        Trace.mark("delete: locked")
        let record: StateRecord
        switch try store.entry(id) {
        case .complete(let r): record = r
        case .partial(let intent):
            // The create died (we hold its lock) before writing state.json: stopped.
            deletePartial(intent)
            return
        }
        let current = status(record)
        if current == .running || current == .paused {
            guard force else {
                throw BerthError(.invalidState, "cannot delete container \(id) that is not stopped: \(current.rawValue)")
            }
        }
        try destroy(record, status: current)
    }

    /// Removes everything of the container (killing what still runs), with its lock
    /// held by the caller: `delete`, and `checkpoint` once CRIU has dumped it.
    func destroy(_ record: StateRecord, status current: ContainerStatus) throws(BerthError) {
        if current != .stopped {
            try killAndWait(record)
        }
        Trace.mark("delete: killed")
        // Reap the init if it is this process's child (the `run` path and library users).
        var status: Int32 = 0
        _ = waitpid(record.pid, &status, WNOHANG)
        let cgroups = record.cgroups
        // Processes can outlive the init (no pid namespace, or escaped children), also in
        // sub-cgroups the container made: kill whatever the cgroups still hold, then
        // remove them, sub-cgroups first. Usually nothing is left: then removing the
        // container's own cgroups straight away is the whole check; else, or when a
        // directory refuses, the cgroups are walked once, and nothing can make a
        // sub-cgroup before they are removed.
        let removed = cgroups.removeIfEmpty()
        var tree: [String]? = removed ? [] : cgroups.tree()
        if !removed && !CgroupSet.pids(in: tree ?? []).isEmpty {
            cgroups.signalAll(SIGKILL)
            _ = cgroups.waitEmpty(timeoutMs: 2000)
            tree = nil
        }
        if let devices = record.netDevices, let path = record.netDeviceNamespace {
            NetDevices.moveBack(devices, namespacePath: path) { SecurityPreflight.emit($0, to: nil) }
        }
        // Mounts a container without a mount namespace made in the host's.
        record.hostRootfsMount?.detach()
        // A kept layer is free for the next container (a volatile one goes with the state).
        record.layer?.release(stateDirectory: store.directory(id))
        if !removed { cgroups.destroy(tree: tree) }
        Trace.mark("delete: cgroups removed")
        do throws(BerthError) { try runHooks(.poststop, record: record) } catch {
            // The container is gone by now: a failing poststop hook is only reported.
            let line = "berth: warning: " + error.message + "\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
        }
        Trace.mark("delete: poststop")
        try store.remove(id)
    }

    /// Removes what a create that died before writing state.json may have made: the
    /// processes in the cgroups it meant to make (an init between its clone and the
    /// parent's death, which it does not outlive long), those cgroups, the directory.
    private func deletePartial(_ intent: CreateIntent?) {
        intent?.hostRootfsMount?.detach()
        if let cgroups = intent?.cgroups {
            cgroups.thaw()
            for _ in 0..<100 {
                let pids = cgroups.pids()
                if pids.isEmpty { break }
                for pid in pids { _ = Glibc.kill(pid, SIGKILL) }
                usleep(1000)
            }
            cgroups.destroy()
            Trace.mark("delete: cgroups removed")
        }
        try? store.remove(id)
    }

    private func killAndWait(_ record: StateRecord) throws(BerthError) {
        let cgroups = record.cgroups
        for pid in processes(record) where pid != record.pid { _ = Glibc.kill(pid, SIGKILL) }
        cgroups.thawAll()
        guard let pidfd = Pidfd.open(pid: record.pid, startTime: record.startTime) else { return }
        try? pidfd.signal(SIGKILL)
        if !pidfd.waitExit(timeoutMs: 10_000) {
            throw BerthError(.system, "container init \(record.pid) did not exit after SIGKILL")
        }
    }

    /// Runs the poststart or poststop hooks, in berth's environment.
    func runHooks(_ kind: HookKind, record: StateRecord) throws(BerthError) {
        let all = try record.hooks()
        let hooks = kind == .poststart ? all?.poststart : all?.poststop
        guard let hooks, !hooks.isEmpty else { return }
        let state = makeState(record, status: status(record))
        try HookRunner.run(kind, hooks, stateJSON: HookRunner.stateJSON(state))
    }
}

func readLink(_ path: String) -> String? {
    var buf = [CChar](repeating: 0, count: 256)
    let n = readlink(path, &buf, buf.count - 1)
    guard n > 0 else { return nil }
    return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

extension Container {
    /// Freezes every process of a running container (v1 freezer, v2 cgroup.freeze).
    public func pause() throws(BerthError) {
        try setFrozen(true)
    }

    /// Thaws a paused container.
    public func resume() throws(BerthError) {
        try setFrozen(false)
    }

    private func setFrozen(_ frozen: Bool) throws(BerthError) {
        let lock = try store.lock(id)
        defer { close(lock) }
        Trace.mark("freezer: locked")
        let record = try store.load(id)
        let current = status(record)
        switch (frozen, current) {
        case (true, .running), (false, .paused): break
        case (_, .stopped), (_, .created): throw BerthError.containerNotRunning
        case (true, _): throw BerthError(.invalidState, "container already paused")
        case (false, _): throw BerthError(.invalidState, "container not paused")
        }
        let cgroups = record.cgroups
        guard cgroups.hasFreezer else {
            throw BerthError(.system, "\(frozen ? "pause" : "resume"): no freezer controller for this container's cgroup")
        }
        do throws(SyscallError) { try cgroups.setFrozen(frozen) } catch {
            throw BerthError.system(frozen ? "pause" : "resume", error)
        }
        Trace.mark("freezer: set")
    }
}

extension Container {
    /// Applies new resource limits to a running (or paused, or created) container's cgroup.
    ///
    /// As with runc, only what `resources` sets changes: absent fields, and zeros where 0
    /// is no meaningful limit, leave the current values alone (Docker sends whole objects
    /// with zeros for everything unchanged); -1 lifts a limit. Device rules are applied
    /// as the fewest transitions from the current ones. Warnings (a limit this kernel
    /// cannot apply) go to `warningHandler`, or to stderr.
    public func update(
        resources: LinuxResources,
        warningHandler: (@Sendable (String) -> Void)? = nil
    ) throws(BerthError) {
        if let rules = resources.devices {
            do throws(SpecError) { try Spec.validate(deviceRules: rules, field: "devices") } catch { throw BerthError.spec(error) }
        }
        let lock = try store.lock(id)
        defer { close(lock) }
        Trace.mark("update: locked")
        let record = try store.load(id)
        guard status(record) != .stopped else { throw BerthError.containerNotRunning }
        let set = record.cgroups
        do throws(SyscallError) {
            try ResourceWriter(set: set, warn: { SecurityPreflight.emit($0, to: warningHandler) }).apply(resources)
            if let rules = resources.devices { try DeviceRules.apply(rules, to: set) }
        } catch {
            throw BerthError(.invalidSpec, "update: \(error)", errno: error.errno.rawValue)
        }
        Trace.mark("update: applied")
    }
}

extension Container {
    /// The container's cgroup directories, one per hierarchy.
    public func cgroupPaths() throws(BerthError) -> [String] {
        try store.load(id).cgroupPaths
    }
}
