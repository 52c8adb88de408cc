import CBerth
import Glibc

/// Extended attributes of a path. `follow: false` (the default) acts on a final symlink
/// itself (the l*xattr calls); `true` follows it, as for `/proc/self/fd/N`.
public enum ExtendedAttributes {
    /// The value of `name`, or nil when the path has no such attribute (or none at all).
    public static func get(_ path: String, _ name: String, follow: Bool = false) -> [UInt8]? {
        var size = berth_getxattr(path, name, nil, 0, follow ? 1 : 0)
        while size >= 0 {
            var value = [UInt8](repeating: 0, count: max(size, 1))
            let n = berth_getxattr(path, name, &value, value.count, follow ? 1 : 0)
            if n >= 0 { return Array(value.prefix(n)) }
            guard currentErrno() == .outOfRange else { return nil }
            size = berth_getxattr(path, name, nil, 0, follow ? 1 : 0)
        }
        return nil
    }

    /// The attribute names of `path`, in the order the filesystem lists them; none where
    /// the filesystem has no xattrs.
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
                if currentErrno() == .outOfRange { continue }
                throw SyscallError("listxattr", path, errno: currentErrno())
            }
            return buffer[0..<n].split(separator: 0).map {
                String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
    }

    /// Sets `name` to `value`.
    public static func set(_ path: String, _ name: String, _ value: [UInt8], follow: Bool = false) throws(SyscallError) {
        try sys("setxattr", path + " " + name) { berth_setxattr(path, name, value, value.count, follow ? 1 : 0) }
    }
}
