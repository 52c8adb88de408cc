import CBerth
import Glibc

/// Mounts as descriptors, through the new mount API: a tree cloned with open_tree(2) is
/// detached (in no mount namespace's tree) until move_mount(2) attaches it, and its
/// attributes are changed with mount_setattr(2), on the tree or recursively.
public enum MountTree {
    static let emptyPath = UInt32(BERTH_AT_EMPTY_PATH)
    static let recursiveFlag = UInt32(BERTH_AT_RECURSIVE)

    /// A detached copy (OPEN_TREE_CLONE) of the mount at `path` relative to `dirfd`, or of
    /// the mount `dirfd` itself names when `path` is empty. `recursive` copies the mounts
    /// below it too (rbind). The copy keeps the source's per-mount flags, the locks on
    /// them and its id mapping. Close-on-exec.
    public static func clone(
        _ dirfd: Int32 = AT_FDCWD, _ path: String = "", recursive: Bool,
        errorPath: String? = nil
    ) throws(SyscallError) -> Int32 {
        var flags = UInt32(BERTH_OPEN_TREE_CLONE) | UInt32(O_CLOEXEC)
        if path.isEmpty { flags |= emptyPath }
        if recursive { flags |= recursiveFlag }
        return try sys("open_tree", errorPath ?? path) { berth_open_tree(dirfd, path, flags) }
    }

    /// Attaches the detached tree `tree` on top of the object the descriptor `target`
    /// names (move_mount with both paths empty).
    public static func attach(_ tree: Int32, to target: Int32, errorPath: String) throws(SyscallError) {
        let flags = UInt32(BERTH_MOVE_MOUNT_F_EMPTY_PATH) | UInt32(BERTH_MOVE_MOUNT_T_EMPTY_PATH)
        try sys("move_mount", errorPath) { berth_move_mount(tree, "", target, "", flags) }
    }

    /// Attaches the detached tree `tree` at `path` (move_mount to a path).
    public static func attach(_ tree: Int32, at path: String) throws(SyscallError) {
        try sys("move_mount", path) {
            berth_move_mount(tree, "", AT_FDCWD, path, UInt32(BERTH_MOVE_MOUNT_F_EMPTY_PATH))
        }
    }

    /// A new filesystem of `type` (fsopen, fsconfig, fsmount) that is in no mount
    /// namespace's tree until attached; `options` are its string parameters in order
    /// (`mode=0755`). Returns the mount's descriptor, close-on-exec.
    public static func newFilesystem(_ type: String, options: [(key: String, value: String)] = [])
        throws(SyscallError) -> Int32
    {
        let context = try sys("fsopen", type) { berth_fsopen(type, UInt32(BERTH_FSOPEN_CLOEXEC)) }
        defer { close(context) }
        for (key, value) in options {
            try sys("fsconfig", "\(type) \(key)=\(value)") {
                berth_fsconfig(context, UInt32(BERTH_FSCONFIG_SET_STRING), key, value, 0)
            }
        }
        try sys("fsconfig", type) { berth_fsconfig(context, UInt32(BERTH_FSCONFIG_CMD_CREATE), nil, nil, 0) }
        return try sys("fsmount", type) { berth_fsmount(context, UInt32(BERTH_FSMOUNT_CLOEXEC), 0) }
    }

    /// mount_setattr(2) on the mount `fd` names; `recursive` applies the change to every
    /// mount below it as well (AT_RECURSIVE).
    public static func setAttributes(
        _ fd: Int32, _ attributes: MountAttributes, recursive: Bool,
        errorPath: String
    ) throws(SyscallError) {
        let flags = emptyPath | (recursive ? recursiveFlag : 0)
        let userns = attributes.userNamespaceFD >= 0 ? UInt64(attributes.userNamespaceFD) : 0
        try sys("mount_setattr", errorPath) {
            berth_mount_setattr(fd, "", flags, attributes.attrSet, attributes.attrClear, attributes.propagation, userns)
        }
    }
}

/// What mount_setattr(2) changes: attributes to set and to clear (MOUNT_ATTR_*), a
/// propagation type, and for an id-mapped mount the user namespace whose mappings apply.
public struct MountAttributes: Sendable, Equatable {
    public var attrSet: UInt64 = 0
    public var attrClear: UInt64 = 0
    public var propagation: UInt64 = 0
    /// A user namespace descriptor for `idmap`, or -1.
    public var userNamespaceFD: Int32 = -1

    public init(set: UInt64 = 0, clear: UInt64 = 0, propagation: UInt64 = 0, userNamespaceFD: Int32 = -1) {
        self.attrSet = set
        self.attrClear = clear
        self.propagation = propagation
        self.userNamespaceFD = userNamespaceFD
    }

    public var isEmpty: Bool { attrSet == 0 && attrClear == 0 && propagation == 0 }

    public static let readOnly = UInt64(BERTH_MOUNT_ATTR_RDONLY)
    public static let noSUID = UInt64(BERTH_MOUNT_ATTR_NOSUID)
    public static let noDev = UInt64(BERTH_MOUNT_ATTR_NODEV)
    public static let noExec = UInt64(BERTH_MOUNT_ATTR_NOEXEC)
    /// The access-time setting is one value in these bits: clear them all to set one.
    public static let atimeMask = UInt64(BERTH_MOUNT_ATTR__ATIME)
    public static let relatime = UInt64(BERTH_MOUNT_ATTR_RELATIME)
    public static let noAtime = UInt64(BERTH_MOUNT_ATTR_NOATIME)
    public static let strictAtime = UInt64(BERTH_MOUNT_ATTR_STRICTATIME)
    public static let noDiratime = UInt64(BERTH_MOUNT_ATTR_NODIRATIME)
    public static let idmap = UInt64(BERTH_MOUNT_ATTR_IDMAP)
    public static let noSymfollow = UInt64(BERTH_MOUNT_ATTR_NOSYMFOLLOW)

    /// The per-mount MS_* flags among `flags` as attributes to set: what a bind remount
    /// with `flags` would add to a mount (its other flags, the locked ones included, stay
    /// as they are with mount_setattr, as the remount keeps them by repeating them).
    public init(setting flags: UInt) {
        self.init()
        let table: [(UInt, UInt64)] = [
            (UInt(MS_RDONLY), Self.readOnly), (UInt(MS_NOSUID), Self.noSUID), (UInt(MS_NODEV), Self.noDev),
            (UInt(MS_NOEXEC), Self.noExec), (UInt(MS_NODIRATIME), Self.noDiratime), (UInt(BERTH_MS_NOSYMFOLLOW), Self.noSymfollow),
        ]
        for (flag, attr) in table where flags & flag != 0 { attrSet |= attr }
        let atime: [(UInt, UInt64)] = [
            (UInt(MS_NOATIME), Self.noAtime), (UInt(MS_STRICTATIME), Self.strictAtime),
            (UInt(MS_RELATIME), Self.relatime),
        ]
        if let (_, attr) = atime.first(where: { flags & $0.0 != 0 }) {
            attrSet |= attr
            attrClear |= Self.atimeMask
        }
    }
}
