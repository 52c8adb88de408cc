import CBerth
import Glibc

/// A pidfd: a stable handle on one process that pid reuse cannot redirect.
public struct Pidfd: ~Copyable {
    public let fd: Int32
    public let pid: Int32

    /// Takes ownership of an existing pidfd.
    public init(adopting fd: Int32, pid: Int32) {
        self.fd = fd
        self.pid = pid
    }

    /// Opens a pidfd for `pid` and checks that it is still the process that started at
    /// `startTime` (read after the open, so a recycled pid cannot slip in between).
    /// Returns nil when the process is gone, a zombie, or another process.
    public static func open(pid: Int32, startTime: UInt64?) -> Pidfd? {
        guard pid > 0 else { return nil }
        let fd = berth_pidfd_open(pid, 0)
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        guard let stat = ProcStat.read(pid: pid), !stat.isDead,
              startTime == nil || stat.startTime == startTime else {
            close(fd)
            return nil
        }
        return Pidfd(adopting: fd, pid: pid)
    }

    deinit { close(fd) }

    /// Sends `signal` to the process.
    public func signal(_ signal: Int32) throws(SyscallError) {
        try sys("pidfd_send_signal", "pid \(pid)") { berth_pidfd_send_signal(fd, signal) }
    }

    /// Waits until the process exits or `timeoutMs` passes; true when it exited.
    public func waitExit(timeoutMs: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let r = poll(&p, 1, timeoutMs)
            if r < 0 && currentErrno() == .interrupted { continue }
            return r > 0
        }
    }
}

extension Pidfd {
    /// pidfd_open(2) of the caller's own child (no start-time check needed: an unreaped
    /// child's pid cannot be reused); close-on-exec.
    public static func openChild(_ pid: Int32) throws(SyscallError) -> Int32 {
        let fd = try sys("pidfd_open", "pid \(pid)") { berth_pidfd_open(pid, 0) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }

    /// pidfd_send_signal(2) through a pidfd the caller holds as a plain descriptor.
    @discardableResult
    public static func send(_ signal: Int32, to pidfd: Int32) -> Bool {
        berth_pidfd_send_signal(pidfd, signal) == 0
    }
}
