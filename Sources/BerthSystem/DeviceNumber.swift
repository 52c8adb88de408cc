import CBerth
import Glibc

/// Device numbers (dev_t), as mknod(2) takes them.
public enum DeviceNumber {
    /// makedev(major, minor); numbers beyond 32 bits are truncated, as the kernel would.
    public static func make(major: Int64, minor: Int64) -> dev_t {
        berth_makedev(UInt32(truncatingIfNeeded: major), UInt32(truncatingIfNeeded: minor))
    }
}
