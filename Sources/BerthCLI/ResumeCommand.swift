import Berth

struct ResumeCommand: BerthCommand {
    static let name = "resume"
    static let summary = "Thaw a paused container."
    static let usage = "ID"
    static let flags: [Flag] = []
    let id: String

    init(_ a: Arguments) throws(UsageError) {
        id = try a.positional(0, "container id")
        try a.expectAtMost(1)
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        try global.runtime.container(id: id).resume()
        return 0
    }
}
