import Berth
import BerthSpec
import BerthSystem
import Glibc

struct UpdateCommand: BerthCommand {
    static let name = "update"
    static let summary = "Change a running container's resource limits."
    static let usage = "[--resources FILE|-] [limit flags] ID"
    static let flags: [Flag] = [
        .option("resources", "r", "FILE", "a linux.resources JSON document (\"-\" for stdin)"),
        .option("blkio-weight", nil, "W", "block IO weight (10-1000)"),
        .option("cpu-period", nil, "US", "CFS period"),
        .option("cpu-quota", nil, "US", "CFS quota (-1: none)"),
        .option("cpu-share", nil, "N", "CPU shares"),
        .option("cpu-rt-period", nil, "US", "realtime period"),
        .option("cpu-rt-runtime", nil, "US", "realtime runtime"),
        .option("cpuset-cpus", nil, "LIST", "CPUs to run on"),
        .option("cpuset-mems", nil, "LIST", "memory nodes"),
        .option("memory", nil, "BYTES", "memory limit (k, m, g suffixes; -1: none)"),
        .option("memory-reservation", nil, "BYTES", "memory soft limit"),
        .option("memory-swap", nil, "BYTES", "memory plus swap limit"),
        .option("pids-limit", nil, "N", "maximum number of tasks (-1 or 0: none)"),
    ]

    let arguments: Arguments
    let id: String

    init(_ a: Arguments) throws(UsageError) {
        arguments = a
        id = try a.positional(0, "container id")
        try a.expectAtMost(1)
    }

    /// `64m`, `1G`, `512k`, `-1`: runc's size syntax.
    static func bytes(_ text: String) throws(UsageError) -> Int64 {
        var digits = text.lowercased()
        if digits.hasSuffix("b") { digits.removeLast() }
        var factor: Int64 = 1
        if let last = digits.last, let f = ["k": Int64(1) << 10, "m": Int64(1) << 20, "g": Int64(1) << 30, "t": Int64(1) << 40][String(last)] {
            factor = f
            digits.removeLast()
        }
        guard let n = Int64(digits) else { throw UsageError("invalid size \"\(text)\"") }
        return n < 0 ? -1 : n * factor
    }

    func resources() throws -> LinuxResources {
        var r = LinuxResources()
        if let source = arguments.string("resources") {
            let bytes: [UInt8] = source == "-" ? try FileIO.readAll(0, path: "stdin") : try FileIO.read(source)
            do throws(SpecError) {
                r = try SpecLoader.decode(LinuxResources.self, from: bytes, fileName: "resources")
            } catch { throw BerthError(.invalidSpec, error.message) }
        }
        func int(_ name: String) throws(UsageError) -> Int64? {
            guard let text = arguments.string(name) else { return nil }
            guard let n = Int64(text) else { throw UsageError("invalid value \"\(text)\" for --\(name)") }
            return n
        }
        func size(_ name: String) throws(UsageError) -> Int64? { try arguments.string(name).map(Self.bytes) }
        if let w = try int("blkio-weight") { r.blockIO = r.blockIO ?? LinuxBlockIO(); r.blockIO?.weight = UInt16(clamping: w) }
        var cpu = r.cpu ?? LinuxCPU()
        if let v = try int("cpu-period") { cpu.period = UInt64(max(0, v)) }
        if let v = try int("cpu-quota") { cpu.quota = v }
        if let v = try int("cpu-share") { cpu.shares = UInt64(max(0, v)) }
        if let v = try int("cpu-rt-period") { cpu.realtimePeriod = UInt64(max(0, v)) }
        if let v = try int("cpu-rt-runtime") { cpu.realtimeRuntime = v }
        if let v = arguments.string("cpuset-cpus") { cpu.cpus = v }
        if let v = arguments.string("cpuset-mems") { cpu.mems = v }
        if cpu != LinuxCPU() { r.cpu = cpu }
        var memory = r.memory ?? LinuxMemory()
        if let v = try size("memory") { memory.limit = v }
        if let v = try size("memory-reservation") { memory.reservation = v }
        if let v = try size("memory-swap") { memory.swap = v }
        if memory != LinuxMemory() { r.memory = memory }
        if let v = try int("pids-limit") { r.pids = LinuxPids(limit: v) }
        return r
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        try global.runtime.container(id: id).update(try resources())
        return 0
    }
}
