/// Resource limit names and their Linux resource numbers.
public enum RlimitTable {
    /// `RLIMIT_*` names mapped to the resource numbers of `setrlimit(2)` on Linux
    /// (x86_64, aarch64 and the other generic-ABI architectures).
    public static let rlimitNames: [String: Int32] = [
        "RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3,
        "RLIMIT_CORE": 4, "RLIMIT_RSS": 5, "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7,
        "RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9, "RLIMIT_LOCKS": 10, "RLIMIT_SIGPENDING": 11,
        "RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13, "RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15,
    ]

    /// The resource number for a name such as `RLIMIT_NOFILE`, or `nil` when unknown.
    ///
    /// A switch, not a look-up in `rlimitNames`: building that dictionary costs the first
    /// caller a runtime `String: Hashable` conformance look-up (a scan of every
    /// conformance record in the binary), on the path of every create and exec.
    public static func resource(named name: String) -> Int32? {
        switch name {
        case "RLIMIT_CPU": return 0
        case "RLIMIT_FSIZE": return 1
        case "RLIMIT_DATA": return 2
        case "RLIMIT_STACK": return 3
        case "RLIMIT_CORE": return 4
        case "RLIMIT_RSS": return 5
        case "RLIMIT_NPROC": return 6
        case "RLIMIT_NOFILE": return 7
        case "RLIMIT_MEMLOCK": return 8
        case "RLIMIT_AS": return 9
        case "RLIMIT_LOCKS": return 10
        case "RLIMIT_SIGPENDING": return 11
        case "RLIMIT_MSGQUEUE": return 12
        case "RLIMIT_NICE": return 13
        case "RLIMIT_RTPRIO": return 14
        case "RLIMIT_RTTIME": return 15
        default: return nil
        }
    }
}
