import ArgumentParser
import Berth

struct StartCommand: BerthCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start a created container.")
    @Argument(help: "The container id.") var id: String

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        try global.runtime.container(id: id).start()
        return 0
    }
}
