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

    /// Receives one message; nil at end of stream (the peer closed or exec'd).
    public func receive() throws(SyscallError) -> (Tag, [UInt8])? {
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = try sys("recv", "sync socket") {
            buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        }
        if n == 0 { return nil }
        guard let tag = Tag(rawValue: buf[0]) else {
            throw SyscallError("recv", "sync socket", errno: .badMessage)
        }
        return (tag, Array(buf[1..<n]))
    }

    public func close() { _ = Glibc.close(fd) }
}
