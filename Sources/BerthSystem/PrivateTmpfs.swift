import CBerth
import Glibc

/// A tmpfs mounted nowhere (fsopen/fsmount): reachable only through the descriptor of its
/// root, so what berth puts there no process of a container can see or change.
public enum PrivateTmpfs {
    /// Makes one with root directory mode `mode` (octal text, as the tmpfs option) and
    /// returns the close-on-exec descriptor of its root.
    public static func make(mode: String) throws(SyscallError) -> Int32 {
        let context = try sys("fsopen", "tmpfs") { berth_fsopen("tmpfs", UInt32(BERTH_FSOPEN_CLOEXEC)) }
        defer { close(context) }
        try sys("fsconfig", "tmpfs mode") { berth_fsconfig(context, UInt32(BERTH_FSCONFIG_SET_STRING), "mode", mode, 0) }
        try sys("fsconfig", "tmpfs") { berth_fsconfig(context, UInt32(BERTH_FSCONFIG_CMD_CREATE), nil, nil, 0) }
        return try sys("fsmount", "tmpfs") { berth_fsmount(context, UInt32(BERTH_FSMOUNT_CLOEXEC), 0) }
    }
}
