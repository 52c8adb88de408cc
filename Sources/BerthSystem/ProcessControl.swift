import CBerth
import Glibc

/// prctl(2) settings of the calling process, one function per setting.
public enum ProcessControl {
    /// PR_SET_DUMPABLE. A process that is not dumpable has its /proc/<pid> files owned by
    /// root and cannot be ptraced; execve makes it dumpable again.
    public static func setDumpable(_ dumpable: Bool) {
        _ = berth_prctl(Int32(BERTH_PR_SET_DUMPABLE), dumpable ? 1 : 0, 0, 0, 0)
    }

    /// PR_SET_PDEATHSIG: the signal this process gets when the thread that created it
    /// exits; 0 clears it. Not inherited across clone, cleared by execve of a set-id file.
    public static func setParentDeathSignal(_ signal: Int32) {
        _ = berth_prctl(Int32(BERTH_PR_SET_PDEATHSIG), UInt(signal), 0, 0, 0)
    }

    /// PR_SET_NO_NEW_PRIVS: execve can no longer grant privileges (set-id bits, file
    /// capabilities); irreversible and inherited.
    public static func setNoNewPrivileges() throws(SyscallError) {
        try sys("prctl(PR_SET_NO_NEW_PRIVS)") { berth_prctl(Int32(BERTH_PR_SET_NO_NEW_PRIVS), 1, 0, 0, 0) }
    }
}
