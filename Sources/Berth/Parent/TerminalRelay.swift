import BerthSystem
import Glibc

/// Copies between berth's stdio and the container's pty master, with the caller's
/// terminal (when stdin is one) in raw mode for the duration.
final class TerminalRelay {
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

    /// Puts the caller's terminal back (the master is the process object's to close).
    func finish() {
        if var t = saved { _ = tcsetattr(0, TCSANOW, &t) }
    }
}
