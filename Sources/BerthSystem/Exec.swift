import CBerth
import Glibc
import SystemPackage

/// execve(2) and execveat(2). Each returns only on failure, with the errno.
public enum Exec {
    /// AT_EMPTY_PATH (fcntl.h defines it only under _GNU_SOURCE, which Swift's Glibc lacks).
    static let emptyPath: Int32 = 0x1000

    /// Executes `path`.
    public static func execute(
        _ path: String, argv: UnsafePointer<UnsafeMutablePointer<CChar>?>,
        envp: UnsafePointer<UnsafeMutablePointer<CChar>?>
    ) -> Errno {
        execve(path, argv, envp)
        return currentErrno()
    }

    /// Executes `name` in the directory `dirfd` refers to (execveat without flags). The
    /// process is named after `name`, whatever file it leads to.
    public static func execute(
        at dirfd: Int32, _ name: String, argv: UnsafePointer<UnsafeMutablePointer<CChar>?>,
        envp: UnsafePointer<UnsafeMutablePointer<CChar>?>
    ) -> Errno {
        _ = berth_execveat(dirfd, name, argv, envp, 0)
        return currentErrno()
    }

    /// Executes the file `fd` refers to (execveat with AT_EMPTY_PATH and an empty path),
    /// so the file checked through `fd` is the one that runs.
    public static func execute(
        fd: Int32, argv: UnsafePointer<UnsafeMutablePointer<CChar>?>,
        envp: UnsafePointer<UnsafeMutablePointer<CChar>?>
    ) -> Errno {
        _ = berth_execveat(fd, "", argv, envp, emptyPath)
        return currentErrno()
    }
}
