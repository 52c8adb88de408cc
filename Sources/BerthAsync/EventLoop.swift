import Foundation
import Glibc
import Synchronization

/// One thread that waits on descriptors for every task of the facade: a task that
/// awaits a descriptor suspends (no thread is blocked on its behalf) until the loop's
/// poll(2) reports it.
final class EventLoop: Sendable {
    /// The loop of the process, started on first use.
    static let shared = EventLoop()

    private struct Waiter {
        var fd: Int32
        var events: Int16
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var waiters: [Int: Waiter] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())
    /// Written to wake the loop when a waiter is added.
    private let wakeRead: Int32
    private let wakeWrite: Int32

    private init() {
        var fds: [Int32] = [-1, -1]
        precondition(pipe(&fds) == 0, "BerthAsync: pipe failed")
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        (wakeRead, wakeWrite) = (fds[0], fds[1])
        let thread = Thread { [self] in run() }
        thread.name = "BerthAsync event loop"
        thread.start()
    }

    /// Suspends until `fd` reports one of `events` (poll(2) bits; POLLHUP and POLLERR are
    /// always reported, so `0` waits for those alone: a pidfd's POLLHUP is its process
    /// being reaped).
    func wait(for fd: Int32, events: Int16) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            state.withLock { state in
                state.waiters[state.nextID] = Waiter(fd: fd, events: events, continuation: continuation)
                state.nextID += 1
            }
            var byte: UInt8 = 1
            _ = Glibc.write(wakeWrite, &byte, 1)
        }
    }

    private func run() {
        while true {
            let snapshot = state.withLock { state in state.waiters.map { ($0.key, $0.value.fd, $0.value.events) } }
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            fds += snapshot.map { pollfd(fd: $0.1, events: $0.2, revents: 0) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 { continue }
            if fds[0].revents != 0 {
                var buffer = [UInt8](repeating: 0, count: 64)
                while Glibc.read(wakeRead, &buffer, buffer.count) > 0 {}
            }
            var ready: [CheckedContinuation<Void, Never>] = []
            state.withLock { state in
                for (index, entry) in snapshot.enumerated() where fds[index + 1].revents != 0 {
                    if let waiter = state.waiters.removeValue(forKey: entry.0) { ready.append(waiter.continuation) }
                }
            }
            for continuation in ready { continuation.resume() }
        }
    }
}
