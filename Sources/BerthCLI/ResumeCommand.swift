import Berth

struct ResumeCommand: IDCommand {
    static let name = "resume"
    static let summary = "Thaw a paused container."
    let id: String

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        try global.runtime.container(id: id).resume()
        return 0
    }
}
