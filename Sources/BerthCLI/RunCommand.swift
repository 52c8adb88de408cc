import ArgumentParser
import Berth

struct RunCommand: BerthCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Create and start a container, and wait for it.")
    @OptionGroup var flags: CreateFlags
    @Flag(name: [.short, .long], help: "Do not wait for the container; leave it running.") var detach = false
    @Flag(name: .long, help: "Do not delete the container after it exits.") var keep = false
    @Argument(help: "The container id.") var id: String

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        let runtime = global.runtime
        if detach {
            let container = try runtime.create(id: id, bundle: flags.bundle, options: flags.options(global))
            do { try container.start() } catch {
                try? container.delete(force: true)
                throw error
            }
            return 0
        }
        SignalForwarder.block()
        let running = try runtime.run(id: id, bundle: flags.bundle, options: flags.options(global))
        let status = running.wait(forwardSignals: true)
        if !keep {
            do { try running.container.delete(force: true) } catch { log.warning("delete: \(error)") }
        }
        return status.code
    }
}
