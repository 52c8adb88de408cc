import Berth
import Glibc

struct PsCommand: BerthCommand {
    static let name = "ps"
    static let summary = "List a container's processes (json: host pids; table: the host's ps, filtered)."
    static let usage = "[--format table|json] ID [ps options]"
    static let flags: [Flag] = [.option("format", "f", "table|json", "output format (default table)")]
    /// `ps ID -e -x`: what follows the id belongs to ps (runc stops parsing there too).
    static let flagsEndAtFirstPositional = true
    let format: String
    let id: String
    let psArguments: [String]

    init(_ a: Arguments) throws(UsageError) {
        format = a.string("format") ?? "table"
        id = try a.positional(0, "container id")
        psArguments = Array(a.positionals.dropFirst())
    }

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        let pids = try global.runtime.container(id: id).processes()
        switch format {
        case "json":
            print("[" + pids.map(String.init).joined(separator: ",") + "]")
            return 0
        case "table":
            // The host's ps with the caller's options, keeping the header and the
            // container's processes (runc does the same).
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else { throw BerthError(.system, "ps: pipe failed") }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
            posix_spawn_file_actions_addclose(&actions, fds[0])
            let args = ["ps"] + (psArguments.isEmpty ? ["-ef"] : psArguments)
            var child: pid_t = 0
            let argv = args.map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            let rc = posix_spawnp(&child, "ps", &actions, nil, argv, environ)
            close(fds[1])
            guard rc == 0 else { close(fds[0]); throw BerthError(.system, "ps: cannot run ps: \(String(cString: strerror(rc)))") }
            var output: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 8192)
            while true {
                let n = read(fds[0], &buf, buf.count)
                if n <= 0 { break }
                output += buf[0..<n]
            }
            close(fds[0])
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
            let text = String(decoding: output, as: UTF8.self)
            let exit = ExitStatus(rawWaitStatus: status)
            if exit.code != 0 {
                // runc's wording: the failure, then what ps printed.
                let how = exit.signal.map { "signal \($0)" } ?? "exit status \(exit.code)"
                throw BerthError(.system, "\(how): \(text)")
            }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            guard let header = lines.first else { return 0 }
            let columns = header.split(separator: " ")
            guard let pidColumn = columns.firstIndex(of: "PID") else {
                throw BerthError(.invalidSpec, "couldn't find PID field in ps output")
            }
            print(header)
            let wanted = Set(pids)
            for line in lines.dropFirst() {
                let fields = line.split(separator: " ")
                if pidColumn < fields.count, let pid = Int32(fields[pidColumn]), wanted.contains(pid) { print(line) }
            }
            return 0
        default:
            throw BerthError(.invalidSpec, "invalid format option: \(format)")
        }
    }
}
