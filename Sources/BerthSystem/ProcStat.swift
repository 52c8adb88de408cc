import Glibc

/// What berth reads from `/proc/<pid>/stat`.
public struct ProcStat: Sendable, Equatable {
    /// Field 3: R, S, D, Z, T, t, X...
    public var state: Character
    /// Field 4.
    public var parentPID: Int32
    /// Field 22, in clock ticks since boot: with the pid, the identity of a process.
    public var startTime: UInt64
    /// Field 33: the ignored signals (bit `signal - 1`).
    public var ignoredSignals: UInt64 = 0

    /// Reads `/proc/<pid>/stat`; nil when the process does not exist.
    public static func read(pid: Int32) -> ProcStat? {
        guard let bytes = try? FileIO.read("/proc/\(pid)/stat") else { return nil }
        return parse(bytes)
    }

    /// Parses a stat line; the command name may hold spaces and parentheses, so the
    /// fields are counted from the last `)`.
    public static func parse(_ bytes: [UInt8]) -> ProcStat? {
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let rest = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        // rest[0] is field 3 (state); field N is rest[N - 3].
        guard rest.count > 19, let s = rest[0].first,
            let ppid = Int32(String(decoding: rest[1], as: UTF8.self)),
            let start = UInt64(String(decoding: rest[19], as: UTF8.self))
        else { return nil }
        let ignored = rest.count > 30 ? UInt64(String(decoding: rest[30], as: UTF8.self)) ?? 0 : 0
        return ProcStat(state: Character(UnicodeScalar(s)), parentPID: ppid, startTime: start, ignoredSignals: ignored)
    }

    /// True for a process that has exited but not been reaped, or is dying.
    public var isDead: Bool { state == "Z" || state == "X" || state == "x" }
}
