import BerthSystem
import CBerth
import Glibc

/// A container whose init is a child of this process (from `ContainerRuntime.run`).
public struct RunningContainer: Sendable {
    public let container: Container
    /// The init's host pid.
    public let pid: Int32
    let pidfd: Int32

    /// Waits for the init to exit, forwarding signals delivered to this process (blocked
    /// beforehand with `SignalForwarder.block()`), and returns its exit status.
    public func wait(forwardSignals: Bool = true) -> ExitStatus {
        let sigfd = forwardSignals ? berth_signalfd_all() : -1
        defer { if sigfd >= 0 { close(sigfd) }; close(pidfd) }
        var fds = [pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: sigfd, events: Int16(POLLIN), revents: 0)]
        while true {
            let r = poll(&fds, sigfd >= 0 ? 2 : 1, -1)
            if r < 0 { if currentErrno() == .interrupted { continue } else { break } }
            if fds[0].revents != 0 { break }
            if sigfd >= 0 && fds[1].revents & Int16(POLLIN) != 0 {
                // struct signalfd_siginfo is 128 bytes; ssi_signo is its first field.
                var info = [UInt32](repeating: 0, count: 32)
                while read(sigfd, &info, 128) == 128 {
                    let sig = Int32(bitPattern: info[0])
                    if sig == SIGCHLD || sig == SIGWINCH || sig == SIGURG { continue }
                    _ = berth_pidfd_send_signal(pidfd, sig)
                }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && currentErrno() == .interrupted {}
        return ExitStatus(rawWaitStatus: status)
    }
}

/// Blocks the signals a foreground `run` forwards, so that none arriving during set-up
/// kills berth and orphans the container. The container init unblocks them for itself.
public enum SignalForwarder {
    public static func block() {
        var old = sigset_t()
        _ = berth_block_signals(&old)
    }
}
