import BerthSystem
import Glibc

/// A process of a container: its init (`ContainerRuntime.create` and `run`, as
/// `Container.initProcess`) or a process started by `Container.exec`. It holds a pidfd,
/// so waiting and signalling reach exactly this process, whatever happens to its pid.
///
/// Its standard streams are what `ProcessIO` asked for: with `.pipes` the caller's ends
/// are `standardInput`, `standardOutput` and `standardError`; with `.terminal` the
/// pseudo-terminal's master is `terminal`. Those descriptors belong to the caller.
public final class ContainerProcess: Sendable {
    /// The container the process belongs to.
    public let container: Container
    /// The process's host pid.
    public let pid: Int32
    /// A pidfd of the process, owned by this object (closed when it goes away).
    let pidfd: Int32
    /// The write end of the process's standard input (`ProcessIO.pipes`).
    public let standardInput: Int32?
    /// The read end of the process's standard output (`ProcessIO.pipes`).
    public let standardOutput: Int32?
    /// The read end of the process's standard error (`ProcessIO.pipes`).
    public let standardError: Int32?
    /// The master of the process's pseudo-terminal (`ProcessIO.terminal`).
    public let terminal: PseudoTerminal?
    /// The pty master when berth relays the terminal itself (`ProcessIO.inherit` with a
    /// terminal and no console socket: a foreground `run` or `exec -t`), else -1.
    let relayMaster: Int32
    /// The container's NOTIFY_SOCKET proxy (`run`): its socket and the caller's path.
    let notify: (fd: Int32, host: String)?

    init(
        container: Container, pid: Int32, pidfd: Int32, streams: StandardStreams? = nil,
        terminal: PseudoTerminal? = nil, relayMaster: Int32 = -1, notify: (fd: Int32, host: String)? = nil
    ) {
        self.container = container
        self.pid = pid
        self.pidfd = pidfd
        self.standardInput = streams?.input
        self.standardOutput = streams?.output
        self.standardError = streams?.error
        self.terminal = terminal
        self.relayMaster = relayMaster
        self.notify = notify
    }

    deinit {
        close(pidfd)
        if relayMaster >= 0 { close(relayMaster) }
        if let notify { close(notify.fd) }
    }

    /// Sends `signal` to the process (through its pidfd).
    public func signal(_ signal: Int32) throws(BerthError) {
        do throws(SyscallError) {
            _ = try sys("pidfd_send_signal", "pid \(pid)") { Pidfd.send(signal, to: pidfd) ? 0 : -1 }
        } catch {
            if error.errno == .noSuchProcess { throw BerthError(.invalidState, "process \(pid) has exited") }
            throw BerthError.system("signal", error)
        }
    }

    /// Waits for the process to end and returns its exit status (or the signal that
    /// killed it). Blocks the calling thread; call it again and it returns the same.
    ///
    /// A process this program cloned (an in-process `create`, `run` or `exec`) is
    /// waited for and reaped through its pidfd. One that a helper `berth` started (this
    /// program had threads) belongs to its new parent once the helper exited: its status
    /// is read from the pidfd once that parent has reaped it (Linux 6.15 and later keep it
    /// for pidfd holders; an older kernel fails here with a `.system` error).
    public func wait() throws(BerthError) -> ExitStatus {
        if relayMaster >= 0 || notify != nil { return waitRelaying(forwardSignals: false) }
        return try Self.exitStatus(pidfd: pidfd, pid: pid)
    }

    static func exitStatus(pidfd: Int32, pid: Int32) throws(BerthError) -> ExitStatus {
        let status: Int32?
        do throws(SyscallError) { status = try Pidfd.waitForExit(pidfd) } catch {
            throw BerthError.system("wait for process \(pid)", error)
        }
        guard let status else {
            throw BerthError(
                .system,
                "wait for process \(pid): it exited, but this kernel keeps no exit status for a process that is not berth's child (PIDFD_INFO_EXIT needs Linux 6.15)"
            )
        }
        return ExitStatus(rawWaitStatus: status)
    }

    /// Waits as a foreground `berth run` or `exec` does: signals delivered to this
    /// process (blocked beforehand with `SignalForwarder.block()`) are forwarded to the
    /// container process; with a relayed terminal, stdin goes to the container's pty and
    /// its output to stdout, and window-size changes follow. Needs a single-threaded
    /// caller (signalfd only sees signals blocked in every thread).
    public func waitForwardingSignals() -> ExitStatus {
        waitRelaying(forwardSignals: true)
    }

    private func waitRelaying(forwardSignals: Bool) -> ExitStatus {
        let sigfd = forwardSignals ? Signals.forwardedSignalFD() : -1
        let relay = relayMaster >= 0 ? TerminalRelay(master: relayMaster) : nil
        defer {
            if sigfd >= 0 { close(sigfd) }
            relay?.finish()
        }
        var stdinOpen = relay != nil
        var notifyFD = notify.map { dup($0.fd) } ?? -1
        defer { if notifyFD >= 0 { close(notifyFD) } }
        while true {
            var fds = [
                pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: sigfd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: relay != nil ? relayMaster : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: stdinOpen ? 0 : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: notifyFD, events: Int16(POLLIN), revents: 0),
            ]
            let r = poll(&fds, nfds_t(fds.count), -1)
            if r < 0 { if currentErrno() == .interrupted { continue } else { break } }
            if fds[2].revents != 0, let relay, !relay.pump(from: relayMaster, to: 1) {
                // EIO: every slave is closed; the process is exiting.
            }
            if fds[3].revents != 0, let relay, !relay.pump(from: 0, to: relayMaster) {
                // End of our stdin: the terminal's EOF character gives the container's
                // reader end of input too (in canonical mode), as typing ^D would.
                stdinOpen = false
                var eof: UInt8 = 4
                _ = write(relayMaster, &eof, 1)
            }
            if fds[4].revents != 0, let notify, NotifySocket.handle(notifyFD, initPID: pid, host: notify.host) {
                close(notifyFD)
                notifyFD = -1
            }
            if fds[0].revents != 0 {
                if let relay { while relay.pump(from: relayMaster, to: 1, nonBlocking: true) {} }
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
        // The CLI's callers read 128+signal from a process that cannot be waited for.
        return (try? Self.exitStatus(pidfd: pidfd, pid: pid)) ?? ExitStatus(rawWaitStatus: SIGKILL)
    }
}
