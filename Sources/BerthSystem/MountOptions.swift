import CBerth
import Glibc

/// The flags, propagation and data that an OCI mount's `options` list turns into.
public struct MountOptions: Sendable, Equatable {
    /// Flags for the mount(2) call itself.
    public var flags: UInt = 0
    /// Flags that must be cleared (`rw` after `ro`, `suid`, `dev`, `exec`...).
    public var clearedFlags: UInt = 0
    /// Propagation changes, applied with separate mount(2) calls after the mount.
    public var propagation: [UInt] = []
    /// Filesystem-specific options, joined with commas.
    public var data: [String] = []
    /// `bind` or `rbind` was given.
    public var isBind: Bool { flags & UInt(MS_BIND) != 0 }
    /// `rbind`: recursive bind.
    public var isRecursive: Bool { flags & UInt(MS_REC) != 0 }
    /// Options accepted but not applied (`tmpcopyup`, `idmap`...), for a debug note.
    public var ignored: [String] = []

    public init() {}

    /// Parses an OCI `options` array the way runc does.
    public init(_ options: [String]) {
        for option in options {
            if let (set, flag) = Self.flagTable[option] {
                if set { flags |= flag; clearedFlags &= ~flag } else { flags &= ~flag; clearedFlags |= flag }
            } else if let p = Self.propagationTable[option] {
                propagation.append(p)
            } else if option == "bind" {
                flags |= UInt(MS_BIND)
            } else if option == "rbind" {
                flags |= UInt(MS_BIND) | UInt(MS_REC)
            } else if option == "tmpcopyup" || option == "idmap" || option == "ridmap"
                        || option.hasPrefix("x-") {
                ignored.append(option)
            } else {
                data.append(option)
            }
        }
    }

    /// Every option name berth interprets itself (the rest are passed to the filesystem).
    public static var knownOptions: [String] {
        (Array(flagTable.keys) + Array(propagationTable.keys) + ["bind", "rbind"]).sorted()
    }

    /// The data string for mount(2), or nil when there is none.
    public var dataString: String? { data.isEmpty ? nil : data.joined(separator: ",") }

    static let flagTable: [String: (Bool, UInt)] = [
        "ro": (true, UInt(MS_RDONLY)), "rw": (false, UInt(MS_RDONLY)),
        "nosuid": (true, UInt(MS_NOSUID)), "suid": (false, UInt(MS_NOSUID)),
        "nodev": (true, UInt(MS_NODEV)), "dev": (false, UInt(MS_NODEV)),
        "noexec": (true, UInt(MS_NOEXEC)), "exec": (false, UInt(MS_NOEXEC)),
        "sync": (true, UInt(MS_SYNCHRONOUS)), "async": (false, UInt(MS_SYNCHRONOUS)),
        "dirsync": (true, UInt(MS_DIRSYNC)),
        "remount": (true, UInt(MS_REMOUNT)),
        "mand": (true, UInt(MS_MANDLOCK)), "nomand": (false, UInt(MS_MANDLOCK)),
        "noatime": (true, UInt(MS_NOATIME)), "atime": (false, UInt(MS_NOATIME)),
        "nodiratime": (true, UInt(MS_NODIRATIME)), "diratime": (false, UInt(MS_NODIRATIME)),
        "relatime": (true, UInt(MS_RELATIME)), "norelatime": (false, UInt(MS_RELATIME)),
        "strictatime": (true, UInt(MS_STRICTATIME)), "nostrictatime": (false, UInt(MS_STRICTATIME)),
        "lazytime": (true, UInt(MS_LAZYTIME)), "nolazytime": (false, UInt(MS_LAZYTIME)),
        "silent": (true, UInt(MS_SILENT)), "loud": (false, UInt(MS_SILENT)),
    ]

    /// Propagation option names to mount(2) flags; also used for `linux.rootfsPropagation`.
    public static let propagationTable: [String: UInt] = [
        "private": UInt(MS_PRIVATE), "rprivate": UInt(MS_PRIVATE) | UInt(MS_REC),
        "shared": UInt(MS_SHARED), "rshared": UInt(MS_SHARED) | UInt(MS_REC),
        "slave": UInt(MS_SLAVE), "rslave": UInt(MS_SLAVE) | UInt(MS_REC),
        "unbindable": UInt(MS_UNBINDABLE), "runbindable": UInt(MS_UNBINDABLE) | UInt(MS_REC),
    ]
}

/// mount(2) and umount2(2) with typed errors.
public enum Mount {
    /// mount(2); `target` is also the path named in the error.
    public static func mount(
        source: String?, target: String, type: String?, flags: UInt, data: String? = nil,
        errorPath: String? = nil
    ) throws(SyscallError) {
        try sys("mount", errorPath ?? target) { Glibc.mount(source, target, type, flags, data) }
    }

    /// umount2(2).
    public static func unmount(_ target: String, flags: Int32 = 0) throws(SyscallError) {
        try sys("umount", target) { Glibc.umount2(target, flags) }
    }

    /// The MS_* flags a mounted filesystem already carries that a bind remount must keep
    /// (the kernel refuses to clear locked flags such as nodev inside a user namespace).
    public static func lockedFlags(of path: String) -> UInt {
        var st = statvfs()
        guard statvfs(path, &st) == 0 else { return 0 }
        var flags: UInt = 0
        let f = UInt(st.f_flag)
        if f & UInt(ST_NOSUID) != 0 { flags |= UInt(MS_NOSUID) }
        if f & UInt(BERTH_ST_NODEV) != 0 { flags |= UInt(MS_NODEV) }
        if f & UInt(BERTH_ST_NOEXEC) != 0 { flags |= UInt(MS_NOEXEC) }
        if f & UInt(ST_RDONLY) != 0 { flags |= UInt(MS_RDONLY) }
        if f & UInt(BERTH_ST_NOATIME) != 0 { flags |= UInt(MS_NOATIME) }
        if f & UInt(BERTH_ST_NODIRATIME) != 0 { flags |= UInt(MS_NODIRATIME) }
        if f & UInt(BERTH_ST_RELATIME) != 0 { flags |= UInt(MS_RELATIME) }
        return flags
    }
}
