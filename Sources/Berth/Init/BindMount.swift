import BerthSpec
import BerthSystem
import Glibc

/// One bind mount of config.json, made at its turn: the tree is cloned from the source
/// (open_tree) only now, so the container's mountinfo, which lists mounts in the order
/// they were made, shows the config's order.
///
/// Flags follow runc: a bind keeps the source's flags unless the options ask for any
/// (mount(8)'s `--bind`); when they do, the mount gets exactly the flags asked for, and
/// where the kernel refuses to clear a flag it locked on the source (a container with a
/// user namespace inherits the host's flags locked), the source's lockable flags are
/// kept, unless the options explicitly clear one of them or ask for another access-time
/// setting: then the bind fails, rather than give a mount other than the one asked for.
struct BindMount {
    let mount: Mount
    let index: Int
    let destination: String
    let ctx: InitContext
    let rooted: RootedPath

    func make() throws {
        let options = MountOptions(mount.options ?? [])
        let given = ctx.mountSources[index]
        let sourcePath = BindSource.path(mount, bundle: ctx.bundle)
        let source = try given ?? BindSource.open(mount, bundle: ctx.bundle)
        // The parent's descriptors are closed with the rest at the end of the set-up.
        defer { if given == nil { close(source) } }
        var st = stat()
        try sys("stat", sourcePath) { fstat(source, &st) }
        let target = try rooted.makeMountPoint(destination, directory: (st.st_mode & S_IFMT) == S_IFDIR)
        defer { close(target) }

        let tree = try makeTree(from: source, sourcePath: sourcePath, options: options, fromParent: given != nil)
        defer { if tree != source { close(tree) } }
        try MountTree.attach(tree, to: target, errorPath: destination)
        // From here on the tree's descriptor names the attached mount.
        try applyFlags(tree, options)
        for p in options.propagation {
            try MountTable.mount(source: nil, target: procFDPath(tree), type: nil, flags: p, errorPath: destination)
        }
        if !options.recursive.isEmpty {
            try MountTree.setAttributes(tree, options.recursive, recursive: true, errorPath: destination)
        }
    }

    /// The detached tree to attach.
    private func makeTree(from source: Int32, sourcePath: String, options: MountOptions, fromParent: Bool) throws -> Int32 {
        let idmapped = BindSource.isIDMapped(mount)
        if idmapped && fromParent {
            // The parent made the mapped copy in this mount namespace. A copy of it made
            // now (Linux 6.15+ clones detached mounts) is listed in order; older kernels
            // refuse, and the parent's copy is attached as it is.
            return (try? MountTree.clone(source, recursive: options.isRecursive)) ?? source
        }
        let tree = try MountTree.clone(source, recursive: options.isRecursive, errorPath: sourcePath)
        if idmapped {
            do {
                guard let userns = ctx.idmapNamespaces[index] else {
                    throw InitError("no user namespace was prepared for the id mapping")
                }
                try BindSource.mapIDs(tree, source: sourcePath, recursive: options.idmap == .recursive, userNamespace: userns)
            } catch {
                close(tree)
                throw error
            }
        }
        return tree
    }

    /// The bind remount that applies the options' flags (see the type's comment).
    private func applyFlags(_ mounted: Int32, _ options: MountOptions) throws(SyscallError) {
        let asked = options.flags & ~(UInt(MS_BIND) | UInt(MS_REC) | UInt(MS_REMOUNT))
        guard asked != 0 || options.clearedFlags != 0 else { return }
        let path = procFDPath(mounted)
        var flags = options.flags | UInt(MS_BIND) | UInt(MS_REMOUNT)
        do throws(SyscallError) {
            try MountTable.mount(source: nil, target: path, type: nil, flags: flags, errorPath: destination)
        } catch {
            let current = try MountTable.flags(ofMount: mounted)
            if current & options.clearedFlags & MountTable.lockableFlags != 0 { throw error }
            // The kernel ignores MS_RELATIME next to MS_NOATIME, and every other setting
            // next to MS_STRICTATIME: an access-time setting asked for must be the
            // source's, or it would silently not be applied.
            let atime = options.flags & MountTable.atimeFlags
            if atime != 0 && atime != current & MountTable.atimeFlags { throw error }
            flags |= current & MountTable.lockableFlags
            try MountTable.mount(source: nil, target: path, type: nil, flags: flags, errorPath: destination)
        }
    }
}
