import CBerth
import Glibc

/// Process creation with fork semantics, under the fork-boundary rule (DESIGN.md):
/// berth only clones while it is single-threaded, so the child may run Swift freely.
public enum Clone {
    /// The number of threads in this process (entries of `/proc/self/task`); 0 when it
    /// cannot be read (see `countThreads`).
    public static func threadCount() -> Int {
        (try? countThreads()) ?? 0
    }

    /// The number of threads in this process, or why it cannot be known (no descriptor
    /// left to list /proc/self/task: a low RLIMIT_NOFILE).
    public static func countThreads() throws(SyscallError) -> Int {
        try FileIO.list("/proc/self/task").count
    }

    /// True when this process has exactly one thread.
    public static var isSingleThreaded: Bool { threadCount() == 1 }

    /// CLONE_PARENT: the new process becomes a sibling of the caller, a child of its
    /// parent; clone3 then wants exit_signal 0 (the caller's own is used).
    public static let parentFlag: UInt64 = 0x8000

    /// clone3 with `flags` (CLONE_NEW* etc.): returns nil in the child, and in the parent
    /// the child's pid and a pidfd for it. The child starts with every signal handler
    /// reset to SIG_DFL (CLONE_CLEAR_SIGHAND); ignored signals stay ignored (see
    /// `Signals.resetToDefault`).
    /// `knownSingleThreaded`: the caller is itself a fresh clone (whose /proc may be
    /// another pid namespace's), so the /proc/self/task check is skipped.
    public static func clone(flags: UInt64, cgroupFD: Int32 = -1, knownSingleThreaded: Bool = false) throws(SyscallError) -> (
        pid: Int32, pidfd: Int32
    )? {
        let threads = knownSingleThreaded ? 1 : try countThreads()
        guard threads == 1 else {
            // Cloning a multi-threaded process would let the child inherit locks held by
            // threads that no longer exist.
            throw SyscallError("clone3: refusing to clone a process with \(threads) threads", errno: .notSupported)
        }
        var pidfd: Int32 = -1
        let pid = try sys("clone3") { berth_clone3(flags, &pidfd, cgroupFD, flags & parentFlag != 0 ? 0 : SIGCHLD) }
        if pid == 0 { return nil }
        return (pid, pidfd)
    }

    /// In a freshly cloned child: be killed with SIGKILL when the parent that cloned it
    /// dies (PR_SET_PDEATHSIG), and exit at once if it already has (`parent` is the
    /// parent's pid, read before the clone).
    public static func dieWithParent(_ parent: Int32) {
        _ = berth_prctl(Int32(BERTH_PR_SET_PDEATHSIG), UInt(SIGKILL), 0, 0, 0)
        if getppid() != parent { _exit(1) }
    }
}
