import BerthSystem
import Glibc
import Testing

@testable import Berth

/// The parent↔child sync protocol's codec: every message survives encoding, a child's
/// error keeps its code and errno, and malformed packets are refused.
@Suite struct SyncMessageTests {
    static let messages: [SyncMessage] = [
        .requestHostSetUp,
        .resetSignals(1 << 12 | 1 << 0 | 1 << 63),
        .hostSetUpDone,
        .warning("linux.seccomp: ignoring syscalls unknown to libseccomp: foo"),
        .debug("mounts: root switched (pivot_root), masked and read-only paths applied"),
        .seccompListenerForwarded,
        .awaitingStart,
        .startProcess,
        .siblingCloned(pid: 4_194_303),
        .failed(BerthError(.invalidSpec, "linux.namespaces: a new mount namespace is required")),
        .failed(BerthError(.system, "exec: \"x\": permission denied", errno: EACCES)),
        .failed(BerthError(.alreadyExists, "container with given ID already exists")),
        .failed(BerthError(.notFound, "container does not exist", errno: 0)),
        .failed(BerthError(.invalidState, "ünïcode ✓", errno: -1)),
    ]

    @Test(arguments: messages) func roundTrip(_ message: SyncMessage) {
        #expect(SyncMessage(packet: message.encoded) == message)
    }

    @Test func seccompListenerNeedsItsDescriptor() {
        let packet = SyncMessage.seccompListener(fd: 5).encoded
        #expect(SyncMessage(packet: packet) == nil)
        #expect(SyncMessage(packet: packet, fd: 5) == .seccompListener(fd: 5))
    }

    @Test func malformedPacketsAreRefused() {
        #expect(SyncMessage(packet: []) == nil)
        #expect(SyncMessage(packet: [0]) == nil)
        #expect(SyncMessage(packet: [200]) == nil)
        // siblingCloned without its pid; failed without its header or with an unknown code
        #expect(SyncMessage(packet: [SyncMessage.siblingCloned(pid: 1).encoded[0], 1, 2]) == nil)
        let failed = SyncMessage.failed(BerthError(.system, "x")).encoded
        #expect(SyncMessage(packet: Array(failed.prefix(4))) == nil)
        var badCode = failed
        badCode[1] = 99
        #expect(SyncMessage(packet: badCode) == nil)
    }

    @Test func longTextIsCutToOnePacket() {
        let text = String(repeating: "x", count: 100_000)
        let packet = SyncMessage.failed(BerthError(.system, text)).encoded
        #expect(packet.count <= SyncSocket.maxPacket)
        guard case .failed(let error)? = SyncMessage(packet: packet) else {
            Issue.record("not decoded")
            return
        }
        #expect(error.message.count == 60000)
    }

    /// Over a real socket pair: messages in order, the listener fd carried as
    /// SCM_RIGHTS, end of stream once the peer is closed.
    @Test func overASocketPair() throws {
        let (parent, child) = try SyncSocket.pair()
        defer { parent.close() }
        var pipeFDs: [Int32] = [-1, -1]
        #expect(pipe(&pipeFDs) == 0)
        defer { close(pipeFDs[0]); close(pipeFDs[1]) }

        try child.send(.requestHostSetUp)
        try child.send(.seccompListener(fd: pipeFDs[1]))
        child.report(BerthError(.invalidSpec, "process.rlimits: unknown rlimit \"RLIMIT_X\""))
        child.close()

        #expect(try parent.receive() == .requestHostSetUp)
        guard case .seccompListener(let received)? = try parent.receive() else {
            Issue.record("no listener fd")
            return
        }
        // The received descriptor is a new one for the same pipe.
        #expect(received != pipeFDs[1])
        #expect(write(received, "k", 1) == 1)
        close(received)
        var byte: UInt8 = 0
        #expect(read(pipeFDs[0], &byte, 1) == 1 && byte == UInt8(ascii: "k"))
        #expect(try parent.receive() == .failed(BerthError(.invalidSpec, "process.rlimits: unknown rlimit \"RLIMIT_X\"")))
        #expect(try parent.receive() == nil)
    }

    /// A child that dies with a message of the parent's unread (OOM-killed before it read
    /// its answer) resets the connection: the parent sees the end of stream, as for any
    /// other death, and can say how the child died.
    @Test func aPeerGoneWithUnreadDataIsTheEnd() throws {
        let (parent, child) = try SyncSocket.pair()
        defer { parent.close() }
        try parent.send(.hostSetUpDone)
        child.close()
        #expect(try parent.receive() == nil)
    }

    @Test func childFailuresKeepTheirCode() {
        let spec = BerthError(childFailure: InitError.spec("linux.devices: unknown device type \"q\" for /dev/x"))
        #expect(spec.code == .invalidSpec)
        #expect(spec.errno == nil)
        let system = BerthError(childFailure: SyscallError("mount", "/proc", errno: .notPermitted))
        #expect(system == BerthError(.system, "mount /proc: operation not permitted", errno: EPERM))
        let hook = BerthError(childFailure: BerthError(.invalidSpec, "hook failed"))
        #expect(hook.code == .invalidSpec)
        let shown = BerthError.containerProcess(spec)
        #expect(shown.code == .invalidSpec)
        #expect(shown.message == "unable to start container process: linux.devices: unknown device type \"q\" for /dev/x")
    }
}
