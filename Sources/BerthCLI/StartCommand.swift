import Berth

struct StartCommand: IDCommand {
    static let name = "start"
    static let summary = "Start a created container."
    let id: String

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        try global.runtime.container(id: id).start()
        return 0
    }
}
