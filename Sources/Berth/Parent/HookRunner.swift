import BerthSpec
import BerthSystem
import Glibc
import SystemPackage

/// The six hook kinds, named as runc names them in its errors.
enum HookKind: String, Sendable {
    case prestart, createRuntime, createContainer, startContainer, poststart, poststop
}

/// Runs OCI hooks as runc runs them: each one a process with the container's state JSON
/// on stdin, its `path` executed with its `args` as given (argv[0] may differ from the
/// path), its `env` or else the environment of whoever runs it (berth's, or the
/// container process's inside the container), its stdout and stderr kept for the error,
/// and killed after `timeout` seconds.
enum HookRunner {
    /// The OCI state document hooks read on stdin.
    static func stateJSON(_ state: ContainerState) -> [UInt8] {
        stateJSON(
            State(
                ociVersion: state.ociVersion, id: state.id, status: state.status.rawValue,
                pid: state.pid == 0 ? nil : state.pid, bundle: state.bundle, annotations: state.annotations))
    }

    static func stateJSON(_ state: State) -> [UInt8] { state.jsonBytes }

    /// Runs `hooks` in order; the first failure stops them and is thrown in runc's words:
    /// `error running createRuntime hook #1: error running hook: exit status 1, stdout: …, stderr: …`.
    /// - Parameter environment: for hooks without `env`; nil is berth's own environment.
    static func run(_ kind: HookKind, _ hooks: [Hook], stateJSON json: [UInt8], environment: [String]? = nil) throws(BerthError) {
        for (index, hook) in hooks.enumerated() {
            do throws(BerthError) {
                try runOne(hook, stdin: json, environment: environment)
            } catch {
                throw BerthError(.system, "error running \(kind.rawValue) hook #\(index): \(error.message)", errno: error.errno)
            }
        }
    }

    static func runOne(_ hook: Hook, stdin: [UInt8], environment: [String]?) throws(BerthError) {
        let pipeFDs: [Int32]
        do throws(SyscallError) {
            let ends = try FileIO.pipe()
            pipeFDs = [ends.read, ends.write]
        } catch { throw BerthError.system("hook", error) }
        // The hook's output is kept (memory files never block the hook, however much it
        // writes) and shown only when it fails, as runc does.
        let output = ((try? FileIO.memoryFile(named: "hook-stdout")) ?? -1, (try? FileIO.memoryFile(named: "hook-stderr")) ?? -1)
        defer {
            if output.0 >= 0 { close(output.0) }
            if output.1 >= 0 { close(output.1) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[0], 0)
        if output.0 >= 0 { posix_spawn_file_actions_adddup2(&actions, output.0, 1) }
        if output.1 >= 0 { posix_spawn_file_actions_adddup2(&actions, output.1, 2) }
        // argv exactly as configured; without args, the path alone (as Go's exec does).
        let args = hook.args.flatMap { $0.isEmpty ? nil : $0 } ?? [hook.path]
        var pid: pid_t = 0
        // A foreground run blocks the signals it forwards; hooks start with none blocked
        // and default dispositions.
        let rc = HelperProgram.withDefaultSignals { attributes in
            let spawn = { (envp: UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Int32 in
                withCStrings(args) { argv in
                    posix_spawn(
                        &pid, hook.path, &actions, attributes,
                        UnsafeMutablePointer(mutating: argv), UnsafeMutablePointer(mutating: envp))
                }
            }
            return if let env = hook.env ?? environment { withCStrings(env, spawn) } else { spawn(environ) }
        }
        close(pipeFDs[0])
        guard rc == 0 else {
            close(pipeFDs[1])
            throw BerthError(.system, "fork/exec \(hook.path): \(errnoText(Errno(rawValue: rc)))", errno: rc)
        }
        _ = signal(SIGPIPE, SIG_IGN)
        try? FileIO.writeAll(pipeFDs[1], stdin)
        close(pipeFDs[1])
        // Wait on a pidfd, so a timeout needs no polling loop.
        if let pidfd = try? Pidfd.openChild(pid) {
            defer { close(pidfd) }
            var p = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            let timeoutMs = hook.timeout.map { Int32(clamping: $0 * 1000) } ?? -1
            var ready: Int32
            repeat { ready = poll(&p, 1, timeoutMs) } while ready < 0 && currentErrno() == .interrupted
            if ready == 0 {
                Pidfd.send(SIGKILL, to: pidfd)
                var status: Int32 = 0
                _ = waitpid(pid, &status, 0)
                throw BerthError(.system, "hook ran past specified timeout of \(hook.timeout ?? 0).0s")
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if currentErrno() != .interrupted {
                throw BerthError.system("hook", SyscallError("waitpid", errno: currentErrno()))
            }
        }
        let exit = ExitStatus(rawWaitStatus: status)
        guard exit.code != 0 else { return }
        // Go's wording for the wait status, as runc reports it.
        let how = exit.signal.map { "signal: " + signalText($0) } ?? "exit status \(exit.code)"
        throw BerthError(.system, "error running hook: \(how), stdout: \(captured(output.0)), stderr: \(captured(output.1))")
    }

    /// What a hook wrote to one of its memory files (at most 64 KiB), without the final
    /// newline.
    private static func captured(_ fd: Int32) -> String {
        guard fd >= 0 else { return "" }
        var bytes = [UInt8](repeating: 0, count: 65536)
        let n = pread(fd, &bytes, bytes.count, 0)
        guard n > 0 else { return "" }
        var text = String(decoding: bytes[0..<n], as: UTF8.self)
        while text.last == "\n" { text.removeLast() }
        return text
    }

    /// A signal's description in Go's lower-case form (`killed`, `terminated`).
    private static func signalText(_ signal: Int32) -> String {
        guard let text = strsignal(signal).map({ String(cString: $0) }), let first = text.first else { return "\(signal)" }
        return first.lowercased() + text.dropFirst()
    }
}
