import CBerth
import Glibc
import SystemPackage

/// The five capability sets of a process, by number, applied around the user switch:
/// the bounding set is cut while the process still has CAP_SETPCAP (`dropBounding`,
/// which also keeps the permitted set across setuid with PR_SET_KEEPCAPS), the
/// effective, permitted and inheritable sets are set after setuid (`apply`, through
/// libcap), and ambient capabilities are raised last, since they must already be
/// permitted and inheritable.
public struct Capabilities: Sendable, Equatable {
    public var bounding: [Int32]
    public var effective: [Int32]
    public var permitted: [Int32]
    public var inheritable: [Int32]
    public var ambient: [Int32]

    public init(bounding: [Int32], effective: [Int32], permitted: [Int32], inheritable: [Int32], ambient: [Int32]) {
        self.bounding = bounding
        self.effective = effective
        self.permitted = permitted
        self.inheritable = inheritable
        self.ambient = ambient
    }

    /// The number libcap gives a name such as `CAP_KILL` (any case), or nil.
    public static func number(named name: String) -> Int32? {
        let value = berth_cap_from_name(name)
        return value >= 0 ? Int32(value) : nil
    }

    /// The highest capability number the running kernel knows.
    public static let lastCap: Int32 = {
        let text = (try? FileIO.readString("/proc/sys/kernel/cap_last_cap")) ?? "40"
        return Int32(text.split(separator: "\n").first ?? "40") ?? 40
    }()

    /// Before the user switch: drops every capability outside `bounding` from the bounding
    /// set, and sets PR_SET_KEEPCAPS so the permitted set survives setuid.
    public func dropBounding() throws(SyscallError) {
        let keep = Set(bounding)
        for cap in 0...Self.lastCap where !keep.contains(cap) {
            if berth_prctl(Int32(BERTH_PR_CAPBSET_DROP), UInt(cap), 0, 0, 0) != 0 && currentErrno() != .invalidArgument {
                throw SyscallError("prctl(PR_CAPBSET_DROP)", "capability \(cap)", errno: currentErrno())
            }
        }
        try sys("prctl(PR_SET_KEEPCAPS)") { berth_prctl(Int32(BERTH_PR_SET_KEEPCAPS), 1, 0, 0, 0) }
    }

    /// After the user switch: sets the effective, permitted and inheritable sets, then
    /// the ambient set, and clears PR_SET_KEEPCAPS. Returns the ambient capabilities the
    /// kernel refused to raise (one missing from permitted or inheritable cannot be
    /// ambient), with why: like runc, the caller warns and goes on.
    @discardableResult
    public func apply() throws(SyscallError) -> [(capability: Int32, errno: Errno)] {
        try sys("capset") {
            berth_cap_set_proc(
                effective, Int32(effective.count), permitted, Int32(permitted.count),
                inheritable, Int32(inheritable.count))
        }
        _ = berth_prctl(Int32(BERTH_PR_CAP_AMBIENT), UInt(BERTH_PR_CAP_AMBIENT_CLEAR_ALL), 0, 0, 0)
        var refused: [(capability: Int32, errno: Errno)] = []
        for cap in ambient where berth_prctl(Int32(BERTH_PR_CAP_AMBIENT), UInt(BERTH_PR_CAP_AMBIENT_RAISE), UInt(cap), 0, 0) != 0 {
            refused.append((cap, currentErrno()))
        }
        _ = berth_prctl(Int32(BERTH_PR_SET_KEEPCAPS), 0, 0, 0, 0)
        return refused
    }
}
