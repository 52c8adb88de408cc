import ArgumentParser
import Berth
import BerthSpec
import Glibc

/// A berth command: parsed by ArgumentParser, run with the global options; returns the
/// process exit status.
protocol BerthCommand: ParsableCommand {
    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32
}

struct BerthRoot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berth",
        abstract: "A daemonless OCI container runtime.",
        subcommands: [CreateCommand.self, StartCommand.self, StateCommand.self, KillCommand.self,
                      DeleteCommand.self, RunCommand.self, ListCommand.self, SpecCommand.self])
}

let version = "0.1.0"

func main() -> Int32 {
    let arguments = Array(CommandLine.arguments.dropFirst())
    let global: GlobalOptions
    let rest: [String]
    do throws(UsageError) { (global, rest) = try GlobalOptions.parse(arguments) } catch {
        Logger(options: GlobalOptions()).error(error.description)
        return 1
    }
    let log = Logger(options: global)
    if rest.first == "--version" || rest.first == "-v" {
        print("berth version \(version)\nspec: \(ociSpecVersion)")
        return 0
    }
    let command: ParsableCommand
    do {
        command = try BerthRoot.parseAsRoot(rest)
    } catch {
        let code = BerthRoot.exitCode(for: error)
        if code == .success {
            print(BerthRoot.fullMessage(for: error))
            return 0
        }
        log.error(BerthRoot.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments")
        return 1
    }
    guard let berthCommand = command as? BerthCommand else {
        print(BerthRoot.helpMessage())
        return 0
    }
    do {
        return try berthCommand.execute(global, log)
    } catch let error as BerthError {
        log.error(error.message)
    } catch {
        log.error(String(describing: error))
    }
    return 1
}

exit(main())
