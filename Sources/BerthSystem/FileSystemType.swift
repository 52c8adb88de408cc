import CBerth

/// The filesystem a descriptor is on, by fstatfs(2)'s magic number.
public enum FileSystemType {
    /// PROC_SUPER_MAGIC.
    public static let proc = Int(BERTH_PROC_SUPER_MAGIC)
    /// TMPFS_MAGIC.
    public static let tmpfs = Int(BERTH_TMPFS_MAGIC)
    /// OVERLAYFS_SUPER_MAGIC.
    public static let overlay = Int(BERTH_OVERLAYFS_SUPER_MAGIC)

    /// The magic number of the filesystem `fd` is on, or nil when fstatfs fails.
    public static func of(_ fd: Int32) -> Int? {
        let type = berth_fstatfs_type(fd)
        return type == -1 ? nil : type
    }

    /// True when `fd` is on procfs.
    public static func isProc(_ fd: Int32) -> Bool { of(fd) == proc }
}
