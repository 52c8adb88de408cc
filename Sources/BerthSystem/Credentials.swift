import CBerth
import Glibc

/// The calling process's user and group ids: real, effective and saved set together, so
/// nothing can switch back.
public enum Credentials {
    /// The effective user is root (in this process's user namespace).
    public static var isRoot: Bool { geteuid() == 0 }

    /// setresgid(gid, gid, gid).
    public static func setGroup(_ gid: UInt32) throws(SyscallError) {
        try sys("setresgid", "gid \(gid)") { berth_setresgid(gid, gid, gid) }
    }

    /// setresuid(uid, uid, uid).
    public static func setUser(_ uid: UInt32) throws(SyscallError) {
        try sys("setresuid", "uid \(uid)") { berth_setresuid(uid, uid, uid) }
    }
}
