import BerthSpec
import BerthSystem
import Glibc

/// The source of a bind mount, opened in the mount namespace the mount is made in.
///
/// A plain source is an O_PATH descriptor: the init clones the tree from it (open_tree)
/// at the mount's turn, so the copy is made in config order and keeps the flags the
/// kernel locked on the source. An id-mapped source is a detached copy that already
/// carries its mapping: mount_setattr(MOUNT_ATTR_IDMAP) works only on a detached mount,
/// and only for a caller privileged over the mapping's user namespace.
enum BindSource {
    static func isBind(_ m: Mount) -> Bool {
        m.type == "bind" || (m.options ?? []).contains(where: { $0 == "bind" || $0 == "rbind" })
    }

    /// `idmap`/`ridmap`, or mappings given: runc makes such a mount id-mapped.
    static func isIDMapped(_ m: Mount) -> Bool {
        m.uidMappings != nil || m.gidMappings != nil
            || (m.options ?? []).contains(where: { $0 == "idmap" || $0 == "ridmap" })
    }

    /// The source's host path; a relative source is relative to the bundle.
    static func path(_ m: Mount, bundle: String) -> String {
        let source = m.source ?? ""
        return source.hasPrefix("/") ? source : bundle + "/" + source
    }

    /// An O_PATH descriptor of the source.
    static func open(_ m: Mount, bundle: String) throws(SyscallError) -> Int32 {
        let source = path(m, bundle: bundle)
        return try sys("stat", source) { Glibc.open(source, O_PATH | O_CLOEXEC) }
    }

    /// A detached copy of the source (`rbind`: with the mounts below it) whose ids are
    /// mapped through `userNamespace` (`ridmap`: on every mount of the copy).
    static func openIDMapped(_ m: Mount, bundle: String, userNamespace: Int32) throws -> Int32 {
        let options = MountOptions(m.options ?? [])
        let source = path(m, bundle: bundle)
        let tree = try MountTree.clone(AT_FDCWD, source, recursive: options.isRecursive)
        do {
            try mapIDs(tree, source: source, recursive: options.idmap == .recursive, userNamespace: userNamespace)
        } catch {
            close(tree)
            throw error
        }
        return tree
    }

    /// Applies the id mapping of `userNamespace` to the detached tree `tree`.
    static func mapIDs(_ tree: Int32, source: String, recursive: Bool, userNamespace: Int32) throws {
        do throws(SyscallError) {
            try MountTree.setAttributes(
                tree, MountAttributes(set: MountAttributes.idmap, userNamespaceFD: userNamespace),
                recursive: recursive, errorPath: source)
        } catch {
            let hint =
                error.errno == .invalidArgument
                ? " (maybe the filesystem used doesn't support idmap mounts on this kernel?)" : ""
            throw InitError(
                "failed to set MOUNT_ATTR_IDMAP on \(source): \(errnoText(error.errno))\(hint)",
                errno: error.errno.rawValue)
        }
    }
}
