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

    /// Sends one packet with several descriptors attached (SCM_RIGHTS, 1 to 253).
    public func send(packet: [UInt8], attaching fds: [Int32]) throws(SyscallError) {
        try sys("sendmsg", "sync socket") {
            fds.withUnsafeBufferPointer { f in
                packet.withUnsafeBytes { berth_send_fds(fd, f.baseAddress, Int32(f.count), $0.baseAddress, $0.count) }
            }
        }
    }

    /// The most descriptors one packet carries.
    public static let maxDescriptors = 253

    /// Receives one packet and every descriptor attached to it (close-on-exec); nil at end
    /// of stream (the peer closed, exec'd or died).
    public func receivePacketWithDescriptors() throws(SyscallError) -> (bytes: [UInt8], fds: [Int32])? {
        // Uninitialised: zeroing 64 KiB for a packet of a few bytes cost a memset and
        // sixteen page faults per receive; the kernel writes only what arrives.
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.maxPacket, alignment: 1)
        defer { buf.deallocate() }
        var fds = [Int32](repeating: -1, count: Self.maxDescriptors)
        var count: Int32 = 0
        var n = 0
        var resets = 0
        while true {
            do throws(SyscallError) {
                n = try sys("recvmsg", "sync socket") {
                    fds.withUnsafeMutableBufferPointer {
                        berth_recv_fds(fd, buf.baseAddress, buf.count, $0.baseAddress, Int32(Self.maxDescriptors), &count)
                    }
                }
                break
            } catch {
                // A peer that dies with a packet of ours unread (a child that failed before
                // it read its answer) resets the connection instead of closing it. The
                // kernel reports the reset first, once, before what the peer sent and we
                // have not read yet (its failure report): read on, to that or to the end
                // (the peer is gone: nothing blocks).
                if error.errno == .connectionReset && resets == 0 {
                    resets += 1
                    continue
                }
                if error.errno == .connectionReset { return nil }
                throw error
            }
        }
        let received = Array(fds.prefix(Int(count)))
        if n == 0 {
            for f in received { _ = Glibc.close(f) }
            return nil
        }
        return (Array(UnsafeRawBufferPointer(rebasing: buf[0..<n])), received)
    }

    /// Receives one packet and the descriptor attached to it (-1 when none, close-on-exec
    /// otherwise; any further ones are closed); nil at end of stream.
    public func receivePacket() throws(SyscallError) -> (bytes: [UInt8], fd: Int32)? {
        guard let (bytes, fds) = try receivePacketWithDescriptors() else { return nil }
        for f in fds.dropFirst() { _ = Glibc.close(f) }
        return (bytes, fds.first ?? -1)
    }

    /// True when the peer has closed its end (it exited or died): nothing more comes
    /// from it. One poll, without waiting.
    public var peerClosed: Bool {
        var p = pollfd(fd: fd, events: 0, revents: 0)
        return poll(&p, 1, 0) == 1 && p.revents & Int16(POLLHUP) != 0
    }

    public func close() { _ = Glibc.close(fd) }
}
