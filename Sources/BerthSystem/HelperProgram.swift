import CBerth
import Glibc
import SystemPackage

/// Starting a helper program (posix_spawn, so berth stays single-threaded and nothing of
/// berth runs in the child) with chosen descriptors at chosen numbers.
public enum HelperProgram {
    /// Descriptor numbers at or above this are where sources are parked before they are
    /// moved to their targets, so no target overwrites a source still to be moved.
    static let parking: Int32 = 100

    /// Starts `program` (searched in `$PATH` when it has no slash) with `arguments`
    /// (argv[0] included) and berth's environment. `descriptors` maps the child's
    /// descriptor numbers to berth's open descriptors; anything else berth holds is
    /// close-on-exec and does not reach the child. Signals start unblocked, with their
    /// default dispositions. Returns the child's pid.
    public static func start(_ program: String, arguments: [String], descriptors: [Int32: Int32]) throws(SyscallError) -> pid_t {
        var parked: [(target: Int32, fd: Int32)] = []
        defer { for p in parked { close(p.fd) } }
        for (target, source) in descriptors.sorted(by: { $0.key < $1.key }) {
            let fd = fcntl(source, F_DUPFD_CLOEXEC, parking)
            guard fd >= 0 else { throw SyscallError("dup", "descriptor \(source)", errno: currentErrno()) }
            parked.append((target, fd))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears close-on-exec on the target; the parked copies stay close-on-exec.
        for p in parked { posix_spawn_file_actions_adddup2(&actions, p.fd, p.target) }
        var pid: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        defer { for p in argv { free(p) } }
        let rc = withDefaultSignals { attributes in
            program.contains("/")
                ? posix_spawn(&pid, program, &actions, attributes, &argv, environ)
                : posix_spawnp(&pid, program, &actions, attributes, &argv, environ)
        }
        guard rc == 0 else { throw SyscallError("exec", program, errno: Errno(rawValue: rc)) }
        return pid
    }

    /// Calls `body` with spawn attributes under which a program starts with no signal
    /// blocked and every signal at its default disposition (berth blocks the signals it
    /// forwards and ignores SIGPIPE; neither may reach a helper or a hook).
    public static func withDefaultSignals<R>(_ body: (UnsafePointer<posix_spawnattr_t>) -> R) -> R {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        return body(&attributes)
    }

    /// Waits for `pid` (a child of berth) to end and returns its raw wait status, or nil
    /// when it is not berth's child; EINTR is retried.
    public static func wait(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if currentErrno() != .interrupted { return nil }
        }
        return status
    }

    /// A memory file (close-on-exec) to capture a helper's output in, or -1.
    public static func memoryFile(_ name: String) -> Int32 {
        berth_memfd(name)
    }

    /// What a memory file holds, read from its start, at most `limit` bytes.
    public static func contents(of fd: Int32, limit: Int = 65536) -> String {
        guard fd >= 0 else { return "" }
        var buf = [UInt8](repeating: 0, count: limit)
        let n = pread(fd, &buf, buf.count, 0)
        guard n > 0 else { return "" }
        return String(decoding: buf[0..<n], as: UTF8.self)
    }
}
