import ArgumentParser
import Berth

struct ListCommand: BerthCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List containers.")
    @Option(name: [.short, .long], help: "table or json") var format: String = "table"
    @Flag(name: [.short, .long], help: "Print only ids.") var quiet = false

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        let states = try global.runtime.list()
        if quiet {
            for s in states { print(s.id) }
            return 0
        }
        switch format {
        case "json":
            // runc encodes an empty list as null.
            print(states.isEmpty ? "null" : "[" + states.map { s in var s = s; s.owner = "root"; return StateJSON.render(s) }.joined(separator: ",") + "]")
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
                }.joined()
                print(line)
            }
        default:
            throw BerthError(.invalidSpec, "invalid format option: \(format)")
        }
        return 0
    }
}
