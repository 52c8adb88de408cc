import CBerth
import Glibc

/// Client ends of AF_UNIX stream sockets: the console socket and the seccomp listener.
public enum UnixSocket {
    /// How long `connect` waits for room in a listener's backlog.
    public static let connectTimeoutMs = 5000

    /// Connects to the socket at `path`; the descriptor is close-on-exec (and blocking).
    /// A listener whose backlog stays full (one that never accepts) is an error after
    /// `connectTimeoutMs`, where a blocking connect would wait for ever.
    public static func connect(_ path: String) throws(SyscallError) -> Int32 {
        let fd = try sys("socket", path) {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            Glibc.close(fd)
            throw SyscallError("connect", path, errno: .fileNameTooLong)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let len = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        // A non-blocking AF_UNIX connect either connects at once or fails with EAGAIN
        // (backlog full), and is simply tried again.
        var waited = 0
        while true {
            let r = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, len) }
            }
            if r == 0 { break }
            let e = currentErrno()
            if e == .interrupted { continue }
            if e == .resourceTemporarilyUnavailable && waited < connectTimeoutMs {
                usleep(10_000)
                waited += 10
                continue
            }
            Glibc.close(fd)
            if e == .resourceTemporarilyUnavailable {
                throw SyscallError("connect (the listener accepted no connection in \(connectTimeoutMs / 1000) s)", path, errno: e)
            }
            throw SyscallError("connect", path, errno: e)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    /// Sends `payload` and `attached` in one SCM_RIGHTS message.
    public static func send(_ payload: [UInt8], fd attached: Int32, over socket: Int32, path: String) throws(SyscallError) {
        try sys("sendmsg", path) {
            payload.withUnsafeBytes { berth_send_fd(socket, attached, $0.baseAddress, $0.count) }
        }
    }
}

extension UnixSocket {
    /// Receives one message carrying one descriptor (SCM_RIGHTS); the payload is
    /// discarded. Returns the descriptor, or -1.
    public static func receiveFD(over socket: Int32) -> Int32 {
        var payload = [UInt8](repeating: 0, count: 256)
        var length = 0
        return berth_recv_fd(socket, &payload, payload.count, &length)
    }
}

extension UnixSocket {
    /// A listening socket bound at `path` (close-on-exec), for the console or pidfd socket
    /// of a helper `berth` process.
    public static func listen(_ path: String) throws(SyscallError) -> Int32 {
        let fd = try sys("socket", path) { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            Glibc.close(fd)
            throw SyscallError("bind", path, errno: .fileNameTooLong)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let len = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, len) }
        }
        if bound != 0 || Glibc.listen(fd, 4) != 0 {
            let e = currentErrno()
            Glibc.close(fd)
            throw SyscallError(bound != 0 ? "bind" : "listen", path, errno: e)
        }
        return fd
    }

    /// Accepts a connection that is already queued (the peer connected and may have
    /// exited); -1 when there is none.
    public static func acceptQueued(_ listener: Int32) -> Int32 {
        _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK)
        let fd = accept(listener, nil, nil)
        if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return fd
    }
}
