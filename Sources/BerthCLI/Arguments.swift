/// runc-style command-line parsing: `--name value`, `--name=value`, the single-dash long
/// forms urfave/cli accepts (`-bundle`), one-letter short forms, flags and positionals
/// in any order, `--` ending the flags.
///
/// berth parses its own arguments instead of using swift-argument-parser: that library
/// spends about 2 ms per invocation on runtime conformance look-ups (measured with perf),
/// and containerd pays for three invocations per container.
struct Flag: Sendable {
    /// The long name, without dashes.
    var name: String
    /// A one-letter alias, if any.
    var short: Character?
    /// The value's placeholder in help; nil for a boolean flag.
    var value: String?
    var help: String

    static func bool(_ name: String, _ short: Character? = nil, _ help: String) -> Flag {
        Flag(name: name, short: short, value: nil, help: help)
    }

    static func option(_ name: String, _ short: Character? = nil, _ value: String, _ help: String) -> Flag {
        Flag(name: name, short: short, value: value, help: help)
    }
}

/// The parsed arguments of one command.
///
/// The values are a list, not a dictionary: a command has a handful of them, and the first
/// `Dictionary<String, _>` a process makes costs a runtime look-up of `String: Hashable`
/// (a scan of every conformance record in the binary), paid by every command.
struct Arguments {
    private struct Value {
        var name: String
        var value: String
    }

    private var values: [Value] = []
    private(set) var positionals: [String] = []

    /// - Parameter flagsEndAtFirstPositional: everything from the first positional on is
    ///   positional (`exec ID cmd -x`: the command's own flags stay its own).
    init(_ arguments: [String], flags: [Flag], flagsEndAtFirstPositional: Bool = false) throws(UsageError) {
        var i = 0
        var onlyPositionals = false
        while i < arguments.count {
            let arg = arguments[i]
            i += 1
            if onlyPositionals || !arg.hasPrefix("-") || arg == "-" {
                positionals.append(arg)
                if flagsEndAtFirstPositional { onlyPositionals = true }
                continue
            }
            if arg == "--" { onlyPositionals = true; continue }
            var name = String(arg.drop(while: { $0 == "-" }))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            let flag = flags.first { $0.name == name } ?? (name.count == 1 ? flags.first { $0.short == name.first } : nil)
            guard let flag else {
                if name == "help" || name == "h" { throw UsageError.help }
                throw UsageError("flag provided but not defined: -\(name)")
            }
            if flag.value == nil {
                values.append(Value(name: flag.name, value: inline ?? "true"))
            } else if let inline {
                values.append(Value(name: flag.name, value: inline))
            } else {
                guard i < arguments.count else { throw UsageError("flag needs an argument: -\(name)") }
                values.append(Value(name: flag.name, value: arguments[i]))
                i += 1
            }
        }
    }

    /// The last value of an option.
    func string(_ name: String) -> String? { values.last { $0.name == name }?.value }

    /// Every value of a repeatable option.
    func strings(_ name: String) -> [String] { values.filter { $0.name == name }.map(\.value) }

    func bool(_ name: String) -> Bool { string(name).map { $0 != "false" } ?? false }

    func int(_ name: String) throws(UsageError) -> Int? {
        guard let text = string(name) else { return nil }
        guard let n = Int(text) else { throw UsageError("invalid value \"\(text)\" for flag -\(name)") }
        return n
    }

    /// The positional at `index`, required.
    func positional(_ index: Int, _ what: String) throws(UsageError) -> String {
        guard index < positionals.count else { throw UsageError("missing \(what)") }
        return positionals[index]
    }

    /// Fails when there are more positionals than `count`.
    func expectAtMost(_ count: Int) throws(UsageError) {
        if positionals.count > count {
            throw UsageError("unexpected argument \"\(positionals[count])\"")
        }
    }
}
