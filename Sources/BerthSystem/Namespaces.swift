import CBerth
import Glibc

/// Namespace kinds with their clone flags and `/proc/<pid>/ns/` names.
public enum Namespace: String, CaseIterable, Sendable {
    case user, mount, uts, ipc, network, cgroup, pid, time

    /// The CLONE_NEW* flag.
    public var cloneFlag: Int32 {
        switch self {
        case .user: return 0x1000_0000
        case .mount: return 0x0002_0000
        case .uts: return 0x0400_0000
        case .ipc: return 0x0800_0000
        case .network: return 0x4000_0000
        case .cgroup: return 0x0200_0000
        case .pid: return 0x2000_0000
        case .time: return 0x0000_0080
        }
    }

    /// The file name under `/proc/<pid>/ns/`.
    public var procName: String {
        switch self {
        case .user: return "user"
        case .mount: return "mnt"
        case .uts: return "uts"
        case .ipc: return "ipc"
        case .network: return "net"
        case .cgroup: return "cgroup"
        case .pid: return "pid"
        case .time: return "time"
        }
    }

    /// Joins the namespace at `path` (setns(2)); for pid and time namespaces this only
    /// affects children created afterwards.
    public func join(path: String) throws(SyscallError) {
        let fd = try sys("open", path) { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        try join(fd: fd, path: path)
    }

    /// Joins the namespace the open namespace file `fd` (from `path`) refers to.
    public func join(fd: Int32, path: String) throws(SyscallError) {
        try sys("setns", path) { berth_setns(fd, cloneFlag) }
    }

    /// Joins this namespace of the process `pidfd` names (setns(2) on a pidfd).
    public func join(pidfd: Int32) throws(SyscallError) {
        try sys("setns", procName) { berth_setns(pidfd, cloneFlag) }
    }
}

/// unshare(2).
public func unshareNamespaces(_ flags: Int32) throws(SyscallError) {
    try sys("unshare") { berth_unshare(flags) }
}

extension Namespace {
    /// Joins, in one setns(2) on `pidfd`, every namespace of that process named in
    /// `flags` (CLONE_NEW* bits); with the user namespace among them, the kernel joins it
    /// first, so the rest are joined with the capabilities held in it.
    public static func joinAll(flags: Int32, of pidfd: Int32) throws(SyscallError) {
        try sys("setns", "namespaces of the container's init") { berth_setns(pidfd, flags) }
    }
}

extension Namespace {
    /// Opens this namespace of the calling process (`/proc/self/ns/<name>`), close-on-exec,
    /// to come back to it after a setns.
    public func openOwn() throws(SyscallError) -> Int32 {
        let path = "/proc/self/ns/" + procName
        return try sys("open", path) { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
    }
}
