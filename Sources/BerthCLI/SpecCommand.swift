import Berth

struct SpecCommand: BerthCommand {
    static let name = "spec"
    static let summary = "Write a default config.json (like runc spec)."
    static let usage = "[--bundle DIR] [--rootless]"
    static let flags: [Flag] = [
        .option("bundle", "b", "DIR", "where to write config.json (default: here)"),
        .bool("rootless", nil, "a config for running as a non-root user"),
    ]
    let bundle: String
    let rootless: Bool

    init(_ a: Arguments) throws(UsageError) {
        bundle = a.string("bundle") ?? "."
        rootless = a.bool("rootless")
        try a.expectAtMost(0)
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        try ContainerRuntime.writeDefaultSpec(bundle: bundle, rootless: rootless)
        return 0
    }
}
