import BerthSystem
import Glibc

/// The caller's `--pidfd-socket` (runc 1.2): a unix stream socket that receives one
/// SCM_RIGHTS message holding a pidfd of the container's init (`create`, `run`) or of an
/// exec'd process, so a supervisor can wait for and signal exactly that process, whatever
/// happens to its pid. The payload names the kind of process, as runc's does: `standard`
/// for an init, `setns` for exec.
enum PidfdSocket {
    static let initKind = "standard"
    static let execKind = "setns"

    /// Connects before the clone, so a bad path fails before there is a process to undo;
    /// -1 without a path.
    static func connect(_ path: String?) throws(BerthError) -> Int32 {
        guard let path else { return -1 }
        do throws(SyscallError) { return try UnixSocket.connect(path) } catch {
            throw BerthError.system("connect pidfd socket", error)
        }
    }

    /// Sends `pidfd` (berth keeps its own copy) and closes the connection.
    static func send(_ pidfd: Int32, over socket: Int32, kind: String) throws(BerthError) {
        defer { close(socket) }
        do throws(SyscallError) {
            try UnixSocket.send(Array(kind.utf8), fd: pidfd, over: socket, path: "pidfd socket")
        } catch { throw BerthError.system("send pidfd", error) }
    }
}
