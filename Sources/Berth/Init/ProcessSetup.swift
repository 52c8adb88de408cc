import BerthSpec
import BerthSystem
import Glibc
import SystemPackage

/// The last steps before execve: limits, privileges, identity, working directory and
/// the lookup of the executable, all inside the container's root.
struct ProcessSetup {
    let process: Process
    let preserveFDs: Int
    let environment: [String]

    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    init(process: Process, preserveFDs: Int) throws {
        self.process = process
        self.preserveFDs = preserveFDs
        environment = try Self.environment(process.env, uid: process.user.uid)
    }

    /// The environment as runc prepares it: every entry `NAME=VALUE` (a missing `=` or
    /// name is refused), duplicates removed keeping the last one where it stands (an
    /// `exec --env` overrides the container's value), and HOME from the user's
    /// /etc/passwd entry appended when it is unset or empty. No env at all stays empty.
    static func environment(_ env: [String]?, uid: UInt32) throws -> [String] {
        guard let env else { return [] }
        // The last of each name is found by sorting, not with a set: hashing would cost
        // the init a runtime `String: Hashable` look-up of its own.
        var names: [String] = []
        names.reserveCapacity(env.count)
        for entry in env.reversed() {
            guard let equals = entry.firstIndex(of: "=") else {
                throw InitError.spec("invalid environment variable: missing '='")
            }
            if equals == entry.startIndex { throw InitError.spec("invalid environment variable: name cannot be empty") }
            names.append(String(entry[..<equals]))
        }
        let last = names.firstOccurrences()
        var kept: [String] = []
        var homeSet = false
        for (i, entry) in env.reversed().enumerated() {
            let name = names[i]
            guard last[i] else { continue }
            if entry.utf8.contains(0) {
                throw InitError.spec("invalid environment variable \"\(name)\": contains nul byte (\\x00)")
            }
            if name == "HOME" {
                // An empty HOME is replaced by the user's.
                if entry.utf8.count == name.utf8.count + 1 { continue }
                homeSet = true
            }
            kept.append(entry)
        }
        kept.reverse()
        if !homeSet { kept.append("HOME=" + home(uid: uid)) }
        return kept
    }

    /// `env` without duplicates as runc removes them: the last value of a name, where the
    /// last one stands (for hooks, which get the process's environment as it is given).
    static func deduplicated(_ env: [String]) -> [String] {
        var seen = Set<Substring>()
        var kept: [String] = []
        for entry in env.reversed() {
            let name = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            if seen.insert(name).inserted { kept.append(entry) }
        }
        return kept.reversed()
    }

    /// Applies rlimits, no_new_privs, groups, gid, uid, umask and cwd: limits and groups
    /// need the privileges the uid switch drops, and the working directory is entered
    /// first while they are still held (as runc 1.2 does: a directory the user cannot
    /// enter but berth can works), or else after the switch (a directory only the user
    /// can enter). `warn` takes what runc would log as a warning.
    func apply(warn: (String) throws -> Void) throws {
        let cwd = process.cwd.isEmpty ? "/" : process.cwd
        var enterLater = false
        if chdir(cwd) != 0 {
            let e = currentErrno()
            guard e == .permissionDenied || e == .notPermitted else { throw Self.cwdError(cwd, e) }
            enterLater = true
        }
        // The configured limits, or else the ones berth's caller had (berth raises none of
        // its own). A hard limit above the caller's was raised by the parent already (see
        // ProcessLimits), which a process in a user namespace could not do itself.
        for limit in process.rlimits ?? [] {
            guard let resource = RlimitTable.resource(named: limit.type) else {
                throw InitError.spec("process.rlimits: unknown rlimit \"\(limit.type)\"")
            }
            do throws(SyscallError) { try ResourceLimits.set(resource, soft: limit.soft, hard: limit.hard) } catch {
                throw InitError(
                    "setrlimit \(limit.type) (soft \(limit.soft), hard \(limit.hard)): \(errnoText(error.errno))",
                    errno: error.errno.rawValue)
            }
        }
        if process.noNewPrivileges == true {
            try ProcessControl.setNoNewPrivileges()
        }
        let capabilities = process.capabilities.map(Capabilities.init)
        try capabilities?.dropBounding()
        let user = process.user
        let groups = (user.additionalGids ?? []).map { gid_t($0) }
        if setgroups(groups.count, groups) != 0 {
            let e = currentErrno()
            // A user namespace whose setgroups is denied only accepts an empty list.
            if !(e == .notPermitted && groups.isEmpty) {
                throw InitError("setgroups \(groups): \(errnoText(e))", errno: e.rawValue)
            }
        }
        // The process's terminal and stdio pipes become its user's while berth may still
        // chown (root needs nothing: it keeps what it has).
        if user.uid != 0 { try Terminal.giveStdio(to: user.uid, terminal: process.terminal == true) }
        try Credentials.setGroup(user.gid)
        try Credentials.setUser(user.uid)
        if let refused = try capabilities?.apply() {
            for (cap, e) in refused {
                let name = (process.capabilities?.ambient ?? []).first { Capabilities.number(named: $0) == cap }
                try warn("can't raise ambient capability \((name ?? String(cap)).uppercased()): \(errnoText(e))")
            }
        }
        umask(mode_t(user.umask ?? 0o022))
        if enterLater && chdir(cwd) != 0 { throw Self.cwdError(cwd, currentErrno()) }
        try ExecGuard.checkWorkingDirectory(cwd)
    }

    static func cwdError(_ cwd: String, _ e: Errno) -> InitError {
        InitError("chdir to cwd (\"\(cwd)\") set in config.json failed: \(errnoText(e))", errno: e.rawValue)
    }

    /// Finds `args[0]` the way execvp would, in the container's PATH, with runc's wording
    /// on failure (callers map these to exit codes 127 and 126).
    func resolveExecutable() throws -> String {
        guard let name = process.args?.first, !name.isEmpty else {
            throw InitError.spec("process.args: must not be empty")
        }
        if name.contains("/") {
            try Self.checkExecutable(name, display: name)
            return name
        }
        let path = environment.last(where: { $0.hasPrefix("PATH=") }).map { String($0.dropFirst(5)) } ?? Self.defaultPath
        var denied: String?
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
            var st = stat()
            guard stat(candidate, &st) == 0, (st.st_mode & S_IFMT) != S_IFDIR else { continue }
            // By the effective ids and capabilities, as execve checks: a user with
            // CAP_DAC_OVERRIDE runs a file it has no execute permission on.
            if FileIO.isExecutable(candidate) { return candidate }
            denied = denied ?? candidate
        }
        if denied != nil {
            throw InitError("exec: \"\(name)\": permission denied", errno: EACCES)
        }
        throw InitError("exec: \"\(name)\": executable file not found in $PATH", errno: ENOENT)
    }

    static func checkExecutable(_ path: String, display: String) throws {
        var st = stat()
        if stat(path, &st) != 0 {
            let e = currentErrno()
            throw InitError("exec: \"\(display)\": stat \(path): \(errnoText(e))", errno: e.rawValue)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR || !FileIO.isExecutable(path) {
            throw InitError("exec: \"\(display)\": permission denied", errno: EACCES)
        }
    }

    /// execve; on failure reports on `errorReport` (exec, whose parent still listens) or
    /// else, as runc 1.2's init does once its parent has stopped listening, prints
    /// `exec PATH: ERROR` as the one line on stderr and exits 255.
    /// With `fd` (>= 0), the file it refers to is executed: through `link` (a name in a
    /// private directory that leads to `fd`, so the process is named as the path's last
    /// component, as with runc), else with execveat(AT_EMPTY_PATH), which names it after
    /// the file itself (`busybox` for `sh`) or, before Linux 6.14, after `fd`.
    func exec(_ path: String, fd: Int32 = -1, link: ExecName? = nil, errorReport: SyncSocket?) -> Never {
        let args = process.args ?? [path]
        let e = withCStrings(args) { argv in
            withCStrings(environment) { envp in
                if fd >= 0 {
                    if let link { _ = Exec.execute(at: link.directory, link.name, argv: argv, envp: envp) }
                    let e = Exec.execute(fd: fd, argv: argv, envp: envp)
                    // A seccomp profile that allows execve but not execveat (an allow list
                    // written with runc in mind) answers ENOSYS or EPERM: exec by path.
                    guard e == .noFunction || e == .notPermitted else { return e }
                }
                return Exec.execute(path, argv: argv, envp: envp)
            }
        }
        let message = "exec \(path): \(errnoText(e))"
        if let report = errorReport {
            report.report(BerthError(.system, message, errno: e.rawValue))
        } else {
            let line = message + "\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
        }
        _exit(255)
    }

    /// The user's home directory from the container's /etc/passwd, "/" when unknown.
    static func home(uid: UInt32) -> String {
        // The image's /etc/passwd may be a FIFO, a device or huge: read a regular file only,
        // and only its first 1 MiB.
        let fd = open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { return "/" }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return "/" }
        var bytes = [UInt8](repeating: 0, count: min(Int(st.st_size), PasswdFile.maxBytes))
        let n = read(fd, &bytes, bytes.count)
        guard n > 0 else { return "/" }
        return PasswdFile.home(uid: uid, in: bytes[0..<n]) ?? "/"
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
