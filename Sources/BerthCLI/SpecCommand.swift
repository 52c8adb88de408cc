import Berth
import BerthSpec
import BerthSystem
import Glibc

struct SpecCommand: BerthCommand {
    static let name = "spec"
    static let summary = "Write a default config.json (like runc spec)."
    static let usage = "[--bundle DIR] [--rootless]"
    static let flags: [Flag] = [.option("bundle", "b", "DIR", "where to write config.json (default: here)"),
                                .bool("rootless", nil, "a config for running as a non-root user")]
    let bundle: String
    let rootless: Bool

    init(_ a: Arguments) throws(UsageError) {
        bundle = a.string("bundle") ?? "."
        rootless = a.bool("rootless")
        try a.expectAtMost(0)
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        let path = bundle + "/config.json"
        if FileIO.exists(path, follow: false) {
            throw BerthError(.alreadyExists, "File \(path) exists. Remove it first or use a different bundle directory.")
        }
        let spec = ContainerRuntime.defaultSpec(rootless: rootless)
        let data = try spec.jsonData()
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw SyscallError("open", path, errno: currentErrno()) }
        defer { close(fd) }
        try FileIO.writeAll(fd, Array(data), path: path)
        return 0
    }
}
