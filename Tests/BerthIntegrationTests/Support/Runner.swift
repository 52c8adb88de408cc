// Runs a program with posix_spawn: stdin from a file (or /dev/null), stdout and stderr
// into files, optional extra descriptors at 3, 4, ... (for --preserve-fds), a bounded
// wait that kills the program and reports a timeout instead of hanging the suite.
//
// Files, not pipes, capture the output: a detached container inherits the runtime's
// stdout/stderr and may keep them open long after the runtime exits, which would make
// a pipe reader wait forever. A file can be read at any time, also later, to collect
// what the container wrote.
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

struct ProcResult: CustomStringConvertible {
    /// Exit status, or 128+signal when the program was killed by a signal.
    var status: Int32
    var signal: Int32?
    var timedOut: Bool
    var stdout: String
    var stderr: String
    var stdoutPath: String
    var stderrPath: String
    var command: [String]

    /// Re-reads stdout (a detached container may have written more since).
    var stdoutNow: String { Host.readFile(stdoutPath) ?? "" }
    var stderrNow: String { Host.readFile(stderrPath) ?? "" }

    var description: String {
        "`\(command.joined(separator: " "))` → status \(status)\(timedOut ? " (TIMED OUT, killed)" : "")"
            + "\n--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)"
    }
}

final class Spawned: @unchecked Sendable {
    let pid: pid_t
    let command: [String]
    let stdoutPath: String
    let stderrPath: String
    private var result: ProcResult?

    init(pid: pid_t, command: [String], stdoutPath: String, stderrPath: String) {
        self.pid = pid
        self.command = command
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
    }

    func signal(_ sig: Int32) { if result == nil { kill(pid, sig) } }

    /// Non-blocking: the result when the program has exited.
    func poll() -> ProcResult? {
        if let r = result { return r }
        var st: Int32 = 0
        let r = waitpid(pid, &st, WNOHANG)
        if r == pid { return finish(st, timedOut: false) }
        return nil
    }

    /// Waits for the program, at most `timeout` seconds; then SIGKILLs it and reports
    /// `timedOut` (the caller's #expect turns that into a failure).
    func wait(timeout: Double = 30) -> ProcResult {
        if let r = result { return r }
        let deadline = Date().addingTimeInterval(timeout)
        var st: Int32 = 0
        while true {
            let r = waitpid(pid, &st, WNOHANG)
            if r == pid { return finish(st, timedOut: false) }
            if r < 0 && errno != EINTR {
                return finish(0, timedOut: false)
            }
            if Date() > deadline {
                kill(pid, SIGKILL)
                while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
                return finish(st, timedOut: true)
            }
            usleep(2_000)
        }
    }

    private func finish(_ st: Int32, timedOut: Bool) -> ProcResult {
        // WIFEXITED / WTERMSIG by hand (the C macros are not imported).
        let sig = st & 0x7f
        let status: Int32
        var signal: Int32?
        if sig == 0 {
            status = (st >> 8) & 0xff
        } else {
            signal = sig
            status = 128 + sig
        }
        let r = ProcResult(
            status: status, signal: signal, timedOut: timedOut,
            stdout: Host.readFile(stdoutPath) ?? "", stderr: Host.readFile(stderrPath) ?? "",
            stdoutPath: stdoutPath, stderrPath: stderrPath, command: command)
        result = r
        return r
    }
}

enum Runner {
    typealias AddClosefrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    static let addClosefrom: AddClosefrom? = {
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        else { return nil }
        return unsafeBitCast(sym, to: AddClosefrom.self)
    }()

    private static let counterLock = NSLock()
    nonisolated(unsafe) private static var counter = 0

    private static func nextIndex() -> Int {
        counterLock.lock(); defer { counterLock.unlock() }
        counter += 1
        return counter
    }

    /// Starts `path args...`. Output goes to files in `ioDir`. `extraFds[i]` becomes fd 3+i
    /// in the child; every other descriptor above 2 is closed.
    static func spawn(
        _ path: String, _ args: [String], ioDir: String, stdin: String? = nil,
        env: [String: String] = [:], extraFds: [Int32] = [],
        stdoutPath: String? = nil
    ) throws -> Spawned {
        let n = nextIndex()
        let base = ioDir + "/io-\(n)-" + ((path as NSString).lastPathComponent)
        let outPath = stdoutPath ?? base + ".out"
        let errPath = base + ".err"
        let inPath: String
        if let stdin {
            inPath = base + ".in"
            guard FileManager.default.createFile(atPath: inPath, contents: Data(stdin.utf8)) else {
                throw TestSetupError("cannot write \(inPath)")
            }
        } else {
            inPath = "/dev/null"
        }
        let inFd = open(inPath, O_RDONLY | O_CLOEXEC)
        let outFd = open(outPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        let errFd = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { close(inFd); close(outFd); close(errFd) }
        guard inFd >= 0, outFd >= 0, errFd >= 0 else {
            throw TestSetupError("cannot open io files in \(ioDir): \(String(cString: strerror(errno)))")
        }

        var fa = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fa)
        defer { posix_spawn_file_actions_destroy(&fa) }
        // Move everything out of the way first so that dup2 targets never clobber sources.
        let sources = [inFd, outFd, errFd] + extraFds
        var high: [Int32] = []
        for (i, fd) in sources.enumerated() {
            let h = Int32(200 + i)
            posix_spawn_file_actions_adddup2(&fa, fd, h)
            high.append(h)
        }
        for (i, h) in high.enumerated() {
            posix_spawn_file_actions_adddup2(&fa, h, Int32(i))
        }
        // glibc ≥ 2.34 has addclosefrom_np; it is not in Swift's Glibc module, so look it up.
        if let closefrom = Runner.addClosefrom {
            _ = closefrom(&fa, Int32(3 + extraFds.count))
        }

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Default signal dispositions and an empty mask in the child.
        var none = sigset_t()
        var all = sigset_t()
        sigemptyset(&none); sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        let argv = [path] + args
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnv: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in cArgs { free(p) }
            for p in cEnv { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &fa, &attr, &cArgs, &cEnv)
        guard rc == 0 else {
            throw TestSetupError("posix_spawn \(path): \(String(cString: strerror(rc)))")
        }
        return Spawned(pid: pid, command: argv, stdoutPath: outPath, stderrPath: errPath)
    }

    /// Spawns and waits. A spawn failure is reported as status 127 with the reason on stderr.
    static func run(
        _ path: String, _ args: [String], ioDir: String, stdin: String? = nil,
        env: [String: String] = [:], extraFds: [Int32] = [], timeout: Double = 30,
        stdoutPath: String? = nil
    ) -> ProcResult {
        do {
            let p = try spawn(
                path, args, ioDir: ioDir, stdin: stdin, env: env, extraFds: extraFds,
                stdoutPath: stdoutPath)
            return p.wait(timeout: timeout)
        } catch {
            return ProcResult(
                status: 127, signal: nil, timedOut: false, stdout: "", stderr: "\(error)",
                stdoutPath: "", stderrPath: "", command: [path] + args)
        }
    }
}
