import BerthSystem
import Glibc

// The parent↔child sync protocol: every message that crosses the fork boundary, and the
// one place they are encoded and decoded. The transport is `SyncSocket` (SOCK_SEQPACKET,
// close-on-exec: end of stream means the child exec'd).
//
// create / run:
//
//   berth (parent)                                     container init (child)
//   clone3 ─────────────────────────────────────────►  closes berth's fds, keyring, signals,
//                                                      unshares a new time namespace
//                        ◄────────── requestHostSetUp
//   writes the uid/gid maps (user namespace) and the
//   time offsets; for a user namespace, opens the
//   bind-mount sources in the init's mount namespace
//   (MountSourceHelper):
//   mountSources(indexes, fds) ─────────────────────►  (any number, 253 fds at most each)
//   places the init in its cgroup (unless
//   CLONE_INTO_CGROUP did), writes oom_score_adj,
//   moves linux.netDevices in (state.json first),
//   runs the prestart and createRuntime hooks
//   resetSignals(mask) ─────────────────────────────►  (only when berth's caller left
//                                                      signals ignored: back to SIG_DFL)
//   hostSetUpDone ──────────────────────────────────►  joins namespaces by path (unless the
//                                                      intermediate did), unshares
//   writes state.json meanwhile                        cgroupns, mounts, createContainer
//                                                      hooks, pivot_root, process settings
//                        ◄───────────── warning(text)  (any number; berth logs them)
//                        ◄─────────────── debug(text)  (one per phase, with --debug only)
//                        ◄────── seccompListener(fd)   a filter with notify rules is loaded
//   sends the fd to linux.seccomp.listenerPath
//   seccompListenerForwarded ───────────────────────►
//                        ◄──────────── awaitingStart   then blocks: for stateRecorded and on
//   create: stateRecorded ──────────────────────────►  exec.fifo (create), or on this socket (run)
//   writes --pid-file, exits
//   run: startProcess ──────────────────────────────►  startContainer hooks, execve
//                        ◄──────────── end of stream   execve succeeded
//
//   At any point before execve:  ◄── failed(error)    then the child exits
//
//   Overlap (InitContext.hostSetUpWhileMounting: no user, cgroup or time namespace, no
//   prestart/createRuntime hooks, network devices or parent-opened bind sources): the
//   init sends requestHostSetUp and goes on with its namespaces and mounts at once,
//   reading resetSignals/hostSetUpDone only before its createContainer hooks, while berth
//   joins the cgroups. A host set-up that fails then looks for the init's failed(error)
//   first (the init may have failed meanwhile).
//
// exec:
//
//   berth (parent)                                     exec child
//   clone into the container's pid namespace (and
//   cgroup on v2); on v1 places the child in each
//   hierarchy; writes oom_score_adj
//   hostSetUpDone ──────────────────────────────────►  setns into the other namespaces,
//                                                      chroot, process settings
//                        ◄── warning / debug / seccompListener(fd) (answered as above)
//                        ◄── failed(error) | end of stream (execve succeeded)
//
// An intermediate child (namespaces joined by path together with a user namespace; exec
// from a non-root berth) clones the real child with CLONE_PARENT from inside the
// namespaces, sends
//                        ◄────────── siblingCloned(pid)
// and exits; the real child then speaks on the same socket as above.

/// One message of the parent↔child sync protocol (drawn above).
enum SyncMessage: Equatable, Sendable {
    /// child → parent: my namespaces exist; write my id maps and time offsets, place me in
    /// the cgroup, set my oom_score_adj, move the network devices in and run the prestart
    /// and createRuntime hooks, then answer `hostSetUpDone`.
    case requestHostSetUp
    /// parent → child: the host-side set-up is done (for exec: the child is in the
    /// container's cgroup); go on.
    case hostSetUpDone
    /// parent → child, after `requestHostSetUp` and before `hostSetUpDone`: bind-mount
    /// sources berth opened in the init's mount namespace (SCM_RIGHTS), each with the
    /// index of the mount it belongs to.
    case mountSources(indexes: [Int], fds: [Int32])
    /// parent → child, before `hostSetUpDone` and only when there are any: the signals
    /// the child inherited as ignored (bit `signal - 1`, from its /proc/<pid>/stat, which
    /// the parent reads anyway and which lists signals 1-31), to reset to SIG_DFL so the
    /// container's process does not inherit them through execve. Handlers are reset by
    /// the clone itself (CLONE_CLEAR_SIGHAND); asking the kernel for each of the 62
    /// dispositions instead costs about 140 µs here.
    case resetSignals(UInt64)
    /// child → parent: a warning about the config, for the caller's log.
    case warning(String)
    /// child → parent: a set-up phase is done, for the caller's `--debug` log; sent only
    /// when the caller asked for debug lines.
    case debug(String)
    /// child → parent: the listener fd of a seccomp filter with SCMP_ACT_NOTIFY rules
    /// (sent as SCM_RIGHTS), for `linux.seccomp.listenerPath`; answered by
    /// `seccompListenerForwarded`.
    case seccompListener(fd: Int32)
    /// parent → child: the listener has the fd; go on.
    case seccompListenerForwarded
    /// child → parent: set-up is finished; the init now waits for `start` (create returns).
    case awaitingStart
    /// parent → child: exec the process now (the `run` path, which has no exec fifo).
    case startProcess
    /// parent → child (create): state.json is written; wait for `start` on the exec fifo.
    /// Until then the init must not outlive berth, since nothing on disk would lead to it.
    case stateRecorded
    /// intermediate child → parent: the pid of the process it cloned with CLONE_PARENT
    /// on berth's behalf; the intermediate exits next.
    case siblingCloned(pid: Int32)
    /// child → parent: set-up failed; the child exits next. The error keeps its code, so
    /// a spec error found after the clone is still a spec error.
    case failed(BerthError)

    /// Wire tags: one byte before the payload.
    fileprivate enum Tag: UInt8 {
        case requestHostSetUp = 1
        case hostSetUpDone = 2
        case awaitingStart = 3
        case failed = 4
        case startProcess = 5
        case siblingCloned = 6
        case seccompListener = 7
        case seccompListenerForwarded = 8
        case warning = 9
        case mountSources = 10
        case debug = 11
        case stateRecorded = 12
        case resetSignals = 13
    }

    /// Error codes on the wire.
    private static let codes: [BerthError.Code] = [.system, .notFound, .alreadyExists, .invalidState, .invalidSpec]

    /// Longest error or warning text sent, in bytes (a packet is at most 64 KiB).
    private static let maxText = 60000

    /// The packet: the tag, then the payload. `seccompListener`'s fd travels beside it
    /// (see `SyncSocket.send(_:)`), not in the bytes.
    var encoded: [UInt8] {
        switch self {
        case .requestHostSetUp: return [Tag.requestHostSetUp.rawValue]
        case .hostSetUpDone: return [Tag.hostSetUpDone.rawValue]
        case .resetSignals(let mask):
            return [Tag.resetSignals.rawValue] + Self.bytes(Int32(bitPattern: UInt32(truncatingIfNeeded: mask)))
                + Self.bytes(Int32(bitPattern: UInt32(truncatingIfNeeded: mask >> 32)))
        case .warning(let text): return [Tag.warning.rawValue] + Array(text.utf8.prefix(Self.maxText))
        case .debug(let text): return [Tag.debug.rawValue] + Array(text.utf8.prefix(Self.maxText))
        case .seccompListener: return [Tag.seccompListener.rawValue]
        case .mountSources(let indexes, _): return [Tag.mountSources.rawValue] + indexes.flatMap { Self.bytes(Int32($0)) }
        case .seccompListenerForwarded: return [Tag.seccompListenerForwarded.rawValue]
        case .awaitingStart: return [Tag.awaitingStart.rawValue]
        case .startProcess: return [Tag.startProcess.rawValue]
        case .stateRecorded: return [Tag.stateRecorded.rawValue]
        case .siblingCloned(let pid): return [Tag.siblingCloned.rawValue] + Self.bytes(pid)
        case .failed(let error):
            // code (1 byte), errno present (1 byte), errno (4 bytes LE), message
            let code = UInt8(Self.codes.firstIndex(of: error.code) ?? 0)
            return [Tag.failed.rawValue, code, error.errno == nil ? 0 : 1] + Self.bytes(error.errno ?? 0)
                + Array(error.message.utf8.prefix(Self.maxText))
        }
    }

    /// The message in `packet`, with `fd` the descriptor that came with it (-1: none); nil
    /// when the packet is malformed. A descriptor the message does not carry is not
    /// closed here: the caller does that.
    init?(packet: [UInt8], fd: Int32 = -1) {
        self.init(packet: packet, fds: fd >= 0 ? [fd] : [])
    }

    /// The message in `packet`, with `fds` the descriptors that came with it; nil when the
    /// packet is malformed. Descriptors the message does not carry are not closed here.
    init?(packet: [UInt8], fds: [Int32]) {
        let fd = fds.first ?? -1
        guard let first = packet.first, let tag = Tag(rawValue: first) else { return nil }
        let payload = packet.dropFirst()
        switch tag {
        case .requestHostSetUp: self = .requestHostSetUp
        case .hostSetUpDone: self = .hostSetUpDone
        case .resetSignals:
            guard payload.count == 8, let low = Self.int32(payload), let high = Self.int32(payload.dropFirst(4)) else { return nil }
            self = .resetSignals(UInt64(UInt32(bitPattern: low)) | UInt64(UInt32(bitPattern: high)) << 32)
        case .warning: self = .warning(String(decoding: payload, as: UTF8.self))
        case .debug: self = .debug(String(decoding: payload, as: UTF8.self))
        case .seccompListener:
            guard fd >= 0 else { return nil }
            self = .seccompListener(fd: fd)
        case .mountSources:
            guard payload.count == fds.count * 4, !fds.isEmpty else { return nil }
            let indexes = stride(from: 0, to: payload.count, by: 4).compactMap {
                Self.int32(payload.dropFirst($0)).map { Int($0) }
            }
            self = .mountSources(indexes: indexes, fds: fds)
        case .seccompListenerForwarded: self = .seccompListenerForwarded
        case .awaitingStart: self = .awaitingStart
        case .startProcess: self = .startProcess
        case .stateRecorded: self = .stateRecorded
        case .siblingCloned:
            guard let pid = Self.int32(payload) else { return nil }
            self = .siblingCloned(pid: pid)
        case .failed:
            guard payload.count >= 6, Int(payload[payload.startIndex]) < Self.codes.count,
                let errno = Self.int32(payload.dropFirst(2))
            else { return nil }
            let code = Self.codes[Int(payload[payload.startIndex])]
            let hasErrno = payload[payload.startIndex + 1] != 0
            let message = String(decoding: payload.dropFirst(6), as: UTF8.self)
            self = .failed(BerthError(code, message, errno: hasErrno ? errno : nil))
        }
    }

    private static func bytes(_ value: Int32) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    private static func int32(_ bytes: ArraySlice<UInt8>) -> Int32? {
        guard bytes.count >= 4 else { return nil }
        let b = Array(bytes.prefix(4))
        return Int32(bitPattern: UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24)
    }
}

extension SyncSocket {
    /// Sends one message. `seccompListener` goes out without allocating (it follows the
    /// load of a filter whose notifications nobody answers yet).
    func send(_ message: SyncMessage) throws(SyscallError) {
        if case .seccompListener(let fd) = message {
            try send(byte: SyncMessage.Tag.seccompListener.rawValue, attaching: fd)
            return
        }
        if case .mountSources(_, let fds) = message {
            try send(packet: message.encoded, attaching: fds)
            return
        }
        try send(packet: message.encoded)
    }

    /// Receives one message; nil at end of stream (the peer closed or exec'd).
    /// Descriptors that came with a message that does not carry them are closed.
    func receive() throws(SyscallError) -> SyncMessage? {
        guard let (bytes, fds) = try receivePacketWithDescriptors() else { return nil }
        guard let message = SyncMessage(packet: bytes, fds: fds) else {
            for fd in fds { Glibc.close(fd) }
            throw SyscallError("recvmsg", "sync socket", errno: .badMessage)
        }
        switch message {
        case .seccompListener: for fd in fds.dropFirst() { Glibc.close(fd) }
        case .mountSources: break
        default: for fd in fds { Glibc.close(fd) }
        }
        return message
    }

    /// Reports a finished set-up phase to the parent when the caller asked for debug
    /// lines; `text` is not even built otherwise.
    func debug(_ enabled: Bool, _ text: @autoclosure () -> String) {
        if enabled { try? send(.debug(text())) }
    }

    /// Reports a failure from the child. When nobody listens any more (a failure after
    /// `create` has returned), it goes to stderr instead.
    func report(_ error: BerthError) {
        if (try? send(.failed(error))) == nil {
            let line = "berth: " + error.message + "\n"
            _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
        }
    }
}

extension BerthError {
    /// A child's reported failure as the parent throws it, in runc's wording.
    static func containerProcess(_ error: BerthError) -> BerthError {
        BerthError(error.code, "unable to start container process: " + error.message, errno: error.errno)
    }

    /// What a child reports for a failure of its set-up: its code and errno kept.
    init(childFailure error: any Error) {
        switch error {
        case let e as BerthError: self = e
        case let e as InitError: self.init(e.code, e.description, errno: e.errno == 0 ? nil : e.errno)
        case let e as SyscallError: self.init(.system, String(describing: e), errno: e.errno.rawValue)
        default: self.init(.system, String(describing: error))
        }
    }
}
