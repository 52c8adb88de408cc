import Glibc

/// Reading and writing a process's pipes (`ProcessIO.pipes`) from async code: the
/// descriptor is made non-blocking, and the task suspends while it has nothing to give
/// or take.
public enum AsyncStreams {
    /// Everything readable from `fd` until end of file (the process, and whatever it
    /// handed the pipe to, has closed its end); then closes `fd`.
    public static func readAll(_ fd: Int32) async throws -> [UInt8] {
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n > 0 { bytes += buffer[0..<n]; continue }
            if n == 0 { return bytes }
            switch errno {
            case EINTR: continue
            case EAGAIN: await EventLoop.shared.wait(for: fd, events: Int16(POLLIN))
            default: throw AsyncStreamError(operation: "read", errno: errno)
            }
        }
    }

    /// Writes all of `bytes` to `fd`, then closes it when `close` is set (end of file for
    /// the process's standard input).
    public static func write(_ bytes: [UInt8], to fd: Int32, close closing: Bool = true) async throws {
        defer { if closing { close(fd) } }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n >= 0 { offset += n; continue }
            switch errno {
            case EINTR: continue
            case EAGAIN: await EventLoop.shared.wait(for: fd, events: Int16(POLLOUT))
            default: throw AsyncStreamError(operation: "write", errno: errno)
            }
        }
    }
}

/// A failed read or write of a process's pipe.
public struct AsyncStreamError: Error, Sendable, CustomStringConvertible {
    /// `read` or `write`.
    public var operation: String
    /// The errno it failed with.
    public var errno: Int32

    /// `read: <what errno says>`.
    public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}
