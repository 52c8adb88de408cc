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
            startTime == nil || stat.startTime == startTime
        else {
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

extension Pidfd {
    /// Waits until the process behind `pidfd` has ended and returns its status in
    /// waitpid's encoding. The caller's own child is waited for (and reaped) with
    /// waitid(P_PIDFD). Any other process (an init re-parented to a subreaper when the
    /// `berth` that cloned it exited) is waited for until its parent has reaped it, which
    /// the pidfd reports as POLLHUP, and its status is then the one the kernel keeps for
    /// pidfd holders (PIDFD_INFO_EXIT, Linux 6.15). nil when the kernel kept none: an
    /// older kernel.
    public static func waitForExit(_ pidfd: Int32) throws(SyscallError) -> Int32? {
        var status: Int32 = 0
        while true {
            if berth_waitid_pidfd(pidfd, 0, &status) == 1 { return status }
            let e = currentErrno()
            if e == .interrupted { continue }
            guard e == .noChildProcess else { throw SyscallError("waitid", "pidfd \(pidfd)", errno: e) }
            break
        }
        // Not (or no longer) our child: POLLHUP, which poll reports unasked, once reaped.
        var p = pollfd(fd: pidfd, events: 0, revents: 0)
        while poll(&p, 1, -1) < 0 {
            let e = currentErrno()
            if e != .interrupted { throw SyscallError("poll", "pidfd \(pidfd)", errno: e) }
        }
        return reapedExitStatus(pidfd)
    }

    /// The status (waitpid's encoding) of a process that has been reaped, as the kernel
    /// keeps it for pidfd holders (Linux 6.15); nil while it runs, is a zombie, or on a
    /// kernel that keeps none.
    public static func reapedExitStatus(_ pidfd: Int32) -> Int32? {
        var status: Int32 = 0
        return berth_pidfd_exit_status(pidfd, &status) == 1 ? status : nil
    }

    /// The caller's child's status when it has exited (reaping it), nil while it runs;
    /// throws ECHILD for a process that is not the caller's child.
    public static func exitStatusIfExited(child pidfd: Int32) throws(SyscallError) -> Int32? {
        var status: Int32 = 0
        let r = try sys("waitid", "pidfd \(pidfd)") { berth_waitid_pidfd(pidfd, WNOHANG, &status) }
        return r == 1 ? status : nil
    }
}

extension Pidfd {
    /// Gives up ownership: the descriptor is the caller's to close.
    public consuming func release() -> Int32 {
        let fd = self.fd
        discard self
        return fd
    }
}
