import BerthSystem
import Glibc
import Testing

/// Clock formats UTC by arithmetic (no time zone file): it must agree with gmtime_r.
@Suite struct ClockTests {
    static func viaGmtime(_ seconds: Int, _ nanos: Int) -> String {
        var t = time_t(seconds)
        var fields = tm()
        gmtime_r(&t, &fields)
        var buf = [CChar](repeating: 0, count: 64)
        let n = strftime(&buf, buf.count, "%Y-%m-%dT%H:%M:%S", &fields)
        let n9 = String(nanos)
        return String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            + "." + String(repeating: "0", count: 9 - n9.count) + n9 + "Z"
    }

    @Test("RFC 3339 stamps as gmtime_r gives them: epoch, leap days, centuries, before 1970, now")
    func agreesWithGmtime() {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let samples = [
            0, 1, 59, 86_399, 86_400, 951_782_400, 951_868_799, 4_107_542_400, 4_102_444_799,
            -1, -86_400, -86_401, -2_208_988_800, 1_795_000_000, 253_402_300_799, now.tv_sec,
        ]
        for s in samples {
            #expect(Clock.rfc3339Nano(seconds: s, nanos: 123) == Self.viaGmtime(s, 123), "\(s)")
        }
        var s = -5_000_000_000
        while s < 20_000_000_000 {
            #expect(Clock.rfc3339Nano(seconds: s, nanos: 0) == Self.viaGmtime(s, 0), "\(s)")
            s += 7_777_777
        }
    }
}
