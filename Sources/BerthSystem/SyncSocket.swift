import CBerth
import Glibc

/// The parent↔child channel across the clone: a SOCK_SEQPACKET pair, so each message
/// arrives whole. A message is one tag byte followed by a payload.
public struct SyncSocket: Sendable {
    public let fd: Int32

    /// Message tags.
    public enum Tag: UInt8, Sendable {
        /// child → parent: set up my uid/gid maps.
        case needMaps = 1
        /// parent → child: maps written, go on.
        case mapsDone = 2
        /// child → parent: set-up finished, waiting for start.
        case ready = 3
        /// child → parent: failed; payload is errno (4 bytes LE) then the message.
        case error = 4
        /// parent → child: start now (the `run` path, which needs no exec fifo).
        case start = 5
        /// intermediate child → parent: the pid (4 bytes LE) of the process it cloned on
        /// the parent's behalf (CLONE_PARENT) inside namespaces the parent cannot join.
        case childPID = 6
        /// child → parent: the seccomp listener fd of a filter with SCMP_ACT_NOTIFY rules,
        /// attached as SCM_RIGHTS, for `linux.seccomp.listenerPath`.
        case seccompListener = 7
        /// parent → child: the listener has the fd; go on.
        case seccompListenerDone = 8
        /// child → parent: a warning about the config (text), for the caller's log.
        case warning = 9
        /// child → parent: a set-up phase is done (text), for the caller's debug log; sent
        /// only when the caller asked for debug output.
        case debug = 10
    }

    public init(fd: Int32) { self.fd = fd }

    /// A connected pair, both ends close-on-exec.
    public static func pair() throws(SyscallError) -> (parent: SyncSocket, child: SyncSocket) {
        var fds: [Int32] = [-1, -1]
        try sys("socketpair") { socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) }
        return (SyncSocket(fd: fds[0]), SyncSocket(fd: fds[1]))
    }

    /// Sends one message.
    public func send(_ tag: Tag, _ payload: [UInt8] = []) throws(SyscallError) {
        let msg = [tag.rawValue] + payload
        try sys("send", "sync socket") { msg.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
    }

    /// Sends a message that is only a tag, with `fd` attached (SCM_RIGHTS). Nothing is
    /// allocated on the way: it may run right after a seccomp filter is loaded, before
    /// anyone can answer a notification.
    public func send(_ tag: Tag, fd attached: Int32) throws(SyscallError) {
        let byte = tag.rawValue
        try sys("sendmsg", "sync socket") {
            withUnsafeBytes(of: byte) { berth_send_fd(fd, attached, $0.baseAddress, 1) }
        }
    }

    /// Sends an error report: errno and text. When nobody listens any more (a failure
    /// after `create` has returned), the message goes to stderr instead.
    public func sendError(errno: Int32, _ message: String) {
        var payload = withUnsafeBytes(of: errno.littleEndian) { Array($0) }
        payload += Array(message.utf8.prefix(60000))
        if (try? send(.error, payload)) == nil {
            let line = "berth: " + message + "\n"
            _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
        }
    }

    /// Receives one message; nil at end of stream (the peer closed or exec'd). A
    /// descriptor sent along is closed.
    public func receive() throws(SyscallError) -> (Tag, [UInt8])? {
        guard let (tag, payload, attached) = try receiveWithFD() else { return nil }
        if attached >= 0 { _ = Glibc.close(attached) }
        return (tag, payload)
    }

    /// Receives one message and the descriptor attached to it (-1 when none, close-on-exec
    /// otherwise); nil at end of stream.
    public func receiveWithFD() throws(SyscallError) -> (Tag, [UInt8], Int32)? {
        var buf = [UInt8](repeating: 0, count: 65536)
        var attached: Int32 = -1
        let n = try sys("recvmsg", "sync socket") {
            buf.withUnsafeMutableBytes { berth_recv_maybe_fd(fd, $0.baseAddress, $0.count, &attached) }
        }
        if n == 0 {
            if attached >= 0 { _ = Glibc.close(attached) }
            return nil
        }
        guard let tag = Tag(rawValue: buf[0]) else {
            if attached >= 0 { _ = Glibc.close(attached) }
            throw SyscallError("recvmsg", "sync socket", errno: .badMessage)
        }
        return (tag, Array(buf[1..<n]), attached)
    }

    public func close() { _ = Glibc.close(fd) }
}
