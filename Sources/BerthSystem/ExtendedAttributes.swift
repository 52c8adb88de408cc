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
}
