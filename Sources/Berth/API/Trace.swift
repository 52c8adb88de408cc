import Glibc

/// Named phases of berth's commands. The library marks its phases; a program embedding
/// it (the CLI) may add its own.
///
/// Performance: with `BERTH_TRACE=1` in the environment, each mark prints the
/// microseconds since process start (monotonic) and the phase to stderr.
///
/// Crash tests (for tests only, never for production use): with `BERTH_TEST_KILL_AT=N`,
/// the berth process SIGKILLs itself at its N-th mark (counting from 1, marks of the
/// container init and other children excluded), after printing
/// `berth: test kill at phase N: NAME` to stderr. A test walks N over every phase of a
/// command until it completes, and checks what `list` and `delete --force` make of each
/// state left behind (Tests/BerthIntegrationTests/CrashTests.swift).
public enum Trace {
    static let enabled = getenv("BERTH_TRACE") != nil
    static let killAt: Int = getenv("BERTH_TEST_KILL_AT").flatMap { Int(String(cString: $0)) } ?? 0
    /// The process that counts marks: the first to mark (berth itself; a clone inherits
    /// the value, and its pid differs).
    nonisolated(unsafe) static var counter: (pid: Int32, count: Int) = (0, 0)
    nonisolated(unsafe) static var start: timespec = {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts
    }()

    @inline(__always)
    public static func mark(_ phase: StaticString) {
        guard enabled || killAt > 0 else { return }
        record(phase)
    }

    @inline(never)
    static func record(_ phase: StaticString) {
        if enabled {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let us = (now.tv_sec - start.tv_sec) * 1_000_000 + (now.tv_nsec - start.tv_nsec) / 1000
            emit("trace \(getpid()) \(us)us \(phase)\n")
        }
        guard killAt > 0 else { return }
        let pid = getpid()
        if counter.pid == 0 { counter.pid = pid }
        guard counter.pid == pid else { return }
        counter.count += 1
        if counter.count == killAt {
            emit("berth: test kill at phase \(killAt): \(phase)\n")
            kill(pid, SIGKILL)
        }
    }

    private static func emit(_ line: String) {
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}
