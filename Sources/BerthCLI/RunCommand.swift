import Berth

struct RunCommand: BerthCommand {
    static let name = "run"
    static let summary = "Create and start a container; in the foreground, wait for it and delete it."
    static let usage = "[flags] ID"
    static let flags: [Flag] =
        CreateFlags.flags + [
            .bool("detach", "d", "leave the container running and return"),
            .bool("keep", nil, "do not delete the container after it exits"),
        ]
    let flags: CreateFlags
    let detach: Bool
    let keep: Bool
    let id: String

    init(_ a: Arguments) throws(UsageError) {
        flags = try CreateFlags(a)
        detach = a.bool("detach")
        keep = a.bool("keep")
        id = try a.positional(0, "container id")
        try a.expectAtMost(1)
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        let runtime = global.runtime
        if detach {
            let container = try runtime.create(id: id, bundle: flags.bundle, options: flags.options(global, log))
            do { try container.start() } catch {
                try? container.delete(force: true)
                throw error
            }
            return 0
        }
        SignalForwarder.block()
        let running = try runtime.run(id: id, bundle: flags.bundle, options: flags.options(global, log))
        Trace.mark("run: started")
        let status = running.waitForwardingSignals()
        Trace.mark("run: exited")
        if !keep {
            do { try running.container.delete(force: true) } catch { log.warning("delete: \(error)") }
        }
        return status.code
    }
}
