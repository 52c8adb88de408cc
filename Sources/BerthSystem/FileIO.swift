import CBerth
import Glibc
import SystemPackage

/// O_PATH, which Glibc only declares under _GNU_SOURCE.
public let O_PATH = Int32(BERTH_O_PATH)

/// Small, allocation-light file helpers on raw descriptors (no Foundation on the hot path).
public enum FileIO {
    /// Opens `path` and returns the descriptor; O_CLOEXEC is always added.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0, at dirfd: Int32 = AT_FDCWD)
        throws(SyscallError) -> Int32
    {
        try sys("open", path) { Glibc.openat(dirfd, path, flags | O_CLOEXEC, mode) }
    }

    /// Reads the whole file at `path`.
    public static func read(_ path: String, at dirfd: Int32 = AT_FDCWD) throws(SyscallError) -> [UInt8] {
        let fd = try open(path, O_RDONLY, at: dirfd)
        defer { close(fd) }
        return try readAll(fd, path: path)
    }

    /// Reads `fd` to end of file.
    public static func readAll(_ fd: Int32, path: String? = nil) throws(SyscallError) -> [UInt8] {
        var out: [UInt8] = []
        // A stack buffer: most files berth reads (cgroup, /proc) are a few bytes, and a
        // zero-filled heap chunk per read cost more than the read.
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 8192) { (chunk) throws(SyscallError) in
            while true {
                let n = try sys("read", path) { Glibc.read(fd, chunk.baseAddress, chunk.count) }
                if n == 0 { break }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[0..<n]))
            }
        }
        return out
    }

    /// Reads the file at `path` as UTF-8 text.
    public static func readString(_ path: String, at dirfd: Int32 = AT_FDCWD) throws(SyscallError) -> String {
        String(decoding: try read(path, at: dirfd), as: UTF8.self)
    }

    /// Writes all of `bytes` to `fd`.
    public static func writeAll(_ fd: Int32, _ bytes: some Collection<UInt8>, path: String? = nil)
        throws(SyscallError)
    {
        let array = Array(bytes)
        var off = 0
        while off < array.count {
            let n = try sys("write", path) {
                array.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            }
            off += n
        }
    }

    /// Writes `bytes` to an existing file (procfs, sysfs, cgroupfs style: open, one write).
    public static func write(_ path: String, _ bytes: some Collection<UInt8>, at dirfd: Int32 = AT_FDCWD)
        throws(SyscallError)
    {
        let fd = try open(path, O_WRONLY, at: dirfd)
        defer { close(fd) }
        try writeAll(fd, bytes, path: path)
    }

    /// Writes `bytes` to `path` atomically: a temporary file in the same directory, then rename.
    public static func writeAtomically(_ path: String, _ bytes: some Collection<UInt8>, mode: mode_t = 0o644)
        throws(SyscallError)
    {
        let tmp = path + ".tmp"
        let fd = try open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        do throws(SyscallError) {
            try writeAll(fd, bytes, path: tmp)
            close(fd)
            try sys("rename", path) { Glibc.rename(tmp, path) }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
    }

    /// True when `path` exists (without following a final symlink when `follow` is false).
    public static func exists(_ path: String, follow: Bool = true) -> Bool {
        var st = stat()
        return (follow ? stat(path, &st) : lstat(path, &st)) == 0
    }

    /// Removes a directory tree; missing entries are not an error.
    ///
    /// `makeAccessible` gives a directory this process owns but may not read or search
    /// (overlayfs leaves its `work/work` at mode 000) owner permissions first.
    public static func removeTree(_ path: String, makeAccessible: Bool = false) throws(SyscallError) {
        var st = stat()
        if lstat(path, &st) != 0 {
            if currentErrno() == .noSuchFileOrDirectory { return }
            throw SyscallError("lstat", path, errno: currentErrno())
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            if makeAccessible && (st.st_mode & 0o700) != 0o700 && st.st_uid == geteuid() {
                _ = chmod(path, 0o700)
            }
            for name in try list(path) { try removeTree(path + "/" + name, makeAccessible: makeAccessible) }
            if rmdir(path) != 0 && currentErrno() != .noSuchFileOrDirectory {
                throw SyscallError("rmdir", path, errno: currentErrno())
            }
        } else if unlink(path) != 0 && currentErrno() != .noSuchFileOrDirectory {
            throw SyscallError("unlink", path, errno: currentErrno())
        }
    }

    /// Creates `path` and its missing parents (host paths only: never inside a rootfs).
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(SyscallError) {
        if mkdir(path, mode) == 0 { return }
        let e = currentErrno()
        if e == .fileExists { return }
        guard e == .noSuchFileOrDirectory, let slash = path.lastIndex(of: "/"), slash != path.startIndex else {
            throw SyscallError("mkdir", path, errno: e)
        }
        try makeDirectories(String(path[..<slash]), mode: mode)
        if mkdir(path, mode) != 0 && currentErrno() != .fileExists {
            throw SyscallError("mkdir", path, errno: currentErrno())
        }
    }

    /// Lists the names in a directory.
    /// Whether this process may execute `path` as it is now, by its effective ids and
    /// capabilities (faccessat2 with AT_EACCESS, as execve checks; access(2) would use the
    /// real ids and ignore CAP_DAC_OVERRIDE). Kernels before 5.8 fall back to access(2).
    public static func isExecutable(_ path: String) -> Bool {
        if berth_faccessat2(AT_FDCWD, path, X_OK, Int32(BERTH_AT_EACCESS)) == 0 { return true }
        guard currentErrno() == .noFunction else { return false }
        return access(path, X_OK) == 0
    }

    public static func list(_ path: String) throws(SyscallError) -> [String] {
        guard let dir = opendir(path) else { throw SyscallError("opendir", path, errno: currentErrno()) }
        defer { closedir(dir) }
        var names: [String] = []
        while let ent = readdir(dir) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
