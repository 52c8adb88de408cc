import Glibc

/// Time stamps in the RFC 3339 form runc writes (UTC, nanoseconds).
public enum Clock {
    /// Now, as `2026-11-22T20:33:25.123456789Z`.
    public static func rfc3339Nano() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return format(seconds: ts.tv_sec, nanos: Int(ts.tv_nsec), fractionDigits: 9)
    }

    /// `seconds` and `nanos` since the epoch, as `rfc3339Nano()` writes now.
    public static func rfc3339Nano(seconds: Int, nanos: Int) -> String {
        format(seconds: seconds, nanos: nanos, fractionDigits: 9)
    }

    /// Now, with microseconds, for log lines.
    public static func rfc3339() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return format(seconds: ts.tv_sec, nanos: Int(ts.tv_nsec), fractionDigits: 0)
    }

    static func format(seconds: Int, nanos: Int, fractionDigits: Int) -> String {
        var t = time_t(seconds)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        var out = "\(pad(tmv.tm_year + 1900, 4))-\(pad(tmv.tm_mon + 1, 2))-\(pad(tmv.tm_mday, 2))"
        out += "T\(pad(tmv.tm_hour, 2)):\(pad(tmv.tm_min, 2)):\(pad(tmv.tm_sec, 2))"
        if fractionDigits > 0 {
            let n = String(nanos)
            out += "." + String(repeating: "0", count: 9 - n.count) + n
        }
        return out + "Z"
    }
}
