import BerthSpec
import BerthSystem
import Glibc

/// The container init: the code the cloned child runs, from the clone to execve.
///
/// Order matters and follows the kernel's constraints: ids are mapped before anything
/// privileged, cgroups are joined before the cgroup namespace is made, mounts happen
/// while the host's /proc is still visible (for /proc/self/fd paths), pivot_root comes
/// after every mount into the rootfs, and the user switch comes last, after which only
/// the exec lookup and the start handshake remain.
enum ContainerInit {
    static func run(_ ctx: InitContext) -> Never {
        do {
            try setUp(ctx)
        } catch {
            ctx.sync.report(BerthError(childFailure: error))
            _exit(1)
        }
        // setUp only returns by exec'ing; reaching here means exec failed and was reported.
        _exit(127)
    }

    private static func setUp(_ ctx: InitContext) throws {
        var ctx = ctx
        // Until execve the init is a copy of berth: /proc/<pid>/exe is the host binary and
        // its descriptors reach host directories. Not dumpable, neither is reachable from
        // other processes through /proc (CVE-2019-5736 class); execve resets it.
        // A non-root parent must still open /proc/<pid>/uid_map (and newuidmap checks who
        // owns /proc/<pid>), which a non-dumpable process's /proc files deny it: then the
        // init stays dumpable until its maps are written; nothing of the container runs
        // before that.
        let rootlessParent = geteuid() != 0
        if !rootlessParent { ProcessControl.setDumpable(false) }
        // Die with the parent until set-up is done: a create that fails (or is killed) must
        // leave no process behind. First thing: the parent may not wait for a word from
        // the init before its host set-up (the overlap), so it can die this early; one that
        // died before the line below sent no signal, but its end of the socket is closed.
        ProcessControl.setParentDeathSignal(SIGKILL)
        if ctx.sync.peerClosed { _exit(1) }
        // The clone holds every descriptor berth had: the caller's too (a log file, the
        // write end of a pipe the caller reads to end of file), and berth's own (the
        // container lock). Only stdio, the descriptors passed on (LISTEN_FDS and
        // --preserve-fds, from 3 on) and what the set-up below uses may stay, from now
        // until `start`, not only until execve.
        Descriptors.closeAll(except: ctx.keptDescriptors)
        if !ctx.noNewKeyring {
            // A fresh session keyring keeps the container's keys apart from the caller's.
            Keyring.joinNewSession(named: ctx.id)
        }
        // Handlers were reset by the clone (CLONE_CLEAR_SIGHAND); ignored signals are reset
        // when the parent names them (resetSignals).
        Signals.unblockAll()
        umask(0)

        if ctx.newNamespaces.contains(.time) {
            // Before the request below: the parent writes the offsets while serving it.
            try TimeNamespace.unshareForChildren()
        }
        // The parent writes uid/gid maps (and time offsets) and joins the cgroup, then
        // answers. It starts only now: by then the init has closed berth's descriptors
        // (the container lock among them) and dies with berth. With the overlap the answer
        // is read only after the mounts.
        try ctx.sync.send(.requestHostSetUp)
        if !ctx.hostSetUpWhileMounting {
            try receiveHostSetUp(&ctx)
            if rootlessParent { ProcessControl.setDumpable(false) }
            // In its cgroup now: the container's process gets the CPUs the cgroup allows, not
            // an affinity of berth's caller (`taskset -c 0 berth run`), which the kernel keeps
            // across the cpuset move. Best effort, as with runc.
            try? ProcessAttributes.allowAllCPUs()
        }
        // A joined user namespace was entered by the intermediate child that cloned us.
        let joinedUser = ctx.joinedNamespaces.contains { $0.0 == .user }
        if ctx.newNamespaces.contains(.user) || joinedUser {
            // Become the namespace's root so the set-up below is privileged in it (and
            // files it creates get an owner the namespace can represent).
            try? Credentials.setGroup(0)
            try? Credentials.setUser(0)
        }

        if !ctx.joinedBeforeClone {
            try NamespaceJoin.join(ctx.joinedNamespaces)
        }
        if ctx.waitsOnFifo && ctx.stateDirFD < 0 {
            // The parent could not clone the state directory (it is not root): the init
            // can, in the mount namespace its user namespace owns.
            let dir = ctx.stateDirectory
            ctx.stateDirFD = try MountTree.clone(AT_FDCWD, dir, recursive: false)
        }
        if ctx.newNamespaces.contains(.network) {
            try Loopback.bringUp()
        }
        // The cgroup namespace is made only now, so its root is the container's cgroup
        // that the parent just placed us in.
        if ctx.newNamespaces.contains(.cgroup) {
            try unshareNamespaces(Namespace.cgroup.cloneFlag)
        }
        if ctx.newNamespaces.contains(.time) {
            try TimeNamespace.enter()
        }

        Trace.mark("init: namespaces")
        ctx.sync.debug(
            ctx.debug,
            "namespaces: the init is in its namespaces"
                + (ctx.newNamespaces.contains(.cgroup) ? " (cgroup namespace made after the cgroup join)" : ""))
        let spec = ctx.spec
        let rootfs = RootfsSetup(ctx: ctx)
        try rootfs.prepare()
        if ctx.hostSetUpWhileMounting {
            // The parent has been joining the cgroups (a v1 cgroup.procs write can wait an
            // RCU grace period) while the mounts were made: from here on (hooks, the
            // process) the init must be in its cgroup.
            try receiveHostSetUp(&ctx)
            try? ProcessAttributes.allowAllCPUs()
        }
        // createContainer hooks: in the container's namespaces, before the root switch,
        // in the rootfs directory (as runc runs them), with the process's environment.
        if let hooks = spec.hooks?.createContainer, !hooks.isEmpty {
            try sys("chdir", ctx.rootfs) { chdir(ctx.rootfs) }
            try runHooks(
                .createContainer, hooks, ctx, status: .creating,
                environment: ProcessSetup.deduplicated(spec.process?.env ?? []))
        }
        Trace.mark("init: mounts")
        ctx.sync.debug(ctx.debug, "mounts: \(spec.mounts?.count ?? 0) mounts, devices and the init layer set up under \(ctx.rootfs)")
        let console = try rootfs.finish()

        Trace.mark("init: pivoted")
        ctx.sync.debug(ctx.debug, "mounts: root switched (\(ctx.noPivot ? "MS_MOVE and chroot" : "pivot_root")), masked and read-only paths applied")
        if ctx.newNamespaces.contains(.uts) {
            if let hostname = spec.hostname, !hostname.isEmpty {
                try sys("sethostname", hostname) { sethostname(hostname, hostname.utf8.count) }
            }
            if let domain = spec.domainname, !domain.isEmpty {
                try sys("setdomainname", domain) { setdomainname(domain, domain.utf8.count) }
            }
        }
        let process = spec.process ?? Process(user: User(uid: 0, gid: 0), cwd: "/")
        try sys("setsid") { setsid() }
        if process.terminal == true {
            try console.attach(process: process)
        }
        let launch = try ProcessLaunch(
            process: process, attributes: ExecutionAttributes(process: process, linux: spec.linux),
            seccomp: spec.linux?.seccomp, preserveFDs: ctx.preserveFDs,
            sync: ctx.sync, throughDescriptor: false)
        Trace.mark("init: process set")
        ctx.sync.debug(
            ctx.debug,
            "process: uid \(process.user.uid), gid \(process.user.gid), rlimits, capabilities"
                + (spec.linux?.seccomp == nil ? "" : ", seccomp") + " set; executable \(launch.target) checked")
        try ctx.sync.send(.awaitingStart)

        try waitForStart(ctx)
        // startContainer hooks: in the container, after start, before the user's process,
        // with its environment and under its seccomp filter (a hook making a refused call
        // fails as the process would).
        try launch.loadLateFilter()
        if let hooks = spec.hooks?.startContainer, !hooks.isEmpty {
            try runHooks(.startContainer, hooks, ctx, status: .created, environment: launch.setup.environment)
        }
        Trace.mark("init: exec")
        // An execve that fails now (a script whose interpreter is missing) is the
        // container's own failure, as in runc 1.2: its one line on stderr and exit status
        // 255, which `run` passes on. Everything before was reported to the parent.
        try launch.exec(errorReport: nil)
    }

    /// Waits for `hostSetUpDone`, collecting the bind-mount sources the parent sends
    /// before it.
    private static func receiveHostSetUp(_ ctx: inout InitContext) throws {
        while true {
            switch try ctx.sync.receive() {
            case .hostSetUpDone?:
                return
            case .resetSignals(let mask)?:
                Signals.resetToDefault(mask)
            case .mountSources(let indexes, let fds)?:
                for (index, fd) in zip(indexes, fds) { ctx.mountSources[index] = fd }
            case nil:
                throw InitError("parent went away during set-up")
            case let other?:
                throw InitError("unexpected message \(other) from the parent during set-up")
            }
        }
    }

    /// Runs hooks inside the container. Their state's pid is the init's in its own pid
    /// namespace, as runc reports it there.
    private static func runHooks(
        _ kind: HookKind, _ hooks: [Hook], _ ctx: InitContext, status: ContainerStatus,
        environment: [String]
    ) throws(BerthError) {
        let state = State(id: ctx.id, status: status, pid: getpid(), bundle: ctx.bundle, annotations: ctx.spec.annotations)
        try HookRunner.run(kind, hooks, stateJSON: HookRunner.stateJSON(state), environment: environment)
    }

    /// Blocks until `start`: on the exec fifo (create) or a sync message (run).
    private static func waitForStart(_ ctx: InitContext) throws {
        if ctx.waitsOnFifo {
            // Not before berth has recorded the container: end of stream instead means it
            // died, and an init waiting for `start` that no state.json names would be lost.
            guard case .stateRecorded = try ctx.sync.receive() else { _exit(1) }
            // Opening a FIFO for writing blocks until `start` opens it for reading.
            let fd = try sys("open", "exec.fifo") {
                openat(ctx.stateDirFD, StateStore.fifoFile, O_WRONLY | O_CLOEXEC)
            }
            let zero: [UInt8] = [0]
            try FileIO.writeAll(fd, zero, path: "exec.fifo")
            close(fd)
            close(ctx.stateDirFD)
        } else {
            guard case .startProcess = try ctx.sync.receive() else {
                _exit(1)
            }
        }
    }
}
