import BerthSpec
import BerthSystem
import CBerth
import Glibc

/// The shared tail of the container's init and of `exec`: the process settings applied,
/// the executable found, then (after whatever the caller still waits for) the seccomp
/// filter loaded and the execve.
struct ProcessLaunch {
    let setup: ProcessSetup
    let seccomp: SeccompProfile?
    let lateSeccomp: Bool
    let target: String

    /// Applies everything that may fail, so that after this only the execve can.
    init(process: Process, seccomp config: LinuxSeccomp?, preserveFDs: Int) throws {
        setup = try ProcessSetup(process: process, preserveFDs: preserveFDs)
        // The filter is built before any privilege is dropped. It is loaded as late as
        // possible: just before execve with no_new_privs (which lets an unprivileged
        // process load it), else before the uid switch while CAP_SYS_ADMIN is still held.
        seccomp = try config.map(SeccompProfile.init)
        lateSeccomp = process.noNewPrivileges == true
        if let seccomp, !lateSeccomp { try seccomp.load() }
        try setup.apply()
        target = try setup.resolveExecutable()
        // Every descriptor above stdio and the preserved ones is closed at exec.
        _ = berth_close_range(UInt32(3 + preserveFDs), UInt32.max, UInt32(BERTH_CLOSE_RANGE_CLOEXEC))
        // Set-up is over: from here on the process outlives its parent.
        _ = berth_prctl(Int32(BERTH_PR_SET_PDEATHSIG), 0, 0, 0, 0)
    }

    /// Loads a late seccomp filter and execs; on failure reports on `errorReport` (or
    /// stderr) and exits 127/126.
    func exec(errorReport: SyncSocket?) throws -> Never {
        if let seccomp, lateSeccomp { try seccomp.load() }
        setup.exec(target, errorReport: errorReport)
    }
}
