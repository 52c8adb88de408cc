import Berth
import Glibc

struct KillCommand: BerthCommand {
    static let name = "kill"
    static let summary = "Send a signal (default SIGTERM) to a container's init, or with --all to all its processes."
    static let usage = "[--all] ID [SIGNAL]"
    static let flags: [Flag] = [.bool("all", "a", "signal every process in the container")]
    let all: Bool
    let id: String
    let signal: String

    init(_ a: Arguments) throws(UsageError) {
        all = a.bool("all")
        id = try a.positional(0, "container id")
        signal = a.positionals.count > 1 ? a.positionals[1] : "SIGTERM"
        try a.expectAtMost(2)
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        guard let number = Signals.parse(signal) else {
            throw BerthError(.invalidSpec, "unknown signal \"\(signal)\"")
        }
        do throws(BerthError) { try global.runtime.container(id: id).kill(number, all: all) } catch {
            // As in runc 1.2, --all (obsolete there) asks for no error when the container
            // has already stopped.
            guard all, error.code == .invalidState else { throw error }
        }
        return 0
    }
}

/// Signal names as runc accepts them: `9`, `KILL`, `SIGKILL` (any case); `0` only checks
/// that the container's init is alive.
enum Signals {
    /// A list, searched in order: a `[String: Int32]` would cost `kill` a runtime
    /// `String: Hashable` look-up (a scan of every conformance record in the binary).
    static let names: [(name: String, number: Int32)] = [
        ("HUP", 1), ("INT", 2), ("QUIT", 3), ("ILL", 4), ("TRAP", 5), ("ABRT", 6), ("IOT", 6), ("BUS", 7), ("FPE", 8),
        ("KILL", 9), ("USR1", 10), ("SEGV", 11), ("USR2", 12), ("PIPE", 13), ("ALRM", 14), ("TERM", 15),
        ("STKFLT", 16), ("CHLD", 17), ("CONT", 18), ("STOP", 19), ("TSTP", 20), ("TTIN", 21), ("TTOU", 22),
        ("URG", 23), ("XCPU", 24), ("XFSZ", 25), ("VTALRM", 26), ("PROF", 27), ("WINCH", 28), ("IO", 29),
        ("POLL", 29), ("PWR", 30), ("SYS", 31),
    ]

    static func parse(_ text: String) -> Int32? {
        if let n = Int32(text) { return n >= 0 && n < 65 ? n : nil }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name = String(name.dropFirst(3)) }
        if let n = names.first(where: { $0.name == name })?.number { return n }
        // The 31 realtime signals: SIGRTMIN (34) + 0...30, SIGRTMAX (64) - 0...30.
        if name.hasPrefix("RTMIN+"), let k = Int32(name.dropFirst(6)), (0...30).contains(k) { return 34 + k }
        if name.hasPrefix("RTMAX-"), let k = Int32(name.dropFirst(6)), (0...30).contains(k) { return 64 - k }
        return nil
    }
}
