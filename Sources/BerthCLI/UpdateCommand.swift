import Berth
import BerthSpec
import Glibc

/// runc's `update`: every flag runc has, with its meaning. A flag that is not given
/// leaves its limit alone; with `--resources` the flags are ignored (as runc ignores
/// them) and the document's zeros mean "unchanged" too.
struct UpdateCommand: BerthCommand {
    static let name = "update"
    static let summary = "Change a running container's resource limits."
    static let usage = "[--resources FILE|-] [limit flags] ID"
    static let flags: [Flag] = [
        .option("resources", "r", "FILE", "a linux.resources JSON document (\"-\" for stdin); the other flags are then ignored"),
        .option("blkio-weight", nil, "W", "block IO weight (10-1000)"),
        .option("cpu-period", nil, "US", "CFS period (0: unchanged)"),
        .option("cpu-quota", nil, "US", "CFS quota per period (-1: none)"),
        .option("cpu-burst", nil, "US", "CFS burst: run time accumulated beyond the quota"),
        .option("cpu-share", nil, "N", "CPU shares (relative weight)"),
        .option("cpu-rt-period", nil, "US", "realtime period"),
        .option("cpu-rt-runtime", nil, "US", "realtime runtime per period"),
        .option("cpu-idle", nil, "0|1", "1: the cgroup runs as SCHED_IDLE"),
        .option("cpuset-cpus", nil, "LIST", "CPUs to run on"),
        .option("cpuset-mems", nil, "LIST", "memory nodes"),
        .option("memory", nil, "BYTES", "memory limit (k, m, g, t suffixes; -1: none)"),
        .option("memory-reservation", nil, "BYTES", "memory soft limit"),
        .option("memory-swap", nil, "BYTES", "memory plus swap limit (-1: unlimited swap)"),
        .option("kernel-memory", nil, "BYTES", "(obsolete, ignored)"),
        .option("kernel-memory-tcp", nil, "BYTES", "kernel TCP buffer limit (v1 kernels that have it)"),
        .option("pids-limit", nil, "N", "maximum number of tasks (-1: none)"),
        .option("l3-cache-schema", nil, "SCHEMA", "Intel RDT/CAT L3 cache schema (not supported)"),
        .option("mem-bw-schema", nil, "SCHEMA", "Intel RDT/MBA memory bandwidth schema (not supported)"),
    ]

    let arguments: Arguments
    let id: String

    init(_ a: Arguments) throws(UsageError) {
        arguments = a
        id = try a.positional(0, "container id")
        try a.expectAtMost(1)
    }

    /// docker/go-units' RAMInBytes, which runc uses: a decimal number, an optional space,
    /// an optional binary unit (k, m, g, t, p), an optional `i` and `b`, any case:
    /// `64m`, `64MB`, `1.5g`, `512 KiB`.
    static func bytes(_ text: String) -> Int64? {
        var rest = Substring(text.lowercased())
        if rest.hasSuffix("b") { rest.removeLast() }
        if rest.hasSuffix("i") { rest.removeLast() }
        var factor: Double = 1
        if let last = rest.last, let power = "kmgtp".firstIndex(of: last) {
            factor = Double(Int64(1) << (10 * ("kmgtp".distance(from: "kmgtp".startIndex, to: power) + 1)))
            rest.removeLast()
        }
        if rest.hasSuffix(" ") { rest.removeLast() }
        guard let first = rest.first, first.isNumber, rest.allSatisfy({ $0.isNumber || $0 == "." }),
            let number = Double(rest), (number * factor) < 9.2e18
        else { return nil }
        return Int64(number * factor)
    }

    func resources() throws -> LinuxResources {
        if let source = arguments.string("resources") {
            let bytes = source == "-" ? try StandardInput.readAll() : try SpecLoader.read(source)
            do throws(SpecError) {
                return try SpecLoader.decode(LinuxResources.self, from: bytes, fileName: "resources")
            } catch { throw BerthError(.invalidSpec, error.message) }
        }
        var r = LinuxResources()
        func unsigned(_ name: String) throws(UsageError) -> UInt64? {
            guard let text = arguments.string(name) else { return nil }
            guard let n = UInt64(text) else { throw UsageError("invalid value for \(name): \"\(text)\"") }
            return n
        }
        func signed(_ name: String) throws(UsageError) -> Int64? {
            guard let text = arguments.string(name) else { return nil }
            guard let n = Int64(text) else { throw UsageError("invalid value for \(name): \"\(text)\"") }
            return n
        }
        func size(_ name: String) throws(UsageError) -> Int64? {
            guard let text = arguments.string(name), !text.isEmpty else { return nil }
            if text == "-1" { return -1 }
            guard let n = Self.bytes(text) else { throw UsageError("invalid value for \(name): invalid size: '\(text)'") }
            return n
        }
        if let w = try signed("blkio-weight"), w != 0 {
            guard let weight = UInt16(exactly: w) else { throw UsageError("invalid value for blkio-weight: \"\(w)\"") }
            r.blockIO = LinuxBlockIO(weight: weight)
        }
        var cpu = LinuxCPU()
        if let v = arguments.string("cpuset-cpus"), !v.isEmpty { cpu.cpus = v }
        if let v = arguments.string("cpuset-mems"), !v.isEmpty { cpu.mems = v }
        cpu.idle = try signed("cpu-idle")
        cpu.burst = try unsigned("cpu-burst")
        cpu.period = try unsigned("cpu-period")
        cpu.realtimePeriod = try unsigned("cpu-rt-period")
        cpu.shares = try unsigned("cpu-share")
        cpu.quota = try signed("cpu-quota")
        cpu.realtimeRuntime = try signed("cpu-rt-runtime")
        if cpu != LinuxCPU() { r.cpu = cpu }
        var memory = LinuxMemory()
        memory.limit = try size("memory")
        memory.swap = try size("memory-swap")
        memory.reservation = try size("memory-reservation")
        memory.kernelTCP = try size("kernel-memory-tcp")
        if memory != LinuxMemory() { r.memory = memory }
        if let v = try signed("pids-limit") { r.pids = LinuxPids(limit: v) }
        return r
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        let resources = try resources()
        if arguments.string("resources") == nil {
            if arguments.string("kernel-memory").map({ !$0.isEmpty }) == true {
                log.warning("Setting --kernel-memory is ignored and will be removed")
            }
            // berth applies no Intel RDT settings; runc says this on hosts without RDT.
            if arguments.string("l3-cache-schema").map({ !$0.isEmpty }) == true {
                throw BerthError(.invalidSpec, "Intel RDT/CAT: l3 cache schema is not enabled")
            }
            if arguments.string("mem-bw-schema").map({ !$0.isEmpty }) == true {
                throw BerthError(.invalidSpec, "Intel RDT/MBA: memory bandwidth schema is not enabled")
            }
        }
        try global.runtime.container(id: id).update(resources: resources, warningHandler: { log.warning($0) })
        return 0
    }
}
