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
        // UTC by arithmetic, not gmtime_r: glibc's first gmtime_r in a process loads the
        // local time zone (/etc/localtime, seven system calls) that UTC never needs.
        let (year, month, day) = civil(days: seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400)
        let secondOfDay = seconds - (seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400) * 86400
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        var out = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
        out += "T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
        if fractionDigits > 0 {
            let n = String(nanos)
            out += "." + String(repeating: "0", count: 9 - n.count) + n
        }
        return out + "Z"
    }

    /// The proleptic Gregorian date of `days` since 1970-01-01 (H. Hinnant's
    /// civil_from_days).
    static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
