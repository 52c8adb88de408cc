import BerthSpec
import BerthSystem
import CBerth
import Glibc
import SystemPackage

/// Runs OCI hooks: each one a process with the container's state JSON on stdin, its
/// `args` and `env`, killed after `timeout` seconds.
enum HookRunner {
    static func run(_ hooks: [Hook], state: ContainerState, fatal: Bool) throws(BerthError) {
        try run(hooks, stateJSON: stateJSON(state), fatal: fatal)
    }

    /// The OCI state document hooks read on stdin.
    static func stateJSON(_ state: ContainerState) -> [UInt8] {
        let oci = State(ociVersion: state.ociVersion, id: state.id, status: state.status.rawValue,
                        pid: state.pid == 0 ? nil : state.pid, bundle: state.bundle, annotations: state.annotations)
        return oci.jsonBytes
    }

    static func run(_ hooks: [Hook], stateJSON json: [UInt8], fatal: Bool) throws(BerthError) {
        for (index, hook) in hooks.enumerated() {
            do throws(BerthError) {
                try runOne(hook, stdin: json)
            } catch {
                if fatal { throw BerthError(.system, "hook #\(index) (\(hook.path)): \(error.message)") }
                let line = "berth: warning: hook #\(index) (\(hook.path)): \(error.message)\n"
                _ = line.withCString { write(2, $0, strlen($0)) }
            }
        }
    }

    static func runOne(_ hook: Hook, stdin: [UInt8]) throws(BerthError) {
        var pipeFDs: [Int32] = [-1, -1]
        guard berth_pipe_cloexec(&pipeFDs) == 0 else {
            throw BerthError.system("hook", SyscallError("pipe2", errno: currentErrno()))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[0], 0)
        let args = hook.args ?? [hook.path]
        // A foreground run blocks the signals it forwards; hooks start with none blocked
        // and default dispositions.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let rc = withCStrings(args) { argv in
            withCStrings(hook.env ?? []) { envp in
                posix_spawn(&pid, hook.path, &actions, &attributes,
                            UnsafeMutablePointer(mutating: argv), UnsafeMutablePointer(mutating: envp))
            }
        }
        close(pipeFDs[0])
        guard rc == 0 else {
            close(pipeFDs[1])
            throw BerthError(.system, "exec: \(errnoText(Errno(rawValue: rc)))", errno: rc)
        }
        _ = signal(SIGPIPE, SIG_IGN)
        try? FileIO.writeAll(pipeFDs[1], stdin)
        close(pipeFDs[1])
        // Wait on a pidfd, so a timeout needs no polling loop.
        let pidfd = berth_pidfd_open(pid, 0)
        if pidfd >= 0 {
            defer { close(pidfd) }
            var p = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            let timeoutMs = hook.timeout.map { Int32(clamping: $0 * 1000) } ?? -1
            var ready: Int32
            repeat { ready = poll(&p, 1, timeoutMs) } while ready < 0 && currentErrno() == .interrupted
            if ready == 0 {
                _ = berth_pidfd_send_signal(pidfd, SIGKILL)
                var status: Int32 = 0
                _ = waitpid(pid, &status, 0)
                throw BerthError(.system, "timed out after \(hook.timeout ?? 0)s")
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if currentErrno() != .interrupted {
                throw BerthError.system("hook", SyscallError("waitpid", errno: currentErrno()))
            }
        }
        let exit = ExitStatus(rawWaitStatus: status)
        if exit.code != 0 { throw BerthError(.system, "exited with status \(exit.code)") }
    }
}

/// A decoded wait(2) status, as a shell would report it.
public struct ExitStatus: Sendable, Equatable {
    /// The exit code, or 128 + signal number for a process killed by a signal.
    public var code: Int32
    /// The signal that killed the process, if one did.
    public var signal: Int32?

    public init(rawWaitStatus status: Int32) {
        let sig = status & 0x7f
        if sig == 0 {
            code = (status >> 8) & 0xff
            signal = nil
        } else {
            code = 128 + sig
            signal = sig
        }
    }
}
