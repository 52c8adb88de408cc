import BerthSystem
import Glibc

/// Keeps what the container process starts with inside the container.
///
/// berth never re-executes itself, so until the final execve the init's `/proc/self/exe`
/// is the runtime's binary on the host. A process that execs it (args[0] `/proc/self/exe`,
/// a symlink to it, or a script whose `#!` interpreter is it) would run the host binary
/// in the container, where a second process could reopen it for writing through
/// `/proc/<pid>/exe` once it exits (CVE-2019-5736). runc copies itself to a sealed memfd
/// for that; berth refuses such an executable instead. And since a descriptor the init
/// still holds can be named as `/proc/self/fd/N`, the working directory is checked to be
/// under the container's root after chdir (CVE-2024-21626).
enum ExecGuard {
    /// Device and inode of the running binary, read in the parent before the clone.
    nonisolated(unsafe) private static var runtimeBinary: (dev: UInt, ino: UInt)?

    /// Records the running binary's identity; call before cloning the init.
    static func prepare() {
        var st = stat()
        if stat("/proc/self/exe", &st) == 0 { runtimeBinary = (UInt(st.st_dev), UInt(st.st_ino)) }
    }

    /// The recorded identity as [device, inode], for the state record.
    static var runtimeIdentity: [UInt64]? {
        runtimeBinary.map { [UInt64($0.dev), UInt64($0.ino)] }
    }

    /// binfmt_script follows at most this many nested `#!` interpreters (BINPRM_MAX_RECURSION).
    static let maxInterpreterDepth = 4

    /// Refuses `path` when it, or a `#!` interpreter it names (nested as the kernel would
    /// follow them), is the runtime's binary. `display` is args[0] for the message.
    ///
    /// Returns a descriptor of the checked file to exec through (execveat), so that a
    /// process of the container swapping the path afterwards (a symlink to
    /// /proc/self/exe, under `exec` into a running container) changes nothing; -1 for a
    /// script, which the kernel must reach by path for its interpreter, and where only
    /// rewriting the script in place between check and execve remains possible.
    static func checkExecutable(_ path: String, display: String) throws -> Int32 {
        // Follows symlinks and magic links, as execve does. Readable if possible (for the
        // #! header), else O_PATH (an execute-only binary).
        var fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        if fd < 0 { fd = open(path, O_PATH | O_CLOEXEC) }
        var st = stat()
        guard fd >= 0, fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            if fd >= 0 { close(fd) }
            return -1  // execve reports what is wrong with it
        }
        if let own = runtimeBinary, UInt(st.st_dev) == own.dev && UInt(st.st_ino) == own.ino {
            close(fd)
            throw InitError(
                "exec: \"\(display)\": \(path) is the container runtime's own binary; refusing to run it in the container",
                errno: EACCES)
        }
        var next: String?
        do { next = try interpreter(of: path, display: display) } catch {
            close(fd)
            throw error
        }
        guard next != nil else { return fd }
        close(fd)
        guard let own = runtimeBinary else { return -1 }
        var depth = 1
        while let current = next, depth <= maxInterpreterDepth {
            var st = stat()
            guard stat(current, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return -1 }
            if UInt(st.st_dev) == own.dev && UInt(st.st_ino) == own.ino {
                throw InitError(
                    "exec: \"\(display)\": \(current) is the container runtime's own binary; refusing to run it in the container",
                    errno: EACCES)
            }
            next = try interpreter(of: current, display: display)
            depth += 1
        }
        return -1
    }

    /// The `#!` interpreter of a script, nil for anything else.
    private static func interpreter(of path: String, display: String) throws -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else {
            // The kernel reads the header of an execute-only file even when this process
            // cannot. Root, who could write a root-owned runtime binary, is refused rather
            // than trusted blindly; others could not overwrite it anyway.
            if geteuid() == 0 {
                throw InitError(
                    "exec: \"\(display)\": permission denied (\(path) is not readable, so its interpreter cannot be checked)",
                    errno: EACCES)
            }
            return nil
        }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: 256)
        let n = read(fd, &header, header.count)
        guard n > 2, header[0] == UInt8(ascii: "#"), header[1] == UInt8(ascii: "!") else { return nil }
        let line = header[2..<n].prefix { $0 != UInt8(ascii: "\n") && $0 != 0 }
        let name = line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            .prefix { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
        return name.isEmpty ? nil : String(decoding: name, as: UTF8.self)
    }

    /// After chdir: getcwd(2) marks a directory that is not below the process's root as
    /// "(unreachable)", and glibc turns that into ENOENT.
    static func checkWorkingDirectory(_ cwd: String) throws {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buf, buf.count) != nil, buf[0] == CChar(UInt8(ascii: "/")) else {
            throw InitError(
                "chdir to cwd (\"\(cwd)\") set in config.json: the directory is outside the container's root (possible container breakout)",
                errno: ENOENT)
        }
    }
}
