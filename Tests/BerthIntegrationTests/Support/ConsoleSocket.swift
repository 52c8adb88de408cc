// The caller's side of `--console-socket`: a listening AF_UNIX SOCK_STREAM socket. The
// runtime connects during `create`, sends the pty master in one SCM_RIGHTS message and
// closes. The tests check exactly one fd arrives and read the container's output from it.
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

struct ConsoleHandoff {
    /// Number of SCM_RIGHTS control messages received on the connection.
    var rightsMessages: Int
    /// All descriptors received (normally one: the pty master).
    var fds: [Int32]
    /// Ordinary bytes sent along (runc sends the name of the master, e.g. "/dev/ptmx").
    var payload: [UInt8]
    var payloadString: String { String(decoding: payload, as: UTF8.self) }
}

final class ConsoleSocket {
    let path: String
    private(set) var fd: Int32 = -1
    private var received: [Int32] = []

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSetupError("socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw TestSetupError("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else { throw TestSetupError("bind \(path): \(String(cString: strerror(errno)))") }
        guard listen(fd, 4) == 0 else { throw TestSetupError("listen: \(String(cString: strerror(errno)))") }
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
        for f in received { Glibc.close(f) }
        received = []
        unlink(path)
    }

    /// Waits for a connection (at most `timeout` s), then reads until the peer closes,
    /// collecting every descriptor passed. Returns nil when nobody connected in time.
    func accept(timeout: Double = 30) -> ConsoleHandoff? {
        guard waitReadable(fd, timeout: timeout) else { return nil }
        let conn = Glibc.accept(fd, nil, nil)
        guard conn >= 0 else { return nil }
        _ = fcntl(conn, F_SETFD, FD_CLOEXEC)
        defer { Glibc.close(conn) }

        var handoff = ConsoleHandoff(rightsMessages: 0, fds: [], payload: [])
        let controlSize = 512
        let control = UnsafeMutableRawPointer.allocate(byteCount: controlSize, alignment: 8)
        let data = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 8)
        defer { control.deallocate(); data.deallocate() }
        let hdrSize = MemoryLayout<cmsghdr>.size
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard waitReadable(conn, timeout: deadline.timeIntervalSinceNow) else { break }
            var iov = iovec(iov_base: data, iov_len: 4096)
            var msg = msghdr()
            let n: Int = withUnsafeMutablePointer(to: &iov) { iovp in
                msg.msg_iov = iovp
                msg.msg_iovlen = 1
                msg.msg_control = control
                msg.msg_controllen = controlSize
                return recvmsg(conn, &msg, Int32(MSG_CMSG_CLOEXEC))
            }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                break
            }
            if n > 0 {
                handoff.payload += Array(UnsafeRawBufferPointer(start: data, count: n))
            }
            var offset = 0
            while offset + hdrSize <= Int(msg.msg_controllen) {
                let hdr = control.load(fromByteOffset: offset, as: cmsghdr.self)
                let len = Int(hdr.cmsg_len)
                if len < hdrSize { break }
                if hdr.cmsg_level == SOL_SOCKET && hdr.cmsg_type == Int32(SCM_RIGHTS) {
                    handoff.rightsMessages += 1
                    let count = (len - hdrSize) / MemoryLayout<Int32>.size
                    for i in 0..<count {
                        let f = control.loadUnaligned(fromByteOffset: offset + hdrSize + i * 4, as: Int32.self)
                        handoff.fds.append(f)
                        received.append(f)
                    }
                }
                offset += (len + 7) & ~7
            }
            if n == 0 && msg.msg_controllen == 0 { break }  // peer closed
        }
        return handoff
    }

    /// Reads from a pty master until the slave side is gone (EIO/EOF), `until` appears in
    /// the output, or `timeout` passes. Carriage returns are removed.
    static func readAll(_ fd: Int32, until: String? = nil, timeout: Double = 30) -> String {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let until, String(decoding: out, as: UTF8.self).contains(until) { break }
            guard waitReadable(fd, timeout: min(0.5, max(0, deadline.timeIntervalSinceNow))) else { continue }
            let n = read(fd, &buf, buf.count)
            if n > 0 { out += buf[0..<n]; continue }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            break
        }
        return String(decoding: out, as: UTF8.self).replacingOccurrences(of: "\r", with: "")
    }

    private static func waitReadable(_ fd: Int32, timeout: Double) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ms = Int32(max(0, min(timeout, 3600)) * 1000)
        while true {
            let r = poll(&p, 1, ms)
            if r < 0 && errno == EINTR { continue }
            return r > 0
        }
    }

    private func waitReadable(_ fd: Int32, timeout: Double) -> Bool { ConsoleSocket.waitReadable(fd, timeout: timeout) }
}
