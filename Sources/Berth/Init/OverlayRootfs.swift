import BerthSpec
import BerthSystem
import Glibc

/// The container's copy-on-write root: an overlayfs of the rootfs and the layers beneath
/// it (read-only), with the container's upper layer, mounted by the init over the rootfs
/// path in its own mount namespace, where the rootfs bind would otherwise go, and before
/// any config mount. Made with fsopen/fsmount, so the host's mount table never lists it,
/// and it goes with the container's mount namespace.
///
/// The layers arrive as O_PATH descriptors berth opened before the clone and are named
/// to overlayfs as `/proc/self/fd/N`: in a user namespace the container's root then needs
/// no search permission on the directories above them (a state root or a caller's
/// directory of mode 0700), only what overlayfs itself checks on the layers.
struct OverlayRootfs {
    /// Read-only layers, top first: the rootfs, then the bundle's lower layers.
    var lowers: [Int32]
    var upper: Int32
    var work: Int32
    /// The upper directory's host path, for messages.
    var upperPath: String

    var descriptors: [Int32] { lowers + [upper, work] }

    /// Opens the layers of `layer` (close-on-exec O_PATH descriptors, inherited by the
    /// clone); `close()` them in both processes once done.
    static func open(_ layer: ContainerLayer) throws(BerthError) -> OverlayRootfs {
        var opened: [Int32] = []
        for path in layer.lowers + [layer.upper, layer.work] {
            let fd = Glibc.open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else {
                let e = currentErrno()
                for fd in opened { Glibc.close(fd) }
                throw BerthError.system("open layer", SyscallError("open", path, errno: e))
            }
            opened.append(fd)
        }
        return OverlayRootfs(lowers: Array(opened.dropLast(2)), upper: opened[opened.count - 2],
                             work: opened[opened.count - 1], upperPath: layer.upper)
    }

    func close() {
        for fd in descriptors { Glibc.close(fd) }
    }

    /// Mounts the overlay over `rootfs`. In a user namespace overlayfs keeps its metadata
    /// in `user.overlay.*` xattrs (it may not write `trusted.*` there); the kernel allows
    /// it there from Linux 5.11 on.
    func mount(at rootfs: String, userNamespace: Bool) throws {
        let tree: Int32
        do throws(SyscallError) {
            tree = try Overlay.make(lowers: lowers.map(procFDPath), upper: procFDPath(upper), work: procFDPath(work),
                                    userXattr: userNamespace)
        } catch {
            var hint = ""
            if userNamespace && (error.errno == .notPermitted || error.errno == .permissionDenied) {
                hint = " (overlayfs in a user namespace needs Linux 5.11 or later, and layers the container's root may use)"
            }
            throw InitError("\(RootfsLayers.overlayAnnotation): cannot mount the overlay (upper layer \(upperPath)): \(error)\(hint)",
                            errno: error.errno.rawValue)
        }
        defer { Glibc.close(tree) }
        try MountTree.attach(tree, at: rootfs)
        close()
    }
}
