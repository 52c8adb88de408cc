import Berth
import Glibc

/// runc's global flags, which callers put before the command name
/// (`berth --root R --log F --log-format json create ...`).
struct GlobalOptions {
    var root = "/run/berth"
    var log: String?
    var logFormat = "text"
    var debug = false
    var systemdCgroup = false
    var rootless: String?

    /// Splits `arguments` into the global flags and the rest (command and its flags).
    /// Accepts `--flag value`, `--flag=value` and the single-dash forms runc accepts.
    static func parse(_ arguments: [String]) throws(UsageError) -> (GlobalOptions, [String]) {
        var options = GlobalOptions()
        if let env = getenv("XDG_RUNTIME_DIR"), getuid() != 0 {
            options.root = String(cString: env) + "/berth"
        }
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            guard arg.hasPrefix("-"), arg != "-", arg != "--" else { break }
            var name = String(arg.drop(while: { $0 == "-" }))
            var value: String?
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            func takeValue() throws(UsageError) -> String {
                if let v = value { return v }
                i += 1
                guard i < arguments.count else { throw UsageError("flag needs an argument: --\(name)") }
                return arguments[i]
            }
            switch name {
            case "root": options.root = try takeValue()
            case "log": options.log = try takeValue()
            case "log-format":
                options.logFormat = try takeValue()
                guard options.logFormat == "text" || options.logFormat == "json" else {
                    throw UsageError("invalid log-format: \(options.logFormat)")
                }
            case "debug": options.debug = value.map { $0 != "false" } ?? true
            case "systemd-cgroup": options.systemdCgroup = value.map { $0 != "false" } ?? true
            case "rootless": options.rootless = try takeValue()
            case "criu": _ = try takeValue()
            case "version", "v", "help", "h": return (options, Array(arguments[i...]))
            default: throw UsageError("flag provided but not defined: -\(name)")
            }
            i += 1
        }
        return (options, Array(arguments[i...]))
    }

    var runtime: ContainerRuntime { ContainerRuntime(root: root) }
}

/// A command-line usage error.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}
