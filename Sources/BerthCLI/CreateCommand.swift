import Berth
import Glibc

/// The flags `create` and `run` share.
struct CreateFlags {
    static let flags: [Flag] = [
        .option("bundle", "b", "DIR", "bundle directory (default: the current one)"),
        .option("pid-file", nil, "FILE", "write the container init's pid to FILE"),
        .option("console-socket", nil, "PATH", "unix socket that receives the pty master"),
        .option("pidfd-socket", nil, "PATH", "unix socket that receives a pidfd of the container's init"),
        .bool("no-pivot", nil, "use MS_MOVE + chroot instead of pivot_root"),
        .bool("no-new-keyring", nil, "keep the caller's session keyring"),
        .option("preserve-fds", nil, "N", "pass N extra fds (from 3) to the container"),
        .option("overlay", nil, "volatile|DIR", "a copy-on-write layer over the rootfs: on a tmpfs, or kept in DIR"),
    ]

    var bundle: String
    var pidFile: String?
    var consoleSocket: String?
    var pidfdSocket: String?
    var noPivot: Bool
    var noNewKeyring: Bool
    var preserveFDs: Int
    var overlay: String?

    init(_ a: Arguments) throws(UsageError) {
        bundle = a.string("bundle") ?? "."
        pidFile = a.string("pid-file")
        consoleSocket = a.string("console-socket")
        pidfdSocket = a.string("pidfd-socket")
        noPivot = a.bool("no-pivot")
        noNewKeyring = a.bool("no-new-keyring")
        preserveFDs = try a.int("preserve-fds") ?? 0
        guard preserveFDs >= 0 else { throw UsageError("--preserve-fds must not be negative") }
        overlay = a.string("overlay")
    }

    func options(_ global: GlobalOptions, _ log: Logger) -> CreateOptions {
        let debug: (@Sendable (String) -> Void)? = log.debugEnabled ? { @Sendable in log.debug($0) } : nil
        return CreateOptions(
            pidFile: pidFile, consoleSocket: consoleSocket, noPivot: noPivot,
            noNewKeyring: noNewKeyring, preserveFDs: preserveFDs, systemdCgroup: global.systemdCgroup,
            notifySocket: Self.environment("NOTIFY_SOCKET"), listenFDs: Self.listenFDs(),
            pidfdSocket: pidfdSocket, warningHandler: { log.warning($0) },
            debugHandler: debug, overlay: overlay)
    }

    static func environment(_ name: String) -> String? {
        guard let value = getenv(name), value.pointee != 0 else { return nil }
        return String(cString: value)
    }

    /// systemd socket activation: LISTEN_FDS counts only when LISTEN_PID names berth.
    static func listenFDs() -> Int {
        guard let pid = environment("LISTEN_PID").flatMap(Int32.init), pid == getpid(),
            let count = environment("LISTEN_FDS").flatMap(Int.init), count > 0
        else { return 0 }
        return count
    }
}

struct CreateCommand: BerthCommand {
    static let name = "create"
    static let summary = "Create a container: set it up and leave its process waiting for start."
    static let usage = "[flags] ID"
    static let flags = CreateFlags.flags

    let create: CreateFlags
    let id: String

    init(_ a: Arguments) throws(UsageError) {
        create = try CreateFlags(a)
        id = try a.positional(0, "container id")
        try a.expectAtMost(1)
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        _ = try global.runtime.create(id: id, bundle: create.bundle, options: create.options(global, log))
        return 0
    }
}
