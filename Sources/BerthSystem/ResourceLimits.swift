import CBerth
import Glibc

/// Resource limits (setrlimit/prlimit), by the numbers of `setrlimit(2)`.
public enum ResourceLimits {
    /// Sets one limit of this process.
    public static func set(_ resource: Int32, soft: UInt64, hard: UInt64) throws(SyscallError) {
        try set(pid: 0, resource, soft: soft, hard: hard)
    }

    /// Sets one limit of `pid` (0: this process). From outside a user namespace, a
    /// privileged caller can raise a hard limit the process itself could not raise.
    public static func set(pid: Int32, _ resource: Int32, soft: UInt64, hard: UInt64) throws(SyscallError) {
        try sys("prlimit") { berth_prlimit(pid, resource, soft, hard) }
    }
}
