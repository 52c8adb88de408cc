import Berth
import BerthSpec
import Glibc

struct ExecCommand: BerthCommand {
    static let name = "exec"
    static let summary = "Run a process inside a running container."
    static let usage = "[flags] ID [COMMAND [ARG...]]"
    static let flagsEndAtFirstPositional = true
    static let flags: [Flag] = [
        .option("process", "p", "FILE", "the process, as a runtime-spec Process JSON (other process flags are ignored)"),
        .bool("tty", "t", "allocate a pseudo-TTY"),
        .option("console-socket", nil, "PATH", "unix socket that receives the pty master"),
        .option("pidfd-socket", nil, "PATH", "unix socket that receives a pidfd of the new process"),
        .bool("detach", "d", "return once the process has started"),
        .option("pid-file", nil, "FILE", "write the process's pid to FILE"),
        .option("cwd", nil, "DIR", "working directory in the container"),
        .option("env", "e", "KEY=VALUE", "set an environment variable (repeatable)"),
        .option("user", "u", "UID[:GID]", "user (and group) id to run as"),
        .option("additional-gids", "g", "GID", "an additional group id (repeatable)"),
        .option("cap", "c", "CAP", "add a capability (repeatable)"),
        .bool("no-new-privs", nil, "set no_new_privileges"),
        .option("apparmor", nil, "PROFILE", "AppArmor profile for the process"),
        .option("process-label", nil, "LABEL", "SELinux label for the process"),
        .option("preserve-fds", nil, "N", "pass N extra fds (from 3) to the process"),
        .bool("ignore-paused", nil, "exec even if the container is paused (waits until it is resumed)"),
        .option(
            "cgroup", nil, "[CONTROLLER[,CONTROLLER]:]PATH",
            "run the process in an existing sub-cgroup of the container's (repeatable per controller)"),
    ]

    let arguments: Arguments
    let id: String
    let command: [String]
    let options: ExecOptions

    init(_ a: Arguments) throws(UsageError) {
        arguments = a
        id = try a.positional(0, "container id")
        command = Array(a.positionals.dropFirst())
        let preserve = try a.int("preserve-fds") ?? 0
        guard preserve >= 0 else { throw UsageError("--preserve-fds must not be negative") }
        options = ExecOptions(
            consoleSocket: a.string("console-socket"), pidFile: a.string("pid-file"),
            detach: a.bool("detach"), preserveFDs: preserve, ignorePaused: a.bool("ignore-paused"),
            pidfdSocket: a.string("pidfd-socket"),
            subCgroups: try Self.subCgroups(a.strings("cgroup")))
    }

    /// runc's `--cgroup` forms: `PATH` alone (every hierarchy, given once), or
    /// `CONTROLLER[,CONTROLLER...]:PATH`, each controller at most once. runc's wording.
    static func subCgroups(_ args: [String]) throws(UsageError) -> [String: String] {
        var paths: [String: String] = [:]
        for arg in args {
            if let colon = arg.firstIndex(of: ":") {
                let path = String(arg[arg.index(after: colon)...])
                for controller in arg[..<colon].split(separator: ",", omittingEmptySubsequences: false) {
                    guard !controller.isEmpty else {
                        throw UsageError("invalid --cgroup argument: \(arg) (empty <controller> prefix)")
                    }
                    guard paths[String(controller)] == nil else {
                        throw UsageError("invalid --cgroup argument(s): controller \(controller) specified multiple times")
                    }
                    paths[String(controller)] = path
                }
            } else {
                guard args.count == 1 else {
                    throw UsageError("invalid --cgroup argument: \(arg) (missing <controller>: prefix)")
                }
                paths[""] = arg
            }
        }
        return paths
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        // runc words every exec failure this way and exits 255, which callers tell apart
        // from the process's own exit status.
        do { return try run(global, log) } catch let error as BerthError {
            log.error("exec failed: " + error.message)
            return 255
        }
    }

    private func run(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        let container = try global.runtime.container(id: id)
        let process = try makeProcess(container)
        var options = self.options
        options.warningHandler = { log.warning($0) }
        if log.debugEnabled { options.debugHandler = { log.debug($0) } }
        if !options.detach { SignalForwarder.block() }
        let running = try container.exec(process, options: options)
        if options.detach { return 0 }
        return running.waitForwardingSignals().code
    }

    /// The process from `--process`, or the container's own process with the flags'
    /// changes, as runc builds it.
    func makeProcess(_ container: Container) throws -> Process {
        if let path = arguments.string("process") {
            let bytes: [UInt8]
            do throws(SpecError) { bytes = try SpecLoader.read(path) } catch {
                throw BerthError(.invalidSpec, "process: \(error.message)")
            }
            do throws(SpecError) {
                return try SpecLoader.decode(Process.self, from: bytes, fileName: path)
            } catch { throw BerthError(.invalidSpec, error.message) }
        }
        guard var p = try container.configuration().process else {
            throw BerthError(.invalidSpec, "the container's config.json has no process")
        }
        p.args = command
        p.terminal = arguments.bool("tty")
        if let cwd = arguments.string("cwd") { p.cwd = cwd }
        p.env = (p.env ?? []) + arguments.strings("env")
        if let user = arguments.string("user") {
            let parts = user.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let uid = UInt32(parts[0]), parts.count == 1 || UInt32(parts[1]) != nil else {
                throw BerthError(.invalidSpec, "invalid --user \"\(user)\": expected UID[:GID]")
            }
            p.user.uid = uid
            if parts.count == 2 { p.user.gid = UInt32(parts[1])! }
        }
        for gid in arguments.strings("additional-gids") {
            guard let g = UInt32(gid) else { throw BerthError(.invalidSpec, "invalid --additional-gids \"\(gid)\"") }
            p.user.additionalGids = (p.user.additionalGids ?? []) + [g]
        }
        let caps = arguments.strings("cap")
        if !caps.isEmpty {
            var c = p.capabilities ?? LinuxCapabilities()
            c.bounding = (c.bounding ?? []) + caps
            c.effective = (c.effective ?? []) + caps
            c.permitted = (c.permitted ?? []) + caps
            // Ambient capabilities need the inheritable bit: raise them only where the
            // container's process has an inheritable set.
            if c.inheritable != nil { c.ambient = (c.ambient ?? []) + caps }
            p.capabilities = c
        }
        if arguments.bool("no-new-privs") { p.noNewPrivileges = true }
        if let profile = arguments.string("apparmor") { p.apparmorProfile = profile }
        if let label = arguments.string("process-label") { p.selinuxLabel = label }
        return p
    }
}
