import Berth
import Glibc

/// runc's global flags, which callers put before the command name
/// (`berth --root R --log F --log-format json create ...`).
struct GlobalOptions {
    var root = "/run/berth"
    /// `--root` was given: a missing root is then an error for `list` (runc 1.2), while
    /// a missing default root only means no container was created yet.
    var rootIsSet = false
    var log: String?
    var logFormat = "text"
    var debug = false
    var systemdCgroup = false
    /// CRIU, for checkpoint and restore.
    var criu = "criu"

    static let flags: [Flag] = [
        .option("root", nil, "DIR", "state directory (default /run/berth, or $XDG_RUNTIME_DIR/berth for a non-root user)"),
        .option("log", nil, "FILE", "also write errors (and with --debug, more) to FILE"),
        .option("log-format", nil, "text|json", "format of --log lines (default text)"),
        .bool("debug", nil, "log debug messages to --log"),
        .bool("systemd-cgroup", nil, "treat cgroupsPath as systemd's slice:prefix:name"),
        .option("rootless", nil, "true|false|auto", "accepted for runc compatibility"),
        .option("criu", nil, "PATH", "path to the criu binary used for checkpoint and restore (default: criu in $PATH)"),
        .bool("version", "v", "print the version"),
        .bool("help", "h", "show help"),
    ]

    /// Splits `arguments` at the command name: global flags before it, the command's
    /// arguments after.
    static func parse(_ arguments: [String]) throws(UsageError) -> (GlobalOptions, command: String?, rest: [String]) {
        var options = GlobalOptions()
        if getuid() != 0, let env = getenv("XDG_RUNTIME_DIR") {
            options.root = String(cString: env) + "/berth"
        }
        // Global flags end at the first positional: the command.
        var end = 0
        while end < arguments.count, arguments[end].hasPrefix("-") {
            let arg = arguments[end]
            end += 1
            let name = String(arg.drop(while: { $0 == "-" }).prefix(while: { $0 != "=" }))
            if !arg.contains("="), let flag = flags.first(where: { $0.name == name || ($0.short.map(String.init) == name) }),
                flag.value != nil
            {
                end += 1
            }
        }
        let parsed = try Arguments(Array(arguments[..<min(end, arguments.count)]), flags: flags)
        if let root = parsed.string("root") {
            options.root = root
            options.rootIsSet = true
        }
        options.log = parsed.string("log")
        if let format = parsed.string("log-format") {
            guard format == "text" || format == "json" else { throw UsageError("invalid log-format: \(format)") }
            options.logFormat = format
        }
        options.debug = parsed.bool("debug")
        options.systemdCgroup = parsed.bool("systemd-cgroup")
        if let criu = parsed.string("criu"), !criu.isEmpty { options.criu = criu }
        if parsed.bool("version") { return (options, "--version", []) }
        if parsed.bool("help") || end >= arguments.count { return (options, nil, []) }
        return (options, arguments[end], Array(arguments[(end + 1)...]))
    }

    var runtime: ContainerRuntime { ContainerRuntime(root: root) }
}

/// A command-line usage error, or a request for help.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    var isHelp = false
    init(_ message: String) { description = message }

    static let help: UsageError = {
        var e = UsageError("help requested"); e.isHelp = true; return e
    }()
}
