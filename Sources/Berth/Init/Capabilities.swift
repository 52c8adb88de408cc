import BerthSpec
import BerthSystem
import CBerth
import Glibc

/// The five capability sets of `process.capabilities`, applied through libcap around the
/// user switch: the bounding set is cut while berth still has CAP_SETPCAP, the
/// permitted/effective/inheritable sets are set after setuid (kept across it with
/// PR_SET_KEEPCAPS), and ambient capabilities are raised last, since they must already
/// be permitted and inheritable.
struct Capabilities {
    let bounding: [Int32]
    let effective: [Int32]
    let permitted: [Int32]
    let inheritable: [Int32]
    let ambient: [Int32]

    /// Resolves the names; a name libcap does not know is an error.
    init(_ caps: LinuxCapabilities) throws {
        func resolve(_ names: [String]?, _ set: String) throws -> [Int32] {
            try (names ?? []).compactMap { name -> Int32? in
                let value = berth_cap_from_name(name)
                guard value >= 0 else { throw InitError.spec("process.capabilities.\(set): unknown capability \"\(name)\"") }
                // A capability newer than the running kernel is skipped, as runc does.
                return value <= Self.lastCap ? Int32(value) : nil
            }
        }
        bounding = try resolve(caps.bounding, "bounding")
        effective = try resolve(caps.effective, "effective")
        permitted = try resolve(caps.permitted, "permitted")
        inheritable = try resolve(caps.inheritable, "inheritable")
        ambient = try resolve(caps.ambient, "ambient")
    }

    static let lastCap: Int32 = {
        let text = (try? FileIO.readString("/proc/sys/kernel/cap_last_cap")) ?? "40"
        return Int32(text.split(separator: "\n").first ?? "40") ?? 40
    }()

    /// Before the user switch.
    func dropBounding() throws {
        let keep = Set(bounding)
        for cap in 0...Self.lastCap where !keep.contains(cap) {
            if berth_prctl(Int32(BERTH_PR_CAPBSET_DROP), UInt(cap), 0, 0, 0) != 0 && currentErrno() != .invalidArgument {
                throw SyscallError("prctl(PR_CAPBSET_DROP)", "capability \(cap)", errno: currentErrno())
            }
        }
        try sys("prctl(PR_SET_KEEPCAPS)") { berth_prctl(Int32(BERTH_PR_SET_KEEPCAPS), 1, 0, 0, 0) }
    }

    /// After the user switch.
    func apply() throws {
        try sys("capset") {
            berth_cap_set_proc(effective, Int32(effective.count), permitted, Int32(permitted.count),
                               inheritable, Int32(inheritable.count))
        }
        _ = berth_prctl(Int32(BERTH_PR_CAP_AMBIENT), UInt(BERTH_PR_CAP_AMBIENT_CLEAR_ALL), 0, 0, 0)
        for cap in ambient {
            // A capability missing from permitted or inheritable cannot be ambient; runc
            // ignores the failure the same way.
            _ = berth_prctl(Int32(BERTH_PR_CAP_AMBIENT), UInt(BERTH_PR_CAP_AMBIENT_RAISE), UInt(cap), 0, 0)
        }
        _ = berth_prctl(Int32(BERTH_PR_SET_KEEPCAPS), 0, 0, 0, 0)
    }
}
