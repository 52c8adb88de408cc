import BerthSpec
import BerthSystem
import Glibc

/// Time namespaces take their offsets before any process enters them, so the init
/// unshares one (which applies to children), writes the offsets, then enters it itself
/// through `/proc/self/ns/time_for_children`.
enum TimeNamespace {
    static func enter(offsets: [String: LinuxTimeOffset]) throws {
        try unshareNamespaces(Namespace.time.cloneFlag)
        var lines = ""
        for (clock, offset) in offsets.sorted(by: { $0.key < $1.key }) {
            guard clock == "monotonic" || clock == "boottime" else {
                throw InitError.spec("linux.timeOffsets: unknown clock \"\(clock)\"")
            }
            lines += "\(clock) \(offset.secs ?? 0) \(offset.nanosecs ?? 0)\n"
        }
        if !lines.isEmpty {
            try FileIO.write("/proc/self/timens_offsets", Array(lines.utf8))
        }
        try Namespace.time.join(path: "/proc/self/ns/time_for_children")
    }
}
