import CBerth
import Glibc

/// The transport under the parent↔child sync protocol: a SOCK_SEQPACKET pair, so each
/// packet arrives whole, close-on-exec, so end of stream tells the parent the child
/// exec'd. What the packets mean is `Berth.SyncMessage`'s business.
public struct SyncSocket: Sendable {
    public let fd: Int32

    /// The largest packet `receivePacket` takes.
    public static let maxPacket = 65536

    public init(fd: Int32) { self.fd = fd }

    /// A connected pair, both ends close-on-exec.
    public static func pair() throws(SyscallError) -> (parent: SyncSocket, child: SyncSocket) {
        var fds: [Int32] = [-1, -1]
        try sys("socketpair") {
            socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds)
        }
        return (SyncSocket(fd: fds[0]), SyncSocket(fd: fds[1]))
    }

    /// Sends one packet.
    public func send(packet: [UInt8]) throws(SyscallError) {
        try sys("send", "sync socket") {
            packet.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
    }

    /// Sends a one-byte packet with `attached` (SCM_RIGHTS). Nothing is allocated on the
    /// way: it may run right after a seccomp filter is loaded, before anyone can answer a
    /// notification.
    public func send(byte: UInt8, attaching attached: Int32) throws(SyscallError) {
        try sys("sendmsg", "sync socket") {
            withUnsafeBytes(of: byte) { berth_send_fd(fd, attached, $0.baseAddress, 1) }
        }
    }

    /// Receives one packet and the descriptor attached to it (-1 when none, close-on-exec
    /// otherwise); nil at end of stream (the peer closed, exec'd or died).
    public func receivePacket() throws(SyscallError) -> (bytes: [UInt8], fd: Int32)? {
        var buf = [UInt8](repeating: 0, count: Self.maxPacket)
        var attached: Int32 = -1
        let n: Int
        do throws(SyscallError) {
            n = try sys("recvmsg", "sync socket") {
                buf.withUnsafeMutableBytes { berth_recv_maybe_fd(fd, $0.baseAddress, $0.count, &attached) }
            }
        } catch {
            // A peer that dies with a packet of ours unread (a child OOM-killed before it
            // read its answer) resets the connection instead of closing it: the end too.
            if error.errno == .connectionReset { return nil }
            throw error
        }
        if n == 0 {
            if attached >= 0 { _ = Glibc.close(attached) }
            return nil
        }
        return (Array(buf[0..<n]), attached)
    }

    public func close() { _ = Glibc.close(fd) }
}
