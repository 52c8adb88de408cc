import Berth

struct DeleteCommand: BerthCommand {
    static let name = "delete"
    static let summary = "Delete a container and everything made for it."
    static let usage = "[--force] ID"
    static let flags: [Flag] = [.bool("force", "f", "kill a running container first")]
    let force: Bool
    let id: String

    init(_ a: Arguments) throws(UsageError) {
        force = a.bool("force")
        id = try a.positional(0, "container id")
        try a.expectAtMost(1)
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        do {
            try global.runtime.container(id: id).delete(force: force)
        } catch {
            // runc: `delete --force` of a container that does not exist succeeds.
            if force && error.code == .notFound { return 0 }
            throw error
        }
        return 0
    }
}
