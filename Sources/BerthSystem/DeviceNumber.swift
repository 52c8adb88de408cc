import CBerth
import Glibc

/// Device numbers (dev_t), as mknod(2) takes them.
public enum DeviceNumber {
    /// makedev(major, minor); numbers beyond 32 bits are truncated, as the kernel would.
    public static func make(major: Int64, minor: Int64) -> dev_t {
        berth_makedev(UInt32(truncatingIfNeeded: major), UInt32(truncatingIfNeeded: minor))
    }

    /// major(dev), as glibc encodes dev_t.
    public static func major(_ dev: dev_t) -> UInt32 {
        UInt32(truncatingIfNeeded: ((UInt64(dev) >> 8) & 0xfff) | ((UInt64(dev) >> 32) & ~UInt64(0xfff)))
    }

    /// minor(dev), as glibc encodes dev_t.
    public static func minor(_ dev: dev_t) -> UInt32 {
        UInt32(truncatingIfNeeded: (UInt64(dev) & 0xff) | ((UInt64(dev) >> 12) & ~UInt64(0xff)))
    }
}
