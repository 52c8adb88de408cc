import BerthSpec
import BerthSystem
import CBerth
import Glibc

/// The source of a bind mount as a detached copy of its tree (open_tree with
/// OPEN_TREE_CLONE), which move_mount attaches across mount and user namespaces where a
/// classic bind mount from an inherited path or fd does not.
enum BindSource {
    static func isBind(_ m: BerthSpec.Mount) -> Bool {
        m.type == "bind" || (m.options ?? []).contains(where: { $0 == "bind" || $0 == "rbind" })
    }

    /// Clones the source tree. The parent does this with the host's privileges; a
    /// non-root parent cannot (it needs CAP_SYS_ADMIN over the host's mount namespace),
    /// so then the init does it inside its own user and mount namespaces.
    static func open(_ m: BerthSpec.Mount, bundle: String) throws(SyscallError) -> Int32 {
        var source = m.source ?? ""
        if !source.hasPrefix("/") { source = bundle + "/" + source }
        let recursive = (m.options ?? []).contains("rbind")
        let fd = berth_open_tree(AT_FDCWD, source, 1 /* OPEN_TREE_CLONE */ | UInt32(O_CLOEXEC)
                                 | (recursive ? 0x8000 /* AT_RECURSIVE */ : 0))
        guard fd >= 0 else { throw SyscallError("stat", source, errno: currentErrno()) }
        return fd
    }
}
