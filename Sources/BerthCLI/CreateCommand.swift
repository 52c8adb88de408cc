import ArgumentParser
import Berth

/// The flags `create` and `run` share.
struct CreateFlags: ParsableArguments {
    @Option(name: [.short, .long], help: "Path to the bundle directory.")
    var bundle: String = "."
    @Option(name: .customLong("pid-file"), help: "File to write the container init's pid to.")
    var pidFile: String?
    @Option(name: .customLong("console-socket"), help: "Unix socket that receives the pty master.")
    var consoleSocket: String?
    @Flag(name: .customLong("no-pivot"), help: "Use MS_MOVE + chroot instead of pivot_root.")
    var noPivot = false
    @Flag(name: .customLong("no-new-keyring"), help: "Do not create a new session keyring.")
    var noNewKeyring = false
    @Option(name: .customLong("preserve-fds"), help: "Pass N extra fds (from 3) to the container.")
    var preserveFDs: Int = 0

    func options(_ global: GlobalOptions) -> CreateOptions {
        CreateOptions(pidFile: pidFile, consoleSocket: consoleSocket, noPivot: noPivot,
                      noNewKeyring: noNewKeyring, preserveFDs: preserveFDs, systemdCgroup: global.systemdCgroup)
    }
}

struct CreateCommand: BerthCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a container.")
    @OptionGroup var flags: CreateFlags
    @Argument(help: "The container id.") var id: String

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        _ = try global.runtime.create(id: id, bundle: flags.bundle, options: flags.options(global))
        return 0
    }
}
