import BerthSpec
import BerthSystem
import Glibc

/// The parent's side of SCMP_ACT_NOTIFY: the init's listener fd goes to the unix socket at
/// `linux.seccomp.listenerPath` in one message, with the container process state as JSON
/// (runtime-spec "ContainerProcessState"), as runc sends it. berth keeps no copy.
enum SeccompListener {
    /// Sends `fd` to the listener, then closes it (also on failure).
    static func forward(_ fd: Int32, spec: Spec, id: String, pid: Int32, bundle: String) throws(BerthError) {
        defer { close(fd) }
        guard let seccomp = spec.linux?.seccomp, let path = seccomp.listenerPath, !path.isEmpty else {
            throw BerthError(.invalidSpec, "linux.seccomp.listenerPath: must be set when an action is SCMP_ACT_NOTIFY")
        }
        let document = ContainerProcessState(
            fds: [ContainerProcessState.seccompFdName], pid: pid, metadata: seccomp.listenerMetadata,
            state: State(id: id, status: .creating, pid: pid, bundle: bundle, annotations: spec.annotations))
        let json = document.jsonBytes
        // runc's wording (with Go's for the dial), which callers and tests match on.
        let socket: Int32
        do throws(SyscallError) { socket = try UnixSocket.connect(path) } catch {
            throw BerthError(
                .system,
                "failed to connect with seccomp agent specified in the seccomp profile: dial unix \(path): connect: \(errnoText(error.errno))",
                errno: error.errno.rawValue)
        }
        defer { close(socket) }
        do throws(SyscallError) { try UnixSocket.send(json, fd: fd, over: socket, path: path) } catch {
            throw BerthError(.system, "cannot send seccomp fd to \(path): \(errnoText(error.errno))", errno: error.errno.rawValue)
        }
    }
}
