import BerthSpec
import BerthSystem
import Glibc

/// The container's copy-on-write root: an overlayfs of the rootfs and the layers beneath
/// it (read-only), with the container's upper layer, mounted by the init over the rootfs
/// path in its own mount namespace, where the rootfs bind would otherwise go, and before
/// any config mount. Made with fsopen/fsmount, so the host's mount table never lists it,
/// and it goes with the container's mount namespace.
///
/// The layers are named by path and resolved by the init in its own mount namespace:
/// overlayfs takes private clones of its layers' mounts and accepts only mounts of the
/// caller's namespace (or detached ones it may administer), so descriptors berth opened
/// in the host's namespace before the clone would be refused (EINVAL). As for the rootfs
/// bind, the container's root (in a user namespace) needs search permission on the
/// directories above each layer; the volatile layers' directories are 0711.
struct OverlayRootfs: Sendable {
    /// Read-only layers, top first: the rootfs, then the bundle's lower layers.
    var lowers: [String]
    var upper: String
    var work: String
    /// The layer goes with the container: no syncs (overlayfs's `volatile`).
    var volatile: Bool

    init(_ layer: ContainerLayer) {
        lowers = layer.lowers
        upper = layer.upper
        work = layer.work
        volatile = !layer.kept
    }

    /// Mounts the overlay over `rootfs`. In a user namespace overlayfs keeps its metadata
    /// in `user.overlay.*` xattrs (it may not write `trusted.*` there); the kernel allows
    /// it there from Linux 5.11 on.
    func mount(at rootfs: String, userNamespace: Bool) throws {
        let tree: Int32
        do throws(SyscallError) {
            tree = try Overlay.make(
                lowers: lowers, upper: upper, work: work, userXattr: userNamespace,
                volatile: volatile)
        } catch {
            var hint = ""
            if userNamespace && (error.errno == .notPermitted || error.errno == .permissionDenied) {
                hint = " (overlayfs in a user namespace needs Linux 5.11 or later, and layers the container's root may search and read)"
            }
            throw InitError(
                "\(RootfsLayers.overlayAnnotation): cannot mount the overlay (upper layer \(upper)): \(error)\(hint)",
                errno: error.errno.rawValue)
        }
        defer { Glibc.close(tree) }
        try MountTree.attach(tree, at: rootfs)
    }
}
