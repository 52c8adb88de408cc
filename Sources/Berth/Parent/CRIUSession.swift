import BerthSystem
import Glibc

/// One `criu swrk` process and its end of the RPC socket, as runc drives CRIU: a
/// SOCK_SEQPACKET pair, the other end passed to CRIU as descriptor 3, extra descriptors
/// (an external namespace for `inherit_fd`) from 4 on. One packet is one protobuf
/// message.
///
///     berth                                   criu swrk 3
///       VERSION (keep_open)          ──────►
///                                    ◄──────   VERSION: 3.17.1
///       FEATURE_CHECK (keep_open)    ──────►   (initialises its view of the kernel)
///                                    ◄──────   FEATURE_CHECK: success, features
///       DUMP | PRE_DUMP | RESTORE    ──────►
///                                    ◄──────   NOTIFY script (setup-namespaces,
///       NOTIFY notify_success        ──────►     post-restore, orphan-pts-master + fd, ...)
///                                    ◄──────   DUMP | PRE_DUMP | RESTORE: success
///     (close)                                  exits
///
/// A FEATURE_CHECK that fails means CRIU cannot work on this kernel at all; `criu check`
/// then says why, for the one-line error.
final class CRIUSession {
    let binary: String
    let pid: pid_t
    private var socket: SyncSocket?
    /// The memory file CRIU's stdout and stderr go to, when they are not berth's.
    private let outputFD: Int32
    private var waited = false
    /// major·10000 + minor·100 + sublevel.
    private(set) var version = 0

    /// Where CRIU's standard descriptors point.
    enum Stdio {
        /// stdin /dev/null, stdout and stderr a memory file (kept for errors).
        case quiet
        /// berth's own: a restored process inherits them in place of its dumped pipes.
        case inherited
    }

    /// The version runc relies on (the VERSION request came with CRIU 3.0).
    static let minimumVersion = 30000

    init(binary: String, stdio: Stdio, extraDescriptors: [Int32] = []) throws(BerthError) {
        self.binary = binary
        let pair: (parent: SyncSocket, child: SyncSocket)
        do throws(SyscallError) { pair = try SyncSocket.pair() } catch { throw BerthError.system("criu", error) }
        defer { pair.child.close() }
        var descriptors: [Int32: Int32] = [3: pair.child.fd]
        for (i, fd) in extraDescriptors.enumerated() { descriptors[4 + Int32(i)] = fd }
        var output: Int32 = -1
        var null: Int32 = -1
        defer { if null >= 0 { close(null) } }
        switch stdio {
        case .quiet:
            null = open("/dev/null", O_RDWR | O_CLOEXEC)
            output = HelperProgram.memoryFile("criu-output")
            if null >= 0 { descriptors[0] = null }
            if output >= 0 { descriptors[1] = output; descriptors[2] = output }
        case .inherited:
            for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) >= 0 { descriptors[fd] = fd }
        }
        do throws(SyscallError) {
            pid = try HelperProgram.start(binary, arguments: [binary, "swrk", "3"], descriptors: descriptors)
        } catch {
            pair.parent.close()
            if output >= 0 { close(output) }
            // Go's wording, as runc reports it: its first use of CRIU is the version check.
            let reason =
                error.errno == .noSuchFileOrDirectory && !binary.contains("/")
                ? "exec: \"\(binary)\": executable file not found in $PATH"
                : "fork/exec \(binary): \(errnoText(error.errno))"
            throw BerthError(.system, "CRIU version check failed: " + reason, errno: error.errno.rawValue)
        }
        socket = pair.parent
        outputFD = output
    }

    deinit {
        finish()
        if outputFD >= 0 { close(outputFD) }
    }

    /// What CRIU printed (with `.quiet` stdio).
    var output: String { HelperProgram.contents(of: outputFD) }

    /// Sends one request.
    func send(_ request: CRIURequest) throws(BerthError) {
        guard let socket else { throw BerthError(.system, "criu: the RPC connection is closed") }
        do throws(SyscallError) { try socket.send(packet: request.encoded()) } catch {
            throw BerthError.system("send a request to criu", error)
        }
    }

    /// Receives one response with the descriptors attached to it; nil when CRIU closed
    /// the connection (exited, or died).
    func receive() throws(BerthError) -> (CRIUResponse, [Int32])? {
        guard let socket else { return nil }
        let packet: (bytes: [UInt8], fds: [Int32])?
        do throws(SyscallError) { packet = try socket.receivePacketWithDescriptors() } catch {
            throw BerthError.system("read from criu", error)
        }
        guard let packet else { return nil }
        do throws(ProtobufMessage.DecodeError) { return (try CRIUResponse(packet.bytes), packet.fds) } catch {
            for fd in packet.fds { close(fd) }
            throw BerthError(.system, "criu: cannot parse its response (\(packet.bytes.count) bytes)")
        }
    }

    /// Sends a request that is answered by one response.
    func call(_ request: CRIURequest) throws(BerthError) -> CRIUResponse {
        try send(request)
        guard let (response, fds) = try receive() else {
            throw BerthError(.system, "unexpected EOF" + exitText())
        }
        for fd in fds { close(fd) }
        return response
    }

    /// Asks for the version (keeping the connection open) and checks runc's minimum.
    func checkVersion(minimum: Int = CRIUSession.minimumVersion) throws(BerthError) {
        do throws(BerthError) {
            let response = try call(CRIURequest(type: .version, keepOpen: true))
            guard response.success, let v = response.version else {
                throw BerthError(.system, "criu failed: type \(response.typeName) errno \(response.errno ?? 0)")
            }
            version = v
        } catch {
            throw BerthError(.system, "CRIU version check failed: \(error.message)", errno: error.errno)
        }
        if version < minimum {
            throw BerthError(.system, "CRIU version \(version) must be \(minimum) or higher")
        }
    }

    /// True when the version is at least `minimum`.
    func supports(_ minimum: Int) -> Bool { version >= minimum }

    /// Asks which of `features` this CRIU and kernel support (keeping the connection
    /// open). A refused check means CRIU cannot run here at all: the error says why, in
    /// `criu check`'s words.
    func checkFeatures(_ features: CRIUFeatures) throws(BerthError) -> CRIUFeatures {
        let response: CRIUResponse
        do throws(BerthError) {
            response = try call(CRIURequest(type: .featureCheck, keepOpen: true, features: features))
        } catch {
            throw BerthError(.system, "CRIU feature check failed: \(error.message)", errno: error.errno)
        }
        guard response.success else { throw Self.cannotRun(binary) }
        return response.features ?? CRIUFeatures()
    }

    /// The error for a CRIU that cannot work on this host: one line with the first error
    /// `criu check` reports.
    static func cannotRun(_ binary: String) -> BerthError {
        let output = HelperProgram.memoryFile("criu-check")
        defer { if output >= 0 { close(output) } }
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { if null >= 0 { close(null) } }
        var descriptors: [Int32: Int32] = [:]
        if null >= 0 { descriptors[0] = null }
        if output >= 0 { descriptors[1] = output; descriptors[2] = output }
        var reason = "its feature check failed"
        if let pid = try? HelperProgram.start(binary, arguments: [binary, "check"], descriptors: descriptors) {
            _ = HelperProgram.wait(pid)
            if let line = firstError(in: HelperProgram.contents(of: output)) { reason = "criu check: " + line }
        }
        return BerthError(.system, "CRIU cannot checkpoint or restore on this host: \(reason)")
    }

    /// The first `Error (file:line): text` of CRIU's output, as `text`; else its last
    /// non-empty line.
    static func firstError(in output: String) -> String? {
        let lines = output.split(separator: "\n").map { String($0.filter { $0 != "\0" }) }.filter { !$0.isEmpty }
        if let error = lines.first(where: { $0.hasPrefix("Error (") }) { return withoutLocation(error) }
        return lines.last
    }

    /// A CRIU log line without its `... (file.c:123): ` prefix.
    static func withoutLocation(_ line: String) -> String {
        let b = Array(line.utf8)
        guard b.count >= 3 else { return line }
        for i in 0..<(b.count - 2) where b[i] == UInt8(ascii: ")") && b[i + 1] == UInt8(ascii: ":") && b[i + 2] == UInt8(ascii: " ") {
            return String(decoding: b[(i + 3)...], as: UTF8.self)
        }
        return line
    }

    /// Ends the session: closes berth's end (CRIU exits on end of stream) and reaps CRIU.
    /// Returns its wait status, or nil when it was reaped already.
    @discardableResult
    func finish() -> ExitStatus? {
        socket?.close()
        socket = nil
        guard !waited else { return nil }
        waited = true
        return HelperProgram.wait(pid).map(ExitStatus.init(rawWaitStatus:))
    }

    /// The error for a connection CRIU closed before answering: how it ended, and the
    /// first error it printed.
    func unexpectedEOF() -> BerthError {
        BerthError(.system, "criu failed: unexpected EOF" + exitText())
    }

    /// `: exit status N` (or the signal) once CRIU has ended, for an unexpected EOF.
    private func exitText() -> String {
        guard let status = finish() else { return "" }
        if let signal = status.signal { return " (criu killed by signal \(signal))" }
        let output = firstError(in: self.output).map { ": " + $0 } ?? ""
        return " (criu exit status \(status.code)\(output))"
    }

    private func firstError(in text: String) -> String? { Self.firstError(in: text) }
}
