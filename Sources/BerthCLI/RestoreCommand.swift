import Berth
import Glibc

struct RestoreCommand: BerthCommand {
    static let name = "restore"
    static let summary = "Restore a container from a checkpoint made with CRIU."
    static let usage = "[flags] ID"
    static let flags: [Flag] = [
        .option("console-socket", nil, "PATH", "unix socket that receives the pty master of the restored terminal"),
        .option("image-path", nil, "DIR", "path to criu image files for restoring (default: ./checkpoint)"),
        .option("work-path", nil, "DIR", "path for saving work files and logs (default: the image path)"),
        .bool("tcp-established", nil, "allow open tcp connections"),
        .bool("ext-unix-sk", nil, "allow external unix sockets"),
        .bool("shell-job", nil, "allow shell jobs"),
        .bool("file-locks", nil, "handle file locks, for safety"),
        .option("manage-cgroups-mode", nil, "MODE", "cgroups mode: soft|full|strict|ignore (default: soft)"),
        .option("bundle", "b", "DIR", "path to the root of the bundle directory (default: the current one)"),
        .bool("detach", "d", "detach from the container's process"),
        .option("pid-file", nil, "FILE", "specify the file to write the process id to"),
        .bool("no-subreaper", nil, "accepted for runc compatibility (berth is no subreaper)"),
        .bool("no-pivot", nil, "accepted for runc compatibility (CRIU rebuilds the mounts)"),
        .option("empty-ns", nil, "NS", "create a namespace, but don't restore its properties (repeatable)"),
        .bool("auto-dedup", nil, "enable auto deduplication of memory images"),
        .bool("lazy-pages", nil, "use userfaultfd to lazily restore memory pages"),
        .option("lsm-profile", nil, "TYPE:NAME", "LSM profile for the restored processes"),
        .option("lsm-mount-context", nil, "CONTEXT", "LSM mount context for the restored mounts"),
    ]

    let arguments: Arguments
    let id: String

    init(_ a: Arguments) throws(UsageError) {
        arguments = a
        id = try a.positional(0, "container id")
        try a.expectAtMost(1)
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        let a = arguments
        if geteuid() != 0 { log.warning("berth restore is untested with rootless containers") }
        var options = RestoreOptions(imagePath: a.string("image-path").flatMap { $0.isEmpty ? nil : $0 } ?? "checkpoint")
        options.manageCgroupsMode = try CheckpointCgroupsMode.parse(a.string("manage-cgroups-mode") ?? "")
        options.emptyNamespaces = a.strings("empty-ns")
        try checkEmptyNamespaces(options.emptyNamespaces)
        options.workPath = a.string("work-path")
        options.tcpEstablished = a.bool("tcp-established")
        options.externalUnixSockets = a.bool("ext-unix-sk")
        options.shellJob = a.bool("shell-job")
        options.fileLocks = a.bool("file-locks")
        options.pidFile = a.string("pid-file").flatMap { $0.isEmpty ? nil : $0 }
        options.consoleSocket = a.string("console-socket").flatMap { $0.isEmpty ? nil : $0 }
        options.detach = a.bool("detach")
        options.noPivot = a.bool("no-pivot")
        options.autoDedup = a.bool("auto-dedup")
        options.lazyPages = a.bool("lazy-pages")
        options.lsmProfile = a.string("lsm-profile")
        options.lsmMountContext = a.string("lsm-mount-context")
        options.systemdCgroup = global.systemdCgroup
        options.criuPath = global.criu
        options.warningHandler = { log.warning($0) }
        if log.debugEnabled { options.debugHandler = { @Sendable in log.debug($0) } }
        let bundle = a.string("bundle").flatMap { $0.isEmpty ? nil : $0 } ?? "."
        if options.detach {
            _ = try global.runtime.restore(id: id, bundle: bundle, options: options)
            return 0
        }
        // In the foreground, as `run`: signals go to the restored init, and the container
        // is removed when it exits, with its exit status as berth's.
        SignalForwarder.block()
        let running = try global.runtime.restore(id: id, bundle: bundle, options: options)
        let status = running.waitForwardingSignals()
        do { try running.container.delete(force: true) } catch { log.warning("delete: \(error)") }
        return status.code
    }
}
