import BerthSpec
import BerthSystem
import Glibc

/// What the exec child needs, all of it prepared by the parent before the clone.
struct ExecContext {
    var id: String
    var process: Process
    /// Personality, memory policy, I/O priority and scheduler of the process.
    var attributes: ExecutionAttributes
    /// `process.execCPUAffinity.final`: the CPUs once in the container's cgroup; nil for
    /// all that the cgroup allows.
    var finalCPUs: [Int]?
    /// The container's seccomp profile, applied to every process in it.
    var seccomp: LinuxSeccomp?
    var sync: SyncSocket
    /// pidfd of the container's init, whose namespaces the child joins.
    var initPidfd: Int32
    /// CLONE_NEW* flags of the namespaces to join (those berth does not share).
    var namespaceFlags: Int32
    /// The pid namespace is among them: after joining, clone the real process with
    /// CLONE_PARENT (pid_for_children only applies to new processes) and exit.
    var hop: Bool
    /// O_PATH descriptor of the init's root directory.
    var rootFD: Int32
    /// Connected console socket (or berth's relay socket), or -1.
    var consoleSocketFD: Int32
    /// The console socket is berth's relay socket.
    var relaysTerminal: Bool
    var preserveFDs: Int
    /// The caller wants a debug line per phase.
    var debug: Bool
}

/// The exec child: joins the container and becomes the requested process.
///
/// The parent has already placed it in the container's pid namespace (at clone) and
/// cgroup (before answering). setns through the init's pidfd joins all other namespaces
/// in one call, the user namespace first, so the child holds capabilities in it for the
/// rest; then the process settings are applied exactly as for the container's own
/// process.
enum ExecInit {
    static func run(_ ctx: ExecContext) -> Never {
        do {
            try setUp(ctx)
        } catch {
            ctx.sync.report(BerthError(childFailure: error))
        }
        _exit(1)
    }

    private static func setUp(_ ctx: ExecContext) throws {
        // A copy of berth until execve: not dumpable, so the container cannot reach the
        // host binary or these descriptors through /proc/<pid>.
        ProcessControl.setDumpable(false)
        // Everything of the caller's and of berth's that the exec set-up does not use
        // goes at once (see ContainerInit).
        Descriptors.closeAll(
            except: [0, 1, 2] + (0..<Int32(ctx.preserveFDs)).map { 3 + $0 }
                + [ctx.sync.fd, ctx.initPidfd, ctx.rootFD, ctx.consoleSocketFD])
        ProcessControl.setParentDeathSignal(SIGKILL)
        // Handlers were reset by the clone (CLONE_CLEAR_SIGHAND); ignored signals are reset
        // when the parent names them (resetSignals).
        Signals.unblockAll()

        // Wait until the parent has put us in the container's cgroup: the cgroup
        // namespace joined below is rooted there.
        var message = try ctx.sync.receive()
        if case .resetSignals(let mask)? = message {
            Signals.resetToDefault(mask)
            message = try ctx.sync.receive()
        }
        guard case .hostSetUpDone = message else {
            throw InitError("parent went away during exec set-up")
        }
        // In the cgroup now: the final CPU affinity, or all the cgroup allows (not the
        // initial affinity, nor the one berth's caller had). Set before any hop, whose
        // clone inherits it.
        if let cpus = ctx.finalCPUs {
            do throws(SyscallError) { try ProcessAttributes.setCPUAffinity(cpus: cpus) } catch {
                throw InitError("error setting final CPU affinity: \(errnoText(error.errno))", errno: error.errno.rawValue)
            }
        } else {
            try? ProcessAttributes.allowAllCPUs()
        }
        if ctx.namespaceFlags != 0 {
            try Namespace.joinAll(flags: ctx.namespaceFlags, of: ctx.initPidfd)
        }
        close(ctx.initPidfd)
        if ctx.hop { try SiblingClone.clone(flags: 0, sync: ctx.sync) }
        // setns(CLONE_NEWNS) leaves us at the namespace's root, which is the container's
        // root only after pivot_root; the init's own root covers chroot too.
        try sys("fchdir", "container root") { fchdir(ctx.rootFD) }
        try sys("chroot", "container root") { chroot(".") }
        close(ctx.rootFD)
        ctx.sync.debug(ctx.debug, "namespaces: exec process joined the container's namespaces and root")
        try sys("setsid") { setsid() }
        // The container's session keyring, as the init got one.
        Keyring.joinNewSession(named: ctx.id)
        // Where the name the process is executed under will be linked (see ExecName):
        // made now, in the container's mount namespace, while the child may still mount.
        let nameDirectory = ExecName.makeDirectory()

        let process = ctx.process
        if process.terminal == true {
            try Console(socketFD: ctx.consoleSocketFD, consoleSize: process.consoleSize, relayed: ctx.relaysTerminal)
                .attach(process: process, ownsDevConsole: false)
        } else if ctx.consoleSocketFD >= 0 {
            close(ctx.consoleSocketFD)
        }
        let launch = try ProcessLaunch(
            process: process, attributes: ctx.attributes, seccomp: ctx.seccomp,
            preserveFDs: ctx.preserveFDs, sync: ctx.sync, throughDescriptor: true,
            nameDirectory: nameDirectory)
        ctx.sync.debug(
            ctx.debug,
            "process: uid \(process.user.uid), gid \(process.user.gid), rlimits, capabilities"
                + (ctx.seccomp == nil ? "" : ", seccomp") + " set; executable \(launch.target) checked")
        try launch.loadLateFilter()
        try launch.exec(errorReport: ctx.sync)
    }
}
