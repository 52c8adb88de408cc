import Berth

struct ListCommand: BerthCommand {
    static let name = "list"
    static let summary = "List containers."
    static let usage = "[--format table|json] [--quiet]"
    static let flags: [Flag] = [
        .option("format", "f", "table|json", "output format (default table)"),
        .bool("quiet", "q", "print only the ids"),
    ]
    let format: String
    let quiet: Bool

    init(_ a: Arguments) throws(UsageError) {
        format = a.string("format") ?? "table"
        quiet = a.bool("quiet")
        try a.expectAtMost(0)
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        let states = try global.runtime.list(rootMustExist: global.rootIsSet)
        if quiet {
            for s in states { print(s.id) }
            return 0
        }
        switch format {
        case "json":
            // runc encodes an empty list as null.
            print(
                states.isEmpty
                    ? "null"
                    : "["
                        + states.map { s in
                            var s = s; s.owner = "root"; return StateJSON.render(s)
                        }.joinedPlain(separator: ",") + "]")
        case "table":
            var rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]]
            for s in states {
                rows.append([s.id, String(s.pid), s.status.rawValue, s.bundle, s.created, "root"])
            }
            var widths = [Int](repeating: 0, count: 6)
            for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
            for row in rows {
                let line = row.enumerated().map { i, c in
                    i == row.count - 1 ? c : c + String(repeating: " ", count: widths[i] - c.count + 3)
                }.joinedPlain(separator: "")
                print(line)
            }
        default:
            throw BerthError(.invalidSpec, "invalid format option: \(format)")
        }
        return 0
    }
}
