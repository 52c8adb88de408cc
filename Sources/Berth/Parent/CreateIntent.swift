import BerthCgroups

/// What a `create` is about to make on the host, recorded on the container's state
/// directory before it makes anything else (DESIGN.md, "State and crash consistency").
///
/// Until `state.json` exists, this is all that `list`, `state` and `delete --force` have
/// to go on when berth died half-way: the cgroup directories to remove (and whose
/// processes to kill), and what to show. Everything else a create makes either lives in
/// the state directory (exec fifo, notify socket, network namespace pin; removed with
/// it), dies with berth (the init and helpers until set-up is done: parent-death signal
/// and end of the sync stream), happens only after `state.json` is written (network
/// devices moved in), or is added to the intent as soon as it exists (the host bind of
/// the rootfs for a container without a mount namespace, whose id is known only then).
///
/// It is kept as an extended attribute of the directory (`user.berth.intent`: no file is
/// created, which costs about as much as the rest of the record on ext4), or, where the
/// filesystem keeps none, in a file `intent` beside `state.json`.
///
/// Encoding: `berth-intent-1`, then `key=value` fields, each ending in NUL (paths can hold
/// any byte but NUL). `cgroup` and `made` repeat.
struct CreateIntent: Equatable, Sendable {
    var bundle: String
    var rootfs: String
    var created: String
    /// The container's cgroup directories, one per hierarchy.
    var cgroupPaths: [String]
    /// The directories that did not exist yet and that create will make (delete removes
    /// them, deepest first).
    var cgroupToMake: [String]
    var cgroupUnified: Bool
    /// The bind of the rootfs on the host, for a container without a mount namespace.
    var hostRootfsMount: HostRootfsMount? = nil

    static let attribute = "user.berth.intent"
    static let file = "intent"
    private static let magic = "berth-intent-1"

    var encoded: [UInt8] {
        var out = Array(Self.magic.utf8) + [0]
        out.reserveCapacity(1024)
        func field(_ key: String, _ value: String) {
            out.append(contentsOf: key.utf8)
            out.append(UInt8(ascii: "="))
            for byte in value.utf8 where byte != 0 { out.append(byte) }
            out.append(0)
        }
        field("bundle", bundle)
        field("rootfs", rootfs)
        field("created", created)
        field("unified", cgroupUnified ? "1" : "0")
        for p in cgroupPaths { field("cgroup", p) }
        for p in cgroupToMake { field("made", p) }
        if let m = hostRootfsMount { field("hostmount", "\(m.mountID):\(m.path)") }
        return out
    }

    /// nil for anything that is not an intent record (unknown fields are skipped, so a
    /// later berth may add some).
    init?(decoding bytes: [UInt8]) {
        let fields = bytes.split(separator: 0, omittingEmptySubsequences: false)
        guard let first = fields.first, String(decoding: first, as: UTF8.self) == Self.magic,
            bytes.last == 0
        else { return nil }
        self.init(bundle: "", rootfs: "", created: "", cgroupPaths: [], cgroupToMake: [], cgroupUnified: false)
        for field in fields.dropFirst() where !field.isEmpty {
            guard let eq = field.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            let key = String(decoding: field[field.startIndex..<eq], as: UTF8.self)
            let value = String(decoding: field[(eq + 1)...], as: UTF8.self)
            switch key {
            case "bundle": bundle = value
            case "rootfs": rootfs = value
            case "created": created = value
            case "unified": cgroupUnified = value == "1"
            case "cgroup": cgroupPaths.append(value)
            case "made": cgroupToMake.append(value)
            case "hostmount":
                guard let colon = value.firstIndex(of: ":"), let mountID = Int(value[..<colon]) else { return nil }
                hostRootfsMount = HostRootfsMount(path: String(value[value.index(after: colon)...]), mountID: mountID)
            default: continue
            }
        }
    }

    init(
        bundle: String, rootfs: String, created: String, cgroupPaths: [String], cgroupToMake: [String],
        cgroupUnified: Bool
    ) {
        self.bundle = bundle
        self.rootfs = rootfs
        self.created = created
        self.cgroupPaths = cgroupPaths
        self.cgroupToMake = cgroupToMake
        self.cgroupUnified = cgroupUnified
    }

    /// The cgroups as far as they may have been made.
    var cgroups: CgroupSet {
        CgroupSet(paths: cgroupPaths, created: cgroupToMake, unified: cgroupUnified)
    }
}
