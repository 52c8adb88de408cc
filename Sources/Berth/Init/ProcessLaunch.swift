import BerthSpec
import BerthSystem
import Glibc

/// The shared tail of the container's init and of `exec`: the process settings applied,
/// the executable found and checked, then (after whatever the caller still waits for)
/// the seccomp filter loaded and the execve.
struct ProcessLaunch {
    let setup: ProcessSetup
    let seccomp: SeccompProfile?
    let lateSeccomp: Bool
    let target: String
    /// The checked executable, to exec through; -1 to exec by path (a script).
    let targetFD: Int32
    /// Exec through `targetFD` (execveat) rather than by path: `exec`, which runs while
    /// the container's processes could swap the path, goes through the descriptor (under
    /// the path's name, see ExecName); the container's own process keeps execve by path,
    /// as runc does, with the check repeated just before.
    let throughDescriptor: Bool
    /// The name `targetFD` is executed under.
    let name: ExecName?

    /// Applies everything that may fail, so that after this only the execve can. A
    /// filter with notify rules hands its listener fd to the parent over `sync`.
    /// `nameDirectory` (ExecName.makeDirectory) holds the name the descriptor is executed
    /// under, with `throughDescriptor`.
    init(
        process: Process, attributes: ExecutionAttributes, seccomp config: LinuxSeccomp?, preserveFDs: Int,
        sync: SyncSocket, throughDescriptor: Bool, nameDirectory: Int32 = -1
    ) throws {
        self.throughDescriptor = throughDescriptor
        setup = try ProcessSetup(process: process, preserveFDs: preserveFDs)
        try LSM.applyExecLabels(process)
        // Personality, memory policy, I/O priority and scheduler: before any filter and
        // while privileged (see ExecutionAttributes).
        try attributes.apply()
        // The filter is built before any privilege is dropped. It is loaded as late as
        // possible: just before execve with no_new_privs (which lets an unprivileged
        // process load it), else before the uid switch while CAP_SYS_ADMIN is still held.
        seccomp = try config.map(SeccompProfile.init)
        // The names are resolved only here, while building the filter: the parent logs
        // what was skipped.
        if let warning = seccomp?.warning { try sync.send(.warning(warning)) }
        lateSeccomp = process.noNewPrivileges == true
        if let seccomp, !lateSeccomp { try seccomp.load(handingListenerTo: sync) }
        try setup.apply { warning throws in try sync.send(.warning(warning)) }
        target = try setup.resolveExecutable()
        let checked = try ExecGuard.checkExecutable(target, display: process.args?.first ?? target)
        if !throughDescriptor && checked >= 0 { close(checked) }
        targetFD = throughDescriptor ? checked : -1
        name = throughDescriptor ? ExecName.link(to: checked, named: target, in: nameDirectory) : nil
        // The caller's descriptors were closed when the process was cloned; berth's own
        // (the sync socket, the checked executable) close at exec.
        Descriptors.markCloseOnExec(from: Int32(3 + preserveFDs))
        // Set-up is over: from here on the process outlives its parent.
        ProcessControl.setParentDeathSignal(0)
        // A filter with notify rules cannot wait until just before execve: its listener fd
        // goes through the parent, and `create` exits once the init reports ready. It is
        // loaded here, so the ready message, the wait for start (exec fifo open and write,
        // or a sync receive), the startContainer hooks and execve run under it, as in
        // runc 1.1, where the same steps follow the late load; the listener holds the fd by
        // then and answers them.
        if let seccomp, lateSeccomp, seccomp.notifies { try seccomp.load(handingListenerTo: sync) }
    }

    /// Loads a filter that waited for no_new_privs (and has no notify rules, which load
    /// earlier): after the wait for `start` and before startContainer hooks, which run
    /// under it as they do with runc.
    func loadLateFilter() throws {
        if let seccomp, lateSeccomp, !seccomp.notifies { try seccomp.load() }
    }

    /// Execs (after `loadLateFilter`); on failure reports on `errorReport` (or stderr)
    /// and exits 127/126.
    func exec(errorReport: SyncSocket?) throws -> Never {
        if !throughDescriptor {
            // Between create and start (and during startContainer hooks) the path may have
            // changed: check it again.
            let recheck = try ExecGuard.checkExecutable(target, display: setup.process.args?.first ?? target)
            if recheck >= 0 { close(recheck) }
        }
        setup.exec(target, fd: targetFD, link: name, errorReport: errorReport)
    }
}
