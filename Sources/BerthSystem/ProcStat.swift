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
        // The fields after the name, read in place (no array of them, no string per
        // number): the first is field 3 (state), field N the (N - 3)th.
        var count = 0
        var state: UInt8?
        var ppid: UInt64?
        var start: UInt64?
        var ignored: UInt64 = 0
        var i = close + 1
        while i < bytes.count && count <= 30 {
            if bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "\n") {
                i += 1
                continue
            }
            let first = i
            while i < bytes.count && bytes[i] != UInt8(ascii: " ") && bytes[i] != UInt8(ascii: "\n") { i += 1 }
            let field = bytes[first..<i]
            switch count {
            case 0: state = field.first
            case 1: ppid = decimal(field)
            case 19: start = decimal(field)
            case 30: ignored = decimal(field) ?? 0
            default: break
            }
            count += 1
        }
        guard count > 19, let state, let ppid, let parentPID = Int32(exactly: ppid), let start else { return nil }
        return ProcStat(state: Character(UnicodeScalar(state)), parentPID: parentPID, startTime: start, ignoredSignals: ignored)
    }

    /// A field of decimal digits as a number; nil for anything else or an overflow.
    static func decimal(_ field: ArraySlice<UInt8>) -> UInt64? {
        guard !field.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in field {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !o1 && !o2 else { return nil }
            value = sum
        }
        return value
    }

    /// True for a process that has exited but not been reaped, or is dying.
    public var isDead: Bool { state == "Z" || state == "X" || state == "x" }
}
