import BerthSystem
import Glibc

/// The name an exec'd process gets: the last component of the path it ran, as runc gives
/// it (`sh` for busybox's `/bin/sh` link), while what runs is still the file berth
/// checked, through its descriptor.
///
/// The kernel names a process after the last component of the filename execve(2) is
/// given. Executing the checked descriptor (execveat with AT_EMPTY_PATH) names it after
/// the file itself since Linux 6.14 (`busybox`), after the descriptor's number before.
/// So the descriptor is executed under a name: a symlink called `sh`, in a tmpfs that is
/// mounted nowhere (only this process can reach it), that points to
/// `/proc/self/fd/<checked>`. The lookup of that link ends at the checked file whatever
/// the container's processes do to `/bin/sh` meanwhile: it only crosses the container's
/// /proc, which must be a procfs mount (a mount point cannot be renamed or replaced
/// without mount privileges over the container).
struct ExecName {
    /// The private directory the link is in.
    let directory: Int32
    /// The link's name.
    let name: String

    /// The private directory, made while the child may still mount (before its
    /// capabilities are dropped); -1 when the kernel refuses it.
    static func makeDirectory() -> Int32 {
        // World-writable (and sticky) so the link can be made after the switch to the
        // process's user; no other process can reach this tmpfs.
        (try? MountTree.newFilesystem("tmpfs", options: [("mode", "1777")])) ?? -1
    }

    /// A link to `fd` named after the last component of `path`, in `directory`; nil when
    /// the container's /proc cannot carry it (not mounted, not procfs, of another pid
    /// namespace), and the process is then executed through `fd` directly.
    static func link(to fd: Int32, named path: String, in directory: Int32) -> ExecName? {
        guard directory >= 0, fd >= 0, let last = path.split(separator: "/").last, last != ".", last != ".." else { return nil }
        // /proc itself, not a symlink to somewhere the container controls.
        let proc = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard proc >= 0 else { return nil }
        defer { close(proc) }
        guard FileSystemType.isProc(proc) else { return nil }
        let target = "/proc/self/fd/\(fd)"
        var linked = stat()
        var checked = stat()
        guard stat(target, &linked) == 0, fstat(fd, &checked) == 0,
            linked.st_dev == checked.st_dev, linked.st_ino == checked.st_ino
        else { return nil }
        guard symlinkat(target, directory, String(last)) == 0 else { return nil }
        return ExecName(directory: directory, name: String(last))
    }
}
