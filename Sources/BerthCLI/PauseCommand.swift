import Berth

struct PauseCommand: BerthCommand {
    static let name = "pause"
    static let summary = "Freeze every process of a running container."
    static let usage = "ID"
    static let flags: [Flag] = []
    let id: String

    init(_ a: Arguments) throws(UsageError) {
        id = try a.positional(0, "container id")
        try a.expectAtMost(1)
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        try global.runtime.container(id: id).pause()
        return 0
    }
}
