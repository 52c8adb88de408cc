import Glibc

/// Marks what the set-up creates inside a rootfs whose writable layer is an overlayfs
/// upper layer, where it would otherwise look like the container's own changes: the
/// mount points made for /proc, /dev, config mounts and the init layer's files (overlayfs
/// creates them in the upper layer when the lower layers lack them), their missing
/// parents, and device nodes made outside a /dev mount.
///
/// Each new entry gets the xattr `attribute` (empty value), and the directory it was made
/// in keeps its times (creating an entry changes them, and a directory copied up only for
/// that would otherwise count as changed). `diff` and `commit` leave a marked entry out
/// while it is as berth made it.
public final class CreationMarker {
    /// `trusted.berth.mountpoint`, or `user.berth.mountpoint` where the overlay is mounted
    /// in a user namespace (trusted.* needs CAP_SYS_ADMIN in the initial one).
    public let attribute: String

    /// The names of the mark, in either namespace.
    public static let attributes = ["trusted.berth.mountpoint", "user.berth.mountpoint"]

    public init(userNamespace: Bool) {
        attribute = userNamespace ? Self.attributes[1] : Self.attributes[0]
    }

    /// Runs `make`, which creates `name` in the directory `parent` (a descriptor, O_PATH
    /// will do) and returns -1 on failure; marks what it made and puts the directory's
    /// times back. Returns what `make` returned. Marking is best effort: a device node or a
    /// symlink cannot take a `user.` xattr.
    public func create(in parent: Int32, _ name: String, _ make: () -> Int32) -> Int32 {
        var before = stat()
        let haveTimes = fstat(parent, &before) == 0
        let result = make()
        guard result >= 0 else { return result }
        let saved = Glibc.errno
        let path = procFDPath(parent) + "/" + name
        try? ExtendedAttributes.set(path, attribute, [])
        if haveTimes { restoreTimes(procFDPath(parent), before) }
        Glibc.errno = saved
        return result
    }

    /// Marks the file or directory the open descriptor `fd` names (made through a path the
    /// caller resolved, e.g. the target of a dangling symlink).
    public func mark(_ fd: Int32) {
        // Through the magic link, followed.
        try? ExtendedAttributes.set(procFDPath(fd), attribute, [], follow: true)
    }

    /// Sets the access and modification times of `path` to those in `st`.
    public func restoreTimes(_ path: String, _ st: stat) {
        var times = [st.st_atim, st.st_mtim]
        _ = utimensat(AT_FDCWD, path, &times, 0)
    }
}
