import ArgumentParser
import Berth
import BerthSpec
import BerthSystem
import Glibc

struct SpecCommand: BerthCommand {
    static let configuration = CommandConfiguration(commandName: "spec", abstract: "Write a default config.json.")
    @Option(name: [.short, .long], help: "Bundle directory to write config.json into.") var bundle: String = "."
    @Flag(name: .long, help: "A config for running as a non-root user.") var rootless = false

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        let path = bundle + "/config.json"
        if FileIO.exists(path, follow: false) {
            throw BerthError(.alreadyExists, "File \(path) exists. Remove it first or use a different bundle directory.")
        }
        let spec = rootless ? Spec.defaultSpec(rootless: true, uid: getuid(), gid: getgid()) : Spec.defaultSpec()
        let data = try spec.jsonData()
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw SyscallError("open", path, errno: currentErrno()) }
        defer { close(fd) }
        try FileIO.writeAll(fd, Array(data), path: path)
        return 0
    }
}
