import CBerth
import Glibc

/// Process creation with fork semantics, under the fork-boundary rule (DESIGN.md):
/// berth only clones while it is single-threaded, so the child may run Swift freely.
public enum Clone {
    /// The number of threads in this process (entries of `/proc/self/task`).
    public static func threadCount() -> Int {
        (try? FileIO.list("/proc/self/task").count) ?? 0
    }

    /// True when this process has exactly one thread.
    public static var isSingleThreaded: Bool { threadCount() == 1 }

    /// clone3 with `flags` (CLONE_NEW* etc.): returns nil in the child, and in the parent
    /// the child's pid and a pidfd for it.
    public static func clone(flags: UInt64, cgroupFD: Int32 = -1) throws(SyscallError) -> (pid: Int32, pidfd: Int32)? {
        let threads = threadCount()
        guard threads == 1 else {
            // Cloning a multi-threaded process would let the child inherit locks held by
            // threads that no longer exist.
            throw SyscallError("clone3: refusing to clone a process with \(threads) threads", errno: .notSupported)
        }
        var pidfd: Int32 = -1
        let pid = try sys("clone3") { berth_clone3(flags, &pidfd, cgroupFD, SIGCHLD) }
        if pid == 0 { return nil }
        return (pid, pidfd)
    }
}
