import BerthSystem
import Glibc

/// The mount berth makes on the host for a container without a mount namespace of its
/// own (runc allows that: the container's mounts are then made in the host's mount
/// namespace, and it is chroot'ed into its rootfs).
///
/// Before the clone the parent binds the rootfs onto itself and makes that mount private,
/// so every mount of the container hangs below one mount of berth's, none of them
/// propagates to the rootfs's peers, and the host's own mounts keep their propagation.
/// `delete` (and a create that fails) detaches it with everything below it, provided the
/// mount found on the rootfs is still the one berth made (its id is recorded); a mount the
/// user had on the rootfs before stays, under it.
struct HostRootfsMount: Codable, Sendable, Equatable {
    var path: String
    var mountID: Int

    static func bind(_ rootfs: String) throws(BerthError) -> HostRootfsMount {
        do throws(SyscallError) {
            try MountTable.mount(source: rootfs, target: rootfs, type: nil, flags: UInt(MS_BIND) | UInt(MS_REC))
        } catch { throw BerthError.system("bind the rootfs (no mount namespace)", error) }
        guard let id = MountTable.id(of: rootfs) else {
            _ = umount2(rootfs, Int32(MNT_DETACH))
            throw BerthError(.system, "bind the rootfs (no mount namespace): cannot read the id of the mount on \(rootfs)")
        }
        let made = HostRootfsMount(path: rootfs, mountID: id)
        do throws(SyscallError) {
            try MountTable.mount(source: nil, target: rootfs, type: nil, flags: UInt(MS_PRIVATE) | UInt(MS_REC))
        } catch {
            made.detach()
            throw BerthError.system("bind the rootfs (no mount namespace)", error)
        }
        return made
    }

    /// Detaches the mount and everything below it, if it is still the top one on `path`.
    func detach() {
        guard MountTable.id(of: path) == mountID else { return }
        _ = umount2(path, Int32(MNT_DETACH))
    }
}
