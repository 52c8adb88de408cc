import BerthSystem
import Glibc

/// A process of a container that is a child of this process: the init from
/// `ContainerRuntime.run`, or a process from `Container.exec`.
public struct RunningContainer: Sendable {
    public let container: Container
    /// The process's host pid.
    public let pid: Int32
    let pidfd: Int32
    /// The pty master when berth relays the container's terminal itself, else -1.
    let master: Int32
    /// The container's NOTIFY_SOCKET proxy (`run`): its socket and the caller's path.
    var notify: (fd: Int32, host: String)?

    init(container: Container, pid: Int32, pidfd: Int32, master: Int32 = -1) {
        self.container = container
        self.pid = pid
        self.pidfd = pidfd
        self.master = master
    }

    /// Waits for the init to exit and returns its exit status. Signals delivered to this
    /// process (blocked beforehand with `SignalForwarder.block()`) are forwarded; with a
    /// relayed terminal, stdin goes to the container's pty and its output to stdout, and
    /// window-size changes follow.
    public func wait(forwardSignals: Bool = true) -> ExitStatus {
        let sigfd = forwardSignals ? Signals.forwardedSignalFD() : -1
        let relay = master >= 0 ? TerminalRelay(master: master) : nil
        defer {
            if sigfd >= 0 { close(sigfd) }
            close(pidfd)
            relay?.finish()
        }
        var stdinOpen = relay != nil
        var notifyFD = notify?.fd ?? -1
        defer { if notifyFD >= 0 { close(notifyFD) } }
        while true {
            var fds = [pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: sigfd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: relay != nil ? master : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: stdinOpen ? 0 : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: notifyFD, events: Int16(POLLIN), revents: 0)]
            let r = poll(&fds, nfds_t(fds.count), -1)
            if r < 0 { if currentErrno() == .interrupted { continue } else { break } }
            if fds[2].revents != 0, let relay, !relay.pump(from: master, to: 1) {
                // EIO: every slave is closed; the process is exiting.
            }
            if fds[3].revents != 0, let relay, !relay.pump(from: 0, to: master) {
                // End of our stdin: the terminal's EOF character gives the container's
                // reader end of input too (in canonical mode), as typing ^D would.
                stdinOpen = false
                var eof: UInt8 = 4
                _ = write(master, &eof, 1)
            }
            if fds[4].revents != 0, let notify, NotifySocket.handle(notifyFD, initPID: pid, host: notify.host) {
                close(notifyFD)
                notifyFD = -1
            }
            if fds[0].revents != 0 {
                if let relay { while relay.pump(from: master, to: 1, nonBlocking: true) {} }
                break
            }
            if sigfd >= 0 && fds[1].revents & Int16(POLLIN) != 0 {
                // struct signalfd_siginfo is 128 bytes; ssi_signo is its first field.
                var info = [UInt32](repeating: 0, count: 32)
                while read(sigfd, &info, 128) == 128 {
                    let sig = Int32(bitPattern: info[0])
                    if sig == SIGWINCH { relay?.copyWindowSize(); continue }
                    if sig == SIGCHLD || sig == SIGURG { continue }
                    Pidfd.send(sig, to: pidfd)
                }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && currentErrno() == .interrupted {}
        return ExitStatus(rawWaitStatus: status)
    }
}

/// Copies between berth's stdio and the container's pty master, with the caller's
/// terminal (when stdin is one) in raw mode for the duration.
final class TerminalRelay: @unchecked Sendable {
    let master: Int32
    private var saved: termios?

    init(master: Int32) {
        self.master = master
        if isatty(0) == 1 {
            var t = termios()
            if tcgetattr(0, &t) == 0 {
                saved = t
                var raw = t
                cfmakeraw(&raw)
                _ = tcsetattr(0, TCSANOW, &raw)
            }
            copyWindowSize()
        }
    }

    func copyWindowSize() {
        Terminal.copyWindowSize(from: 0, to: master)
    }

    /// Moves one chunk; false at end of input or on error.
    func pump(from source: Int32, to target: Int32, nonBlocking: Bool = false) -> Bool {
        if nonBlocking {
            var p = pollfd(fd: source, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 0) == 1, p.revents & Int16(POLLIN) != 0 else { return false }
        }
        var buf = [UInt8](repeating: 0, count: 8192)
        let n = read(source, &buf, buf.count)
        guard n > 0 else { return false }
        try? FileIO.writeAll(target, buf[0..<n])
        return true
    }

    func finish() {
        if var t = saved { _ = tcsetattr(0, TCSANOW, &t) }
        close(master)
    }
}

/// Blocks the signals a foreground `run` forwards, so that none arriving during set-up
/// kills berth and orphans the container. The container init unblocks them for itself.
public enum SignalForwarder {
    public static func block() {
        Signals.blockForwarded()
    }
}
