import BerthCgroups
import BerthSpec
import BerthSystem
import Glibc

/// The parent side of `exec`: checks the container, clones a child into the container's
/// pid namespace and cgroup, lets it join the other namespaces and exec, and reports
/// the outcome of that execve.
struct ExecLauncher {
    let container: Container
    let process: Process
    /// The process's standard streams.
    var io: ProcessIO = .inherit
    let options: ExecOptions

    /// One `--debug` line, built only when the caller wants it.
    func debug(_ text: @autoclosure () -> String) {
        if let handler = options.debugHandler { handler(text()) }
    }

    func launch() throws(BerthError) -> ContainerProcess {
        guard case .complete(let record) = try container.store.entry(container.id) else {
            throw BerthError(.invalidState, "cannot exec in a stopped container")
        }
        switch container.status(record) {
        case .stopped, .creating: throw BerthError(.invalidState, "cannot exec in a stopped container")
        case .paused where !options.ignorePaused:
            throw BerthError(.invalidState, "cannot exec in a paused container (use --ignore-paused to override)")
        default: break
        }
        guard process.args?.isEmpty == false else { throw BerthError(.invalidSpec, "process args cannot be empty") }
        do throws(SpecError) { try Spec.validateSettings(of: process) } catch { throw BerthError.spec(error) }
        try PreservedDescriptors.check(first: 3, count: options.preserveFDs)
        if let warning = Capabilities.skippedNamesWarning(process.capabilities) {
            SecurityPreflight.emit(warning, to: options.warningHandler)
        }
        if process.terminal == true && options.consoleSocket == nil && options.detach {
            throw BerthError(.invalidSpec, "cannot allocate tty if berth will detach without setting console socket")
        }
        if process.terminal != true && options.consoleSocket != nil {
            throw BerthError(.invalidSpec, "cannot use console socket if berth will not detach or allocate tty")
        }
        if io == .terminal && options.consoleSocket != nil {
            throw BerthError(.invalidSpec, "a console socket and ProcessIO.terminal both ask for the terminal's master")
        }
        if process.terminal == true, io != .terminal && io != .inherit {
            throw BerthError(
                .invalidSpec,
                "process.terminal: a process with a terminal has it as its stdio, not \(io == .pipes ? "pipes" : "the descriptors given")")
        }
        let config = try record.spec()
        var processSpec = config
        processSpec.process = process
        try SecurityPreflight.checkLabels(processSpec)
        // Read with the host's /proc: the child checks its executable against it.
        ExecGuard.prepare()
        guard let initPidfd = Pidfd.open(pid: record.pid, startTime: record.startTime) else {
            throw BerthError(.invalidState, "cannot exec in a stopped container")
        }
        let initPID = record.pid

        // The namespaces the container does not share with berth. pid is joined here,
        // since setns(CLONE_NEWPID) only applies to children; the rest by the child.
        // Both ns directories are opened once: each comparison then looks up one name in
        // them, not a whole /proc/<pid>/ns/<kind> path (those walks were most of exec's
        // system time in the parent).
        let mineDir = open("/proc/self/ns", O_PATH | O_DIRECTORY | O_CLOEXEC)
        let theirsDir = open("/proc/\(initPID)/ns", O_PATH | O_DIRECTORY | O_CLOEXEC)
        defer {
            if mineDir >= 0 { close(mineDir) }
            if theirsDir >= 0 { close(theirsDir) }
        }
        guard mineDir >= 0, theirsDir >= 0 else {
            throw BerthError(.invalidState, "cannot exec in a stopped container")
        }
        var childFlags: Int32 = 0
        var joinPID = false
        var otherUserNS = false
        for ns in Namespace.allCases where !Self.sameNamespace(ns, mine: mineDir, theirs: theirsDir) {
            if ns == .pid { joinPID = true } else { childFlags |= ns.cloneFlag }
            if ns == .user { otherUserNS = true }
        }
        // A non-root berth has no privilege over the container's pid namespace (its
        // owner is the container's user namespace): the child joins everything, pid
        // included, and clones the process for us (CLONE_PARENT) from in there.
        let hop = joinPID && otherUserNS && geteuid() != 0
        if hop {
            joinPID = false
            childFlags |= Namespace.pid.cloneFlag
        }
        // The container's root as its init sees it (pivot_root or chroot alike), opened
        // before the mount namespace is joined.
        let rootFD = open("/proc/\(initPID)/root", O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else {
            throw BerthError.system("exec", SyscallError("open", "/proc/\(initPID)/root", errno: currentErrno()))
        }
        defer { close(rootFD) }

        let (consoleFD, consoleReceiver) = try Console.endpoints(
            socketPath: options.consoleSocket,
            relay: process.terminal == true)
        defer { if consoleFD >= 0 { close(consoleFD) } }
        defer { if consoleReceiver >= 0 { close(consoleReceiver) } }
        let streams = try StandardStreams(io)
        var streamsKept = false
        defer { if !streamsKept { streams.closeAll() } }
        var pidfdSocket = try PidfdSocket.connect(options.pidfdSocket)
        defer { if pidfdSocket >= 0 { close(pidfdSocket) } }

        // On a unified host the child is cloned straight into the container's cgroup (or
        // the --cgroup sub-cgroup); on v1 the parent writes its pid into each hierarchy
        // before letting it go on.
        let cgroups = record.cgroups
        var targets = cgroups.paths
        if !options.subCgroups.isEmpty {
            do throws(CgroupPathError) {
                targets = try cgroups.directories(subCgroups: options.subCgroups, layout: CgroupLayout.detect())
            } catch { throw BerthError(.invalidSpec, error.message) }
        }
        var cgroupFD: Int32 = -1
        if cgroups.unified, let dir = targets.first {
            cgroupFD = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)
            // A container cgroup that is gone (its init moved elsewhere and it was
            // removed) is handled below, as the join falls back to the init's cgroup.
            if cgroupFD < 0 && !(currentErrno() == .noSuchFileOrDirectory && options.subCgroups.isEmpty) {
                throw BerthError.system("unable to start container process", SyscallError("open cgroup", dir, errno: currentErrno()))
            }
        }
        defer { if cgroupFD >= 0 { close(cgroupFD) } }

        let pair: (parent: SyncSocket, child: SyncSocket)
        do throws(SyscallError) { pair = try SyncSocket.pair() } catch { throw BerthError.system("create sync socket", error) }
        defer { pair.parent.close() }

        debug(
            "exec \(container.id): \(process.args?.joined(separator: " ") ?? ""), joining the namespaces of init \(initPID)"
                + (cgroupFD >= 0 ? ", cloned into its cgroup" : ""))
        // process.execCPUAffinity.initial: berth runs on those CPUs while it clones, so the
        // child starts there and stays until it is in the container's cgroup (then the
        // final affinity, or the cgroup's CPUs). berth's own affinity is restored after.
        let affinity = process.execCPUAffinity ?? config.process?.execCPUAffinity
        var ownCPUs: [Int]?
        if let initial = Self.cpus(affinity?.initial) {
            do throws(SyscallError) {
                ownCPUs = try ProcessAttributes.cpuAffinity()
                try ProcessAttributes.setCPUAffinity(cpus: initial)
            } catch {
                pair.child.close()
                throw BerthError(.system, "error setting initial CPU affinity: \(errnoText(error.errno))", errno: error.errno.rawValue)
            }
        }
        defer { if let ownCPUs { try? ProcessAttributes.setCPUAffinity(cpus: ownCPUs) } }
        var attributes = ExecutionAttributes(process: process, linux: config.linux)
        // As with runc, the container's own settings apply where the exec process has none.
        attributes.ioPriority = process.ioPriority ?? config.process?.ioPriority
        attributes.scheduler = process.scheduler ?? config.process?.scheduler

        Trace.mark("exec: clone")
        let spawned: Spawn.Child?
        do throws(BerthError) {
            spawned = try Spawn(
                cgroupFD: cgroupFD,
                pidNamespace: joinPID ? .process(pidfd: initPidfd.fd, pid: initPID) : nil,
                child: "exec process", stdio: streams.childEnds,
                // Container.exec counted the threads on entry (and sends a threaded
                // caller through a helper berth).
                knownSingleThreaded: true
            ).clone()
        } catch {
            pair.child.close()
            throw error
        }
        guard let spawned else {
            pair.parent.close()
            ExecInit.run(
                ExecContext(
                    id: container.id, process: process, attributes: attributes, finalCPUs: Self.cpus(affinity?.final),
                    seccomp: config.linux?.seccomp,
                    sync: pair.child, initPidfd: initPidfd.fd, namespaceFlags: childFlags, hop: hop, rootFD: rootFD,
                    consoleSocketFD: consoleFD, relaysTerminal: consoleReceiver >= 0 && io != .terminal, preserveFDs: options.preserveFDs,
                    debug: options.debugHandler != nil))
        }
        pair.child.close()
        streams.closeChildEnds()
        var (pid, pidfd) = (spawned.pid, spawned.pidfd)

        // Until the execve succeeds, a failure kills and reaps the child.
        func fail(_ error: BerthError) -> BerthError {
            Spawn.Child(pid: pid, pidfd: pidfd, placedInCgroup: false).killAndReap()
            return error
        }
        if !spawned.placedInCgroup {
            do throws(SyscallError) {
                try cgroups.prepareSubCgroups(targets)
                do throws(SyscallError) {
                    try cgroups.join(pid: pid, directories: targets)
                } catch
                    where cgroups.unified && options.subCgroups.isEmpty
                    && (error.errno == .resourceBusy || error.errno == .noSuchFileOrDirectory)
                {
                    // v2 keeps processes out of a cgroup that delegates a domain
                    // controller to its sub-cgroups (EBUSY), and the container may have
                    // moved its init away and removed its cgroup: as runc does, the process
                    // then goes where the init is. `--cgroup /` asks for the top itself.
                    guard let initDir = Self.initCgroupDirectory(initPID) else { throw error }
                    try cgroups.join(pid: pid, directories: [initDir])
                }
            } catch {
                throw fail(BerthError.system("unable to start container process: error adding pid \(pid) to cgroups", error))
            }
        }
        do throws(SyscallError) {
            if let adj = process.oomScoreAdj {
                try FileIO.write("/proc/\(pid)/oom_score_adj", Array(String(adj).utf8))
            }
        } catch { throw fail(BerthError.system("set up exec process", error)) }
        do throws(BerthError) {
            // Root never hops: `pid` is the exec child itself.
            try ProcessLimits.raiseHardLimits(process.rlimits, of: pid)
        } catch { throw fail(error) }
        do throws(SyscallError) {
            // Signals berth's caller left ignored would stay ignored through execve.
            if let ignored = ProcStat.read(pid: pid)?.ignoredSignals, ignored != 0 {
                try pair.parent.send(.resetSignals(ignored))
            }
            try pair.parent.send(.hostSetUpDone)
        } catch {
            throw fail(BerthError.system("set up exec process", error))
        }
        Trace.mark("exec: placed")
        debug(
            spawned.placedInCgroup
                ? "cgroup: exec process \(pid) cloned into the container's cgroup" : "cgroup: exec process \(pid) joined the container's cgroup")

        // The sync socket is close-on-exec in the child: end of stream means execve ran.
        var pending: [SyncMessage] = []
        if hop {
            // The intermediate child exits at once; its clone is our child now.
            let adopted = try SiblingClone.adopt(intermediate: pid, pidfd: pidfd, sync: pair.parent)
            (pid, pidfd, pending) = (adopted.pid, adopted.pidfd, adopted.early)
        }
        // Warnings, debug lines, and a seccomp filter with notify rules handing its
        // listener fd over, come before the outcome: a failure, or end of stream once
        // execve ran.
        while true {
            let received: SyncMessage?
            do throws(SyscallError) {
                if !pending.isEmpty { received = pending.removeFirst() } else { received = try pair.parent.receive() }
            } catch {
                throw fail(BerthError.system("read from exec process", error))
            }
            guard let message = received else { break }
            switch message {
            case .warning(let text):
                SecurityPreflight.emit(text, to: options.warningHandler)
                continue
            case .debug(let text):
                debug(text)
                continue
            case .seccompListener(let fd):
                do throws(BerthError) {
                    try SeccompListener.forward(fd, spec: config, id: container.id, pid: pid, bundle: record.bundle)
                } catch { throw fail(error) }
                do throws(SyscallError) { try pair.parent.send(.seccompListenerForwarded) } catch {
                    throw fail(BerthError.system("exec", error))
                }
                continue
            case .failed(let error):
                throw fail(BerthError.containerProcess(error))
            default:
                break
            }
            break
        }
        Trace.mark("exec: started")

        // As runc, a process berth cannot account for (no pid file) does not outlive exec.
        if let pidFile = options.pidFile {
            do throws(SyscallError) {
                try FileIO.writeAtomically(Paths.absolute(pidFile), Array(String(pid).utf8))
            } catch { throw fail(BerthError.system("write pid file", error)) }
        }
        if pidfdSocket >= 0 {
            defer { pidfdSocket = -1 }
            do throws(BerthError) { try PidfdSocket.send(pidfd, over: pidfdSocket, kind: PidfdSocket.execKind) } catch {
                throw fail(error)
            }
        }
        debug("exec \(container.id): process \(pid) started")
        let master = consoleReceiver >= 0 ? Console.receiveMaster(consoleReceiver) : -1
        streamsKept = true
        let toCaller = io == .terminal && master >= 0
        return ContainerProcess(
            container: container, pid: pid, pidfd: pidfd, streams: streams,
            terminal: toCaller ? PseudoTerminal(master: master) : nil,
            relayMaster: toCaller ? -1 : master)
    }

    /// The CPUs of a validated list, nil when it is unset or empty.
    static func cpus(_ list: String?) -> [Int]? {
        guard let list, !list.isEmpty, case .success(let cpus) = CPUList.parse(list, limit: CPUTable.maxCPU) else { return nil }
        return cpus
    }

    /// The cgroup v2 directory the init is in now, from its /proc/<pid>/cgroup.
    static func initCgroupDirectory(_ pid: Int32) -> String? {
        guard let text = try? FileIO.readString("/proc/\(pid)/cgroup"),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("0::") }),
            let mount = CgroupLayout.detect().hierarchies.first(where: { $0.isUnified && $0.root == "/" })
        else { return nil }
        let path = line.dropFirst(3)
        return path == "/" ? mount.mountPoint : mount.mountPoint + path
    }

    /// True when berth and process `pid` share the namespace.
    static func sameNamespace(_ ns: Namespace, pid: Int32) -> Bool {
        let mine = open("/proc/self/ns", O_PATH | O_DIRECTORY | O_CLOEXEC)
        let theirs = open("/proc/\(pid)/ns", O_PATH | O_DIRECTORY | O_CLOEXEC)
        defer {
            if mine >= 0 { close(mine) }
            if theirs >= 0 { close(theirs) }
        }
        return sameNamespace(ns, mine: mine, theirs: theirs)
    }

    /// True when berth and the container's init share the namespace (`mine`, `theirs`:
    /// the two processes' open /proc/<pid>/ns directories).
    ///
    /// The links' texts (`net:[4026531840]`) name the namespaces by their inodes, as a stat
    /// would, without the nsfs inode each stat of such a link makes and frees again (most
    /// of exec's system time in the parent).
    static func sameNamespace(_ ns: Namespace, mine mineDir: Int32, theirs theirsDir: Int32) -> Bool {
        guard let mine = linkText(mineDir, ns.procName) else { return true }
        // A kernel without this namespace kind (time before 5.6): nothing to join.
        guard let theirs = linkText(theirsDir, ns.procName) else { return true }
        return mine == theirs
    }

    private static func linkText(_ dir: Int32, _ name: String) -> [CChar]? {
        var buffer = [CChar](repeating: 0, count: 64)
        let n = readlinkat(dir, name, &buffer, buffer.count)
        return n > 0 ? Array(buffer[0..<n]) : nil
    }
}
