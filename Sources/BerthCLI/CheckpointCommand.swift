import Berth
import Glibc

struct CheckpointCommand: BerthCommand {
    static let name = "checkpoint"
    static let summary = "Checkpoint a running container with CRIU (see restore)."
    static let usage = "[flags] ID"
    static let flags: [Flag] = [
        .option("image-path", nil, "DIR", "path for saving criu image files (default: ./checkpoint)"),
        .option("work-path", nil, "DIR", "path for saving work files and logs (default: the image path)"),
        .option("parent-path", nil, "DIR", "path for previous criu image files in pre-dump, relative to the image path"),
        .bool("leave-running", nil, "leave the process running after checkpointing"),
        .bool("tcp-established", nil, "allow open tcp connections"),
        .bool("ext-unix-sk", nil, "allow external unix sockets"),
        .bool("shell-job", nil, "allow shell jobs"),
        .bool("lazy-pages", nil, "use userfaultfd to lazily restore memory pages"),
        .option("status-fd", nil, "FD", "criu writes \\0 to this FD once lazy-pages is ready"),
        .option("page-server", nil, "ADDRESS:PORT", "ADDRESS:PORT of the page server"),
        .bool("file-locks", nil, "handle file locks, for safety"),
        .bool("pre-dump", nil, "dump container's memory information only, leave the container running after this"),
        .option("manage-cgroups-mode", nil, "MODE", "cgroups mode: soft|full|strict|ignore (default: soft)"),
        .option("empty-ns", nil, "NS", "create a namespace, but don't restore its properties (repeatable)"),
        .bool("auto-dedup", nil, "enable auto deduplication of memory images"),
    ]

    let arguments: Arguments
    let statusFD: Int
    let id: String

    init(_ a: Arguments) throws(UsageError) {
        arguments = a
        statusFD = try a.int("status-fd") ?? -1
        id = try a.positional(0, "container id")
        try a.expectAtMost(1)
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        let a = arguments
        if geteuid() != 0 { log.warning("berth checkpoint is untested with rootless containers") }
        let container = try global.runtime.container(id: id)
        // runc's order: the container's state first, then the options.
        let status = try container.state().status
        if status == .created || status == .stopped {
            throw BerthError(.invalidState, "Container cannot be checkpointed in \(status.rawValue) state")
        }
        var options = CheckpointOptions(imagePath: a.string("image-path").flatMap { $0.isEmpty ? nil : $0 } ?? "checkpoint")
        options.parentPath = a.string("parent-path")
        try options.checkParentPath()
        if let server = a.string("page-server"), !server.isEmpty { options.pageServer = try PageServer.parse(server) }
        options.manageCgroupsMode = try CheckpointCgroupsMode.parse(a.string("manage-cgroups-mode") ?? "")
        options.emptyNamespaces = a.strings("empty-ns")
        try checkEmptyNamespaces(options.emptyNamespaces)
        options.workPath = a.string("work-path")
        options.leaveRunning = a.bool("leave-running")
        options.tcpEstablished = a.bool("tcp-established")
        options.externalUnixSockets = a.bool("ext-unix-sk")
        options.shellJob = a.bool("shell-job")
        options.lazyPages = a.bool("lazy-pages")
        options.statusFD = Int32(clamping: statusFD)
        options.fileLocks = a.bool("file-locks")
        options.preDump = a.bool("pre-dump")
        options.autoDedup = a.bool("auto-dedup")
        options.criuPath = global.criu
        if log.debugEnabled { options.debugHandler = { @Sendable in log.debug($0) } }
        try container.checkpoint(options)
        return 0
    }
}
