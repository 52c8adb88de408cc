import BerthSpec
import BerthSystem

/// Writes a new time namespace's clock offsets (`linux.timeOffsets`) from the parent.
///
/// The kernel takes offsets only before any process has entered the namespace, and only
/// from a writer with CAP_SYS_TIME over the user namespace that owns it. With a user
/// namespace the init has that capability but cannot open its own
/// `/proc/self/timens_offsets` (it is not dumpable, so the file belongs to the host's
/// root, which its namespace does not map). So the init unshares the time namespace (it
/// then applies to its children only) before asking for its maps, the parent, which
/// holds CAP_SYS_TIME over every user namespace it created (or, as root, over all),
/// writes `/proc/<pid>/timens_offsets` while serving that request, and the init enters
/// the namespace afterwards. runc does the same from its stage-0 parent.
enum TimeOffsets {
    static func write(pid: Int32, offsets: [String: LinuxTimeOffset]) throws(BerthError) {
        guard !offsets.isEmpty else { return }
        // One line per clock, as the kernel parses them: `<clock> <secs> <nanosecs>`.
        let lines = offsets.sorted { $0.key < $1.key }
            .map { "\($0.key) \($0.value.secs ?? 0) \($0.value.nanosecs ?? 0)\n" }.joined()
        do throws(SyscallError) {
            try FileIO.write("/proc/\(pid)/timens_offsets", Array(lines.utf8))
        } catch { throw BerthError.system("linux.timeOffsets", error) }
    }
}
