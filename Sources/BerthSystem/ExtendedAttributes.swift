import CBerth
import Glibc

/// Extended attributes (xattr(7)) on open files and directories.
public enum ExtendedAttributes {
    /// Sets `name` on the file open as `fd` to `value` (one syscall, atomic for readers).
    public static func set(_ fd: Int32, _ name: String, _ value: [UInt8]) throws(SyscallError) {
        _ = try sys("fsetxattr", name) {
            value.withUnsafeBytes { Int(berth_fsetxattr(fd, name, $0.baseAddress, $0.count, 0)) }
        }
    }

    /// The value of `name` on `path` (symlinks not followed), nil when the file has no
    /// such attribute or the filesystem keeps none.
    public static func get(_ path: String, _ name: String) throws(SyscallError) -> [UInt8]? {
        var size = 512
        while true {
            var buffer = [UInt8](repeating: 0, count: size)
            let n = buffer.withUnsafeMutableBytes { berth_lgetxattr(path, name, $0.baseAddress, $0.count) }
            if n >= 0 { return Array(buffer[0..<n]) }
            let e = currentErrno()
            switch e {
            case .interrupted: continue
            case .outOfRange:
                // Larger than the buffer: ask for the size, then read again.
                let needed = berth_lgetxattr(path, name, nil, 0)
                guard needed > 0 else { throw SyscallError("getxattr", path, errno: currentErrno()) }
                size = needed
            case .noData, .notSupported: return nil
            default: throw SyscallError("getxattr", path, errno: e)
            }
        }
    }

    /// The filesystem keeps no extended attributes (of this namespace), or not this large.
    public static func isUnsupported(_ error: SyscallError) -> Bool {
        [.notSupported, .argListTooLong, .outOfRange, .notPermitted].contains(error.errno)
    }

    /// The attribute names of `path` (`follow: false`: of a final symlink itself), in the
    /// order the filesystem lists them; none where the filesystem keeps no xattrs.
    public static func names(_ path: String, follow: Bool = false) throws(SyscallError) -> [String] {
        while true {
            let size = berth_listxattr(path, nil, 0, follow ? 1 : 0)
            if size < 0 {
                let e = currentErrno()
                if e == .notSupported { return [] }
                throw SyscallError("listxattr", path, errno: e)
            }
            if size == 0 { return [] }
            var buffer = [CChar](repeating: 0, count: size)
            let n = berth_listxattr(path, &buffer, size, follow ? 1 : 0)
            if n < 0 {
                // Grown since the size was asked for: ask again.
                if currentErrno() == .outOfRange { continue }
                throw SyscallError("listxattr", path, errno: currentErrno())
            }
            return buffer[0..<n].split(separator: 0).map {
                String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
    }

    /// Sets `name` on `path` to `value`; `follow: true` follows a final symlink (as for
    /// `/proc/self/fd/N`), `false` acts on the symlink itself.
    public static func set(_ path: String, _ name: String, _ value: [UInt8], follow: Bool = false) throws(SyscallError) {
        try sys("setxattr", path + " " + name) { berth_setxattr(path, name, value, value.count, follow ? 1 : 0) }
    }
}
