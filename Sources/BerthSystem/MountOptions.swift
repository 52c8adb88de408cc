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
    /// Attributes applied to the mount and every mount below it after it is made
    /// (`rro`, `rnosuid`, `rnoatime`...), with mount_setattr(AT_RECURSIVE).
    public var recursive = MountAttributes()
    /// `tmpcopyup`: a tmpfs starts with a copy of what the directory it covers holds.
    public var copyUp = false
    /// `idmap` or `ridmap` was given: the mount is id-mapped.
    public var idmap: IDMapOption?
    /// `bind` or `rbind` was given.
    public var isBind: Bool { flags & UInt(MS_BIND) != 0 }
    /// `rbind`: recursive bind.
    public var isRecursive: Bool { flags & UInt(MS_REC) != 0 }
    /// Options accepted but not applied (`x-` options for other tools), for a debug note.
    public var ignored: [String] = []

    /// How an id-mapped mount applies its mapping.
    public enum IDMapOption: Sendable, Equatable {
        /// `idmap`: the top mount only.
        case top
        /// `ridmap`: the mount and every mount below it.
        case recursive
    }

    public init() {}

    /// Parses an OCI `options` array the way runc does.
    public init(_ options: [String]) {
        for option in options {
            if let f = Self.flagTable.first(where: { $0.name == option }) {
                let flag = f.flag
                if f.set { flags |= flag; clearedFlags &= ~flag } else { flags &= ~flag; clearedFlags |= flag }
            } else if let p = Self.propagation(option) {
                propagation.append(p)
            } else if let r = Self.recursiveTable.first(where: { $0.name == option }) {
                let attr = r.attribute
                if r.set {
                    recursive.attrSet |= attr
                    recursive.attrClear &= ~attr
                    // mount_setattr takes an access-time setting only with the whole
                    // access-time field cleared.
                    if attr & MountAttributes.atimeMask == attr { recursive.attrClear |= MountAttributes.atimeMask }
                } else {
                    recursive.attrClear |= attr
                    recursive.attrSet &= ~attr
                }
            } else if option == "bind" {
                flags |= UInt(MS_BIND)
            } else if option == "rbind" {
                flags |= UInt(MS_BIND) | UInt(MS_REC)
            } else if option == "defaults" {
                continue
            } else if option == "tmpcopyup" {
                copyUp = true
            } else if option == "idmap" {
                idmap = .top
            } else if option == "ridmap" {
                idmap = .recursive
            } else if option.hasPrefix("x-") {
                ignored.append(option)
            } else {
                data.append(option)
            }
        }
    }

    /// Every option name berth interprets itself (the rest are passed to the filesystem).
    public static var knownOptions: [String] {
        (flagTable.map(\.name) + propagationTable.map(\.name) + recursiveTable.map(\.name)
            + ["bind", "rbind", "defaults", "tmpcopyup", "idmap", "ridmap"]).sorted()
    }

    /// The data string for mount(2), or nil when there is none.
    public var dataString: String? { data.isEmpty ? nil : data.joined(separator: ",") }

    /// Flag option names: whether they set or clear, and the mount(2) flag.
    struct FlagOption {
        var name: String
        var set: Bool
        var flag: UInt
        init(_ name: String, _ set: Bool, _ flag: UInt) {
            self.name = name
            self.set = set
            self.flag = flag
        }
    }

    // The option tables are lists searched in order, not dictionaries: a `String`-keyed
    // dictionary built in the init costs it a runtime `String: Hashable` look-up (a scan
    // of every conformance record in the binary); a mount has a handful of options.
    static let flagTable: [FlagOption] = [
        .init("ro", true, UInt(MS_RDONLY)),
        .init("rw", false, UInt(MS_RDONLY)),
        .init("nosuid", true, UInt(MS_NOSUID)),
        .init("suid", false, UInt(MS_NOSUID)),
        .init("nodev", true, UInt(MS_NODEV)),
        .init("dev", false, UInt(MS_NODEV)),
        .init("noexec", true, UInt(MS_NOEXEC)),
        .init("exec", false, UInt(MS_NOEXEC)),
        .init("sync", true, UInt(MS_SYNCHRONOUS)),
        .init("async", false, UInt(MS_SYNCHRONOUS)),
        .init("dirsync", true, UInt(MS_DIRSYNC)),
        .init("remount", true, UInt(MS_REMOUNT)),
        .init("mand", true, UInt(MS_MANDLOCK)),
        .init("nomand", false, UInt(MS_MANDLOCK)),
        .init("noatime", true, UInt(MS_NOATIME)),
        .init("atime", false, UInt(MS_NOATIME)),
        .init("nodiratime", true, UInt(MS_NODIRATIME)),
        .init("diratime", false, UInt(MS_NODIRATIME)),
        .init("relatime", true, UInt(MS_RELATIME)),
        .init("norelatime", false, UInt(MS_RELATIME)),
        .init("strictatime", true, UInt(MS_STRICTATIME)),
        .init("nostrictatime", false, UInt(MS_STRICTATIME)),
        .init("lazytime", true, UInt(MS_LAZYTIME)),
        .init("nolazytime", false, UInt(MS_LAZYTIME)),
        .init("silent", true, UInt(MS_SILENT)),
        .init("loud", false, UInt(MS_SILENT)),
        .init("iversion", true, UInt(MS_I_VERSION)),
        .init("noiversion", false, UInt(MS_I_VERSION)),
        .init("nosymfollow", true, MountTable.noSymfollow),
        .init("symfollow", false, MountTable.noSymfollow),
    ]

    /// A propagation option name and its mount(2) flags.
    public struct PropagationOption: Sendable {
        /// `private`, `rshared`, ...
        public var name: String
        /// MS_PRIVATE and the like, with MS_REC for the recursive forms.
        public var flag: UInt
    }

    /// Propagation option names to mount(2) flags; also used for `linux.rootfsPropagation`.
    public static let propagationTable: [PropagationOption] = [
        .init(name: "private", flag: UInt(MS_PRIVATE)),
        .init(name: "rprivate", flag: UInt(MS_PRIVATE) | UInt(MS_REC)),
        .init(name: "shared", flag: UInt(MS_SHARED)),
        .init(name: "rshared", flag: UInt(MS_SHARED) | UInt(MS_REC)),
        .init(name: "slave", flag: UInt(MS_SLAVE)),
        .init(name: "rslave", flag: UInt(MS_SLAVE) | UInt(MS_REC)),
        .init(name: "unbindable", flag: UInt(MS_UNBINDABLE)),
        .init(name: "runbindable", flag: UInt(MS_UNBINDABLE) | UInt(MS_REC)),
    ]

    /// The flags of a propagation option name, nil for another name.
    public static func propagation(_ name: String) -> UInt? { propagationTable.first { $0.name == name }?.flag }

    /// Recursive attribute options (set or clear, MOUNT_ATTR_*), as runc names them.
    struct RecursiveOption {
        var name: String
        var set: Bool
        var attribute: UInt64
    }

    static let recursiveTable: [RecursiveOption] = [
        .init(name: "rro", set: true, attribute: MountAttributes.readOnly),
        .init(name: "rrw", set: false, attribute: MountAttributes.readOnly),
        .init(name: "rnosuid", set: true, attribute: MountAttributes.noSUID),
        .init(name: "rsuid", set: false, attribute: MountAttributes.noSUID),
        .init(name: "rnodev", set: true, attribute: MountAttributes.noDev),
        .init(name: "rdev", set: false, attribute: MountAttributes.noDev),
        .init(name: "rnoexec", set: true, attribute: MountAttributes.noExec),
        .init(name: "rexec", set: false, attribute: MountAttributes.noExec),
        .init(name: "rnodiratime", set: true, attribute: MountAttributes.noDiratime),
        .init(name: "rdiratime", set: false, attribute: MountAttributes.noDiratime),
        .init(name: "rrelatime", set: true, attribute: MountAttributes.relatime),
        .init(name: "rnorelatime", set: false, attribute: MountAttributes.relatime),
        .init(name: "rnoatime", set: true, attribute: MountAttributes.noAtime),
        .init(name: "ratime", set: false, attribute: MountAttributes.noAtime),
        .init(name: "rstrictatime", set: true, attribute: MountAttributes.strictAtime),
        .init(name: "rnostrictatime", set: false, attribute: MountAttributes.strictAtime),
        .init(name: "rnosymfollow", set: true, attribute: MountAttributes.noSymfollow),
        .init(name: "rsymfollow", set: false, attribute: MountAttributes.noSymfollow),
    ]
}

/// The calling process's mount table (its mount namespace): mount(2), umount2(2),
/// pivot_root(2), and the flags of what is mounted. (The spec's `Mount` is BerthSpec's.)
public enum MountTable {
    /// mount(2); `target` is also the path named in the error.
    public static func mount(
        source: String?, target: String, type: String?, flags: UInt, data: String? = nil,
        errorPath: String? = nil
    ) throws(SyscallError) {
        try sys("mount", errorPath ?? target) { Glibc.mount(source, target, type, flags, data) }
    }

    /// pivot_root(2): `newRoot` becomes the root of the mount namespace, the old root goes
    /// to `putOld` (both "." stacks it on the new one, to be unmounted from there).
    public static func pivotRoot(_ newRoot: String, _ putOld: String) throws(SyscallError) {
        try sys("pivot_root", newRoot) { berth_pivot_root(newRoot, putOld) }
    }

    /// umount2(2).
    public static func unmount(_ target: String, flags: Int32 = 0) throws(SyscallError) {
        try sys("umount", target) { Glibc.umount2(target, flags) }
    }

    /// MS_NOSYMFOLLOW (Linux 5.10+).
    public static let noSymfollow = UInt(BERTH_MS_NOSYMFOLLOW)
    /// The access-time flags that form one setting (the "atime enum").
    public static let atimeEnumFlags = UInt(MS_NOATIME) | UInt(MS_RELATIME) | UInt(MS_STRICTATIME)
    /// Every access-time flag.
    public static let atimeFlags = atimeEnumFlags | UInt(MS_NODIRATIME)
    /// The flags the kernel locks on mounts a less privileged user namespace inherits
    /// (MNT_LOCK_*): such a mount's copies cannot clear them.
    public static let lockableFlags = UInt(MS_RDONLY) | UInt(MS_NODEV) | UInt(MS_NOEXEC) | UInt(MS_NOSUID) | atimeFlags

    /// The MS_* flags of the mount `fd` names, from fstatvfs(2). MS_STRICTATIME is not
    /// stored by the kernel: a mount with none of the other access-time settings is
    /// reported as strictatime.
    public static func flags(ofMount fd: Int32) throws(SyscallError) -> UInt {
        var st = statvfs()
        try sys("statfs", procFDPath(fd)) { fstatvfs(fd, &st) }
        let f = UInt(st.f_flag)
        let table: [(UInt, UInt)] = [
            (UInt(ST_RDONLY), UInt(MS_RDONLY)), (UInt(ST_NOSUID), UInt(MS_NOSUID)),
            (UInt(BERTH_ST_NODEV), UInt(MS_NODEV)), (UInt(BERTH_ST_NOEXEC), UInt(MS_NOEXEC)),
            (UInt(BERTH_ST_NOATIME), UInt(MS_NOATIME)), (UInt(BERTH_ST_NODIRATIME), UInt(MS_NODIRATIME)),
            (UInt(BERTH_ST_RELATIME), UInt(MS_RELATIME)), (UInt(BERTH_ST_NOSYMFOLLOW), noSymfollow),
        ]
        var flags: UInt = 0
        for (st, ms) in table where f & st != 0 { flags |= ms }
        if flags & atimeEnumFlags == 0 { flags |= UInt(MS_STRICTATIME) }
        return flags
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
