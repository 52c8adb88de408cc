import Berth
import BerthSpec
import Glibc

/// One berth command: its flags, how it is built from parsed arguments, and what it does.
protocol BerthCommand {
    static var name: String { get }
    static var summary: String { get }
    /// The arguments after the command name, e.g. `[flags] ID`.
    static var usage: String { get }
    static var flags: [Flag] { get }
    init(_ arguments: Arguments) throws(UsageError)
    /// Runs the command; returns the process exit status.
    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32
    /// True when the arguments after the first positional are not flags of berth's.
    static var flagsEndAtFirstPositional: Bool { get }
}

extension BerthCommand {
    static var flagsEndAtFirstPositional: Bool { false }
}

/// A command whose only argument is the container id.
protocol IDCommand: BerthCommand {
    init(id: String)
}

extension IDCommand {
    static var usage: String { "ID" }
    static var flags: [Flag] { [] }

    init(_ a: Arguments) throws(UsageError) {
        self.init(id: try a.positional(0, "container id"))
        try a.expectAtMost(1)
    }
}

enum Commands {
    nonisolated(unsafe) static let all: [any BerthCommand.Type] = [
        CreateCommand.self, StartCommand.self, StateCommand.self, KillCommand.self, DeleteCommand.self,
        RunCommand.self, ListCommand.self, SpecCommand.self, PauseCommand.self, ResumeCommand.self, PsCommand.self,
        FeaturesCommand.self, UpdateCommand.self, EventsCommand.self, ExecCommand.self, DiffCommand.self, CommitCommand.self, LayersCommand.self,
        BundleCommand.self, CheckpointCommand.self, RestoreCommand.self,
    ]
    static let version = "0.1.0"
}

/// Help in runc's layout (NAME, USAGE, OPTIONS), so what users and scripts know from
/// `runc COMMAND --help` reads the same here.
func help(for command: (any BerthCommand.Type)?) -> String {
    func flagLines(_ flags: [Flag]) -> String {
        flags.map { f in
            func form(_ dashes: String, _ name: String) -> String { dashes + name + (f.value.map { " " + $0 } ?? "") }
            let left = "   " + ([form("--", f.name)] + (f.short.map { [form("-", String($0))] } ?? [])).joined(separator: ", ")
            return left + String(repeating: " ", count: max(2, 40 - left.count)) + f.help
        }.joined(separator: "\n")
    }
    guard let command else {
        var text = "NAME:\n   berth - a daemonless OCI container runtime (runc-compatible)\n\n"
        text += "USAGE:\n   berth [global options] command [command options] [arguments...]\n\nCOMMANDS:\n"
        for c in Commands.all {
            text += "   " + c.name + String(repeating: " ", count: max(2, 11 - c.name.count)) + c.summary + "\n"
        }
        text += "   help       Show the list of commands, or the help of one: berth help COMMAND\n"
        return text + "\nGLOBAL OPTIONS:\n" + flagLines(GlobalOptions.flags)
    }
    var text = "NAME:\n   berth \(command.name) - \(command.summary)\n\n"
    text += "USAGE:\n   berth \(command.name)" + (command.usage.isEmpty ? "" : " " + command.usage) + "\n"
    if !command.flags.isEmpty { text += "\nOPTIONS:\n" + flagLines(command.flags) }
    return text
}

/// urfave/cli's answer (and exit status) for a command that does not exist, which runc
/// gives for `runc foo`, `runc foo -h` and `runc help foo` alike.
func unknownCommand(_ name: String, _ log: Logger) -> Int32 {
    log.error("No help topic for '\(name)'")
    return 3
}

func main() -> Int32 {
    Trace.mark("main")
    // The arguments as glibc handed them to the program: `make build` links `berth`
    // without the Swift runtime's own reader, which opens /proc/self/maps at start-up (and
    // finds nothing without a descriptor to spare). Were they missing, berth must not
    // take that for a plain `berth` and exit 0.
    let arguments = ProgramArguments.current
    if arguments.isEmpty {
        Logger(options: GlobalOptions()).error("cannot read the command line")
        return 1
    }
    let global: GlobalOptions
    let name: String?
    let rest: [String]
    do throws(UsageError) {
        (global, name, rest) = try GlobalOptions.parse(Array(arguments.dropFirst()))
    } catch {
        Logger(options: GlobalOptions()).error(error.description)
        return 1
    }
    let log = Logger(options: global)
    if name == "--version" {
        print("berth version \(Commands.version)\nspec: \(ociSpecVersion)")
        return 0
    }
    guard let name else {
        print(help(for: nil))
        return 0
    }
    if name == "help" || name == "h" {
        guard let topic = rest.first else {
            print(help(for: nil))
            return 0
        }
        guard let type = Commands.all.first(where: { $0.name == topic }) else { return unknownCommand(topic, log) }
        print(help(for: type))
        return 0
    }
    guard let type = Commands.all.first(where: { $0.name == name }) else { return unknownCommand(name, log) }
    let command: any BerthCommand
    do throws(UsageError) {
        command = try type.init(try Arguments(rest, flags: type.flags, flagsEndAtFirstPositional: type.flagsEndAtFirstPositional))
    } catch {
        if error.isHelp {
            print(help(for: type))
            return 0
        }
        log.error("\(name): \(error.description)")
        return 1
    }
    Trace.mark("parsed")
    log.debug("berth \(Commands.version): \(name) \(rest.joined(separator: " ")) (root \(global.root))")
    do {
        let status = try command.execute(global, log)
        log.debug("\(name): exit status \(status)")
        return status
    } catch let error as BerthError {
        log.error(error.message)
    } catch {
        log.error(String(describing: error))
    }
    return 1
}

exit(main())
