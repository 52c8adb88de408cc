import Glibc

/// Phase timing for performance work: with `BERTH_TRACE=1` in the environment, each mark
/// prints the microseconds since process start (monotonic) and the phase to stderr. The
/// library marks its phases; a program embedding it (the CLI) may add its own.
public enum Trace {
    static let enabled = getenv("BERTH_TRACE") != nil
    nonisolated(unsafe) static var start: timespec = {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts
    }()

    @inline(__always)
    public static func mark(_ phase: StaticString) {
        guard enabled else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let us = (now.tv_sec - start.tv_sec) * 1_000_000 + (now.tv_nsec - start.tv_nsec) / 1000
        let line = "trace \(getpid()) \(us)us \(phase)\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}
