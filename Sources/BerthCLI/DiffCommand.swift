import Berth

/// `berth diff ID|DIR`: what a container changed in its copy-on-write layer, one line
/// each (`A path`, `C path`, `D path`, as `docker diff` prints them), sorted.
struct DiffCommand: BerthCommand {
    static let name = "diff"
    static let summary = "List what a container (or a kept layer directory) changed: A, C or D and the path."
    static let usage = "ID|DIR"
    static var flags: [Flag] { [] }
    let target: String

    init(_ a: Arguments) throws(UsageError) {
        target = try a.positional(0, "container id or layer directory")
        try a.expectAtMost(1)
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        // An id never holds a slash: anything that does is a kept layer directory.
        let changes =
            target.contains("/")
            ? try ContainerRuntime.layerChanges(directory: target)
            : try global.runtime.container(id: target).changes()
        var out = ""
        for change in changes { out += change.line + "\n" }
        print(out, terminator: "")
        return 0
    }
}
