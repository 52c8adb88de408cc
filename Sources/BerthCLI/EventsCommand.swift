import Berth
import BerthSpec
import Glibc

struct EventsCommand: BerthCommand {
    static let name = "events"
    static let summary = "Print a container's resource stats (--stats: once), or a stream of stats and oom events."
    static let usage = "[--stats] [--interval 5s] ID"
    static let flags: [Flag] = [
        .bool("stats", nil, "print one stats document and exit"),
        .option("interval", nil, "DURATION", "time between stats (default 5s; 500ms, 2s, 1m)"),
    ]
    let stats: Bool
    let intervalMs: Int
    let id: String

    init(_ a: Arguments) throws(UsageError) {
        stats = a.bool("stats")
        intervalMs = try Self.milliseconds(a.string("interval") ?? "5s")
        id = try a.positional(0, "container id")
        try a.expectAtMost(1)
    }

    /// Go-style durations: `500ms`, `2s`, `1m`, or a bare number of seconds; at most Go's
    /// longest duration (2^63-1 ns, about 292 years), so `inf` or `1e300s` is an error.
    static func milliseconds(_ text: String) throws(UsageError) -> Int {
        let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        var value: Double?
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let v = Double(text.dropLast(suffix.count)) { value = v * factor; break }
        }
        if value == nil, let v = Double(text) { value = v * 1000 }
        guard let ms = value, ms > 0, ms <= Double(Int64.max / 1_000_000) else {
            throw UsageError("invalid interval \"\(text)\"")
        }
        return Int(ms)
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        let container = try global.runtime.container(id: id)
        guard try container.state().status != .stopped else { throw BerthError(.invalidState, "container not running") }
        if stats {
            print(Self.statsJSON(id: id, try container.stats()))
            return 0
        }
        try container.events(every: .milliseconds(intervalMs)) { event in
            switch event {
            case .oom: print("{\"type\":\"oom\",\"id\":\(JSONText.quote(id))}")
            case .stats(let s):
                print(Self.statsJSON(id: id, s))
                fflush(nil)
            }
            return true
        }
        return 0
    }

    /// runc's `{"type":"stats","id":...,"data":{cpu, memory, pids, blkio, hugetlb}}`.
    static func statsJSON(id: String, _ s: ContainerStats) -> String {
        func obj(_ f: [(String, String)]) -> String { JSONText.object(f) }
        let cpu = obj([
            (
                "usage",
                obj([
                    ("total", "\(s.cpuTotal)"), ("percpu", "[" + s.cpuPerCPU.map(String.init).joined(separator: ",") + "]"),
                    ("kernel", "\(s.cpuKernel)"), ("user", "\(s.cpuUser)"),
                ])
            ),
            (
                "throttling",
                obj([
                    ("periods", "\(s.throttlePeriods)"), ("throttled_periods", "\(s.throttledPeriods)"),
                    ("throttled_time", "\(s.throttledTime)"),
                ])
            ),
        ])
        let memory = obj([
            (
                "usage",
                obj([
                    ("limit", "\(s.memoryLimit)"), ("usage", "\(s.memoryUsage)"), ("max", "\(s.memoryMax)"),
                    ("failcnt", "\(s.memoryFailcnt)"),
                ])
            ),
            ("swap", obj([("usage", "\(s.swapUsage)")])),
            ("raw", obj(s.memoryRaw.map { ($0.0, "\($0.1)") })),
        ])
        let pids = obj([("current", "\(s.pidsCurrent)"), ("limit", "\(s.pidsLimit)")])
        let blkio = obj([
            (
                "ioServiceBytesRecursive",
                "["
                    + s.ioServiceBytes.map {
                        obj([("major", "\($0.0)"), ("minor", "\($0.1)"), ("op", JSONText.quote($0.2)), ("value", "\($0.3)")])
                    }.joined(separator: ",") + "]"
            )
        ])
        let data = obj([("cpu", cpu), ("memory", memory), ("pids", pids), ("blkio", blkio), ("hugetlb", "{}")])
        return obj([("type", "\"stats\""), ("id", JSONText.quote(id)), ("data", data)])
    }
}
