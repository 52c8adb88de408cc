import Berth
import BerthSpec

struct FeaturesCommand: BerthCommand {
    static let name = "features"
    static let summary = "Print the runtime-spec features document: what this berth really supports."
    static let usage = ""
    static let flags: [Flag] = []

    init(_ a: Arguments) throws(UsageError) { try a.expectAtMost(0) }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        print(String(decoding: try SpecEncoding.encode(ContainerRuntime.features(), pretty: true), as: UTF8.self))
        return 0
    }
}
