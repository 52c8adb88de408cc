import BerthSpec
import BerthSystem
import CBerth
import Glibc

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
        var env = Self.deduplicated(process.env ?? [])
        if !env.contains(where: { $0.hasPrefix("HOME=") }) {
            env.append("HOME=" + Self.home(uid: process.user.uid))
        }
        self.environment = env
    }

    /// One entry per name, where the name first appears, with the last value given (an
    /// `exec --env` overrides the container's value, as with runc).
    static func deduplicated(_ env: [String]) -> [String] {
        var result: [String] = []
        var index: [Substring: Int] = [:]
        for entry in env {
            let name = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            if let i = index[name] { result[i] = entry } else {
                index[name] = result.count
                result.append(entry)
            }
        }
        return result
    }

    /// Applies rlimits, no_new_privs, groups, gid, uid, umask and cwd, in that order:
    /// limits and groups need the privileges the uid switch drops.
    func apply() throws {
        for limit in process.rlimits ?? [] {
            guard let resource = RlimitTable.resource(named: limit.type) else {
                throw InitError.spec("process.rlimits: unknown rlimit \"\(limit.type)\"")
            }
            var value = rlimit(rlim_cur: rlim_t(limit.soft), rlim_max: rlim_t(limit.hard))
            if setrlimit(__rlimit_resource_t(UInt32(bitPattern: resource)), &value) != 0 {
                let e = currentErrno()
                throw InitError("setrlimit \(limit.type) (soft \(limit.soft), hard \(limit.hard)): \(errnoText(e))", errno: e.rawValue)
            }
        }
        if process.noNewPrivileges == true {
            try ProcessControl.setNoNewPrivileges()
        }
        let capabilities = try process.capabilities.map(Capabilities.init)
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
        try sys("setresgid", "gid \(user.gid)") { berth_setresgid(user.gid, user.gid, user.gid) }
        try sys("setresuid", "uid \(user.uid)") { berth_setresuid(user.uid, user.uid, user.uid) }
        try capabilities?.apply()
        umask(mode_t(user.umask ?? 0o022))
        let cwd = process.cwd.isEmpty ? "/" : process.cwd
        if chdir(cwd) != 0 {
            let e = currentErrno()
            throw InitError("chdir to cwd (\"\(cwd)\") set in config.json failed: \(errnoText(e))", errno: e.rawValue)
        }
        try ExecGuard.checkWorkingDirectory(cwd)
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
            if access(candidate, X_OK) == 0 { return candidate }
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
        if (st.st_mode & S_IFMT) == S_IFDIR || access(path, X_OK) != 0 {
            throw InitError("exec: \"\(display)\": permission denied", errno: EACCES)
        }
    }

    /// execve; on failure reports on `errorReport` (exec, whose parent still listens) or
    /// else, as runc 1.2's init does once its parent has stopped listening, prints
    /// `exec PATH: ERROR` as the one line on stderr and exits 255.
    /// With `fd` (>= 0), the file it refers to is executed (execveat, AT_EMPTY_PATH).
    func exec(_ path: String, fd: Int32 = -1, errorReport: SyncSocket?) -> Never {
        let args = process.args ?? [path]
        let e = withCStrings(args) { argv in
            withCStrings(environment) { envp in
                if fd >= 0 {
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
