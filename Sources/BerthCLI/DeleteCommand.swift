import ArgumentParser
import Berth

struct DeleteCommand: BerthCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a container and everything it holds.")
    @Flag(name: [.short, .long], help: "Kill a running container first.") var force = false
    @Argument(help: "The container id.") var id: String

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        do {
            try global.runtime.container(id: id).delete(force: force)
        } catch {
            // runc: `delete --force` of a container that does not exist succeeds.
            if force && error.code == .notFound { return 0 }
            throw error
        }
        return 0
    }
}
