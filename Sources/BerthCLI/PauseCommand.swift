import Berth

struct PauseCommand: IDCommand {
    static let name = "pause"
    static let summary = "Freeze every process of a running container."
    let id: String

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        try global.runtime.container(id: id).pause()
        return 0
    }
}
