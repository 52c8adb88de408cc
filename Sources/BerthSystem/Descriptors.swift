import CBerth
import Glibc

/// The descriptor table of a process cloned from berth: it starts with everything the
/// caller of berth had open (a log file, a pipe it waits on for end of file), and only
/// what berth itself needs, plus what the container is given, may stay.
public enum Descriptors {
    /// close_range(2) flag: mark close-on-exec instead of closing.
    public static let closeRangeCloexec = UInt32(BERTH_CLOSE_RANGE_CLOEXEC)

    /// Closes every descriptor except those in `keep`: one close_range(2) per gap
    /// between kept descriptors. Negative entries in `keep` are ignored. On a kernel
    /// without close_range (before 5.9) the open descriptors are listed in /proc/self/fd.
    public static func closeAll(except keep: [Int32]) {
        // Sorted, duplicates skipped below: no Set to build on this path (the init takes it
        // between clone and exec).
        let kept = keep.filter { $0 >= 0 }.sorted()
        var first: UInt32 = 0
        for fd in kept {
            let fd = UInt32(fd)
            if fd < first { continue }
            if fd > first && !closeRange(first, fd - 1) { return closeListed(except: Set(kept)) }
            first = fd + 1
        }
        if !closeRange(first, UInt32.max) { closeListed(except: Set(kept)) }
    }

    /// The first descriptor of `count` from `first` on that is not open in this process
    /// (a number beyond what a descriptor can be counts as not open), or nil. Stops at
    /// the first gap, so a huge count costs as many fcntl(2) calls as there are open ones.
    public static func firstClosed(from first: Int, count: Int) -> Int? {
        var i = 0
        while i < count {
            let fd = first + i
            guard fd >= 0, fd <= Int(Int32.max), fcntl(Int32(fd), F_GETFD) != -1 else { return fd }
            i += 1
        }
        return nil
    }

    /// Marks every descriptor from `first` on close-on-exec.
    public static func markCloseOnExec(from first: Int32) {
        _ = berth_close_range(UInt32(first), UInt32.max, closeRangeCloexec)
    }

    private static func closeRange(_ first: UInt32, _ last: UInt32) -> Bool {
        berth_close_range(first, last, 0) == 0 || currentErrno() != .noFunction
    }

    private static func closeListed(except kept: Set<Int32>) {
        guard let names = try? FileIO.list("/proc/self/fd") else { return }
        for name in names {
            if let fd = Int32(name), !kept.contains(fd) { close(fd) }
        }
    }
}
