import BerthSpec
import BerthSystem

/// Writes `linux.resources` into a container's cgroup files: on v1 each controller's own
/// hierarchy, on v2 the single directory with the runtime spec's conversions (shares →
/// weight, quota/period → cpu.max, swap as memory+swap → swap only).
///
/// The same rules serve `create` and `update`, as in runc: a field that is absent, or 0
/// where 0 is no meaningful limit (memory, swap, reservation, CPU shares, quota, period,
/// realtime period and runtime, block IO weights, net_cls class id), leaves the file as
/// it is. Docker's `update` sends whole objects with 0 for everything the user did not
/// change, so writing those zeros would change limits nobody asked to change. -1 means
/// unlimited. Files whose values depend on each other (memory and memory+swap, CFS
/// period, quota and burst, realtime period and runtime) are written in the order the
/// kernel accepts, which depends on the current values.
///
/// A value the kernel refuses is an error naming the file and the value.
public struct ResourceWriter {
    public let set: CgroupSet
    /// Receives what is not applied but does not stop the container (a kernelTCP limit
    /// on a kernel without the file).
    let warn: (String) -> Void
    var unified: Bool { self.set.unified }

    public init(set: CgroupSet, warn: @escaping (String) -> Void = { _ in }) {
        self.set = set
        self.warn = warn
    }

    /// The directory holding `file` (v1: the hierarchy that has it; v2: the only one).
    func directory(for file: String) -> String? {
        set.paths.first { FileIO.exists($0 + "/" + file) }
    }

    func write(_ file: String, _ value: String) throws(SyscallError) {
        guard let dir = directory(for: file) else {
            throw SyscallError("write \(file) = \(value): no cgroup has this file", errno: .noSuchFileOrDirectory)
        }
        try write(dir, file, value)
    }

    func write(_ dir: String, _ file: String, _ value: String) throws(SyscallError) {
        do throws(SyscallError) {
            try FileIO.write(dir + "/" + file, Array(value.utf8))
        } catch {
            throw SyscallError("write \(value) to", dir + "/" + file, errno: error.errno)
        }
    }

    /// A file's content without the trailing newline, nil when it cannot be read.
    func read(_ file: String) -> String? {
        guard let dir = directory(for: file), let text = try? FileIO.readString(dir + "/" + file) else { return nil }
        return text.split(separator: "\n").first.map(String.init) ?? ""
    }

    func readNumber(_ file: String) -> UInt64? {
        read(file).flatMap { UInt64($0) }
    }

    /// Refuses `unified` on a host where berth manages v1 hierarchies (v1 or hybrid), as
    /// runc does. Checked before anything is made.
    public static func checkUnified(_ r: LinuxResources?, layout: CgroupLayout) throws(SyscallError) {
        guard let u = r?.unified, !u.isEmpty, layout.mode != .unified else { return }
        throw SyscallError("invalid configuration: cannot use unified on cgroup v1", errno: .invalidArgument)
    }

    public func apply(_ r: LinuxResources) throws(SyscallError) {
        // cpuset first (as runc orders its controllers), unified last: its raw keys
        // override what the structured fields wrote.
        if let c = r.cpu { try cpuset(c) }
        if let m = r.memory { try memory(m) }
        if let c = r.cpu { try cpu(c) }
        if let limit = r.pids?.limit {
            // 0 cannot be expressed through systemd, so runc writes 1 for it everywhere.
            try write("pids.max", limit > 0 ? String(limit) : limit == 0 ? "1" : "max")
        }
        if let b = r.blockIO { try blockIO(b) }
        if let h = r.hugepageLimits, !h.isEmpty { try hugetlb(h) }
        if let n = r.network { try network(n) }
        for (device, limits) in (r.rdma ?? [:]).sorted(by: { $0.key < $1.key }) {
            var line = device
            if let h = limits.hcaHandles { line += " hca_handle=\(h)" }
            if let o = limits.hcaObjects { line += " hca_object=\(o)" }
            if line != device { try write("rdma.max", line) }
        }
        if let u = r.unified, !u.isEmpty {
            guard unified else {
                throw SyscallError("invalid configuration: cannot use unified on cgroup v1", errno: .invalidArgument)
            }
            for (key, value) in u.sorted(by: { $0.key < $1.key }) {
                guard !key.contains("/"), !key.hasPrefix(".") else {
                    throw SyscallError("linux.resources.unified: invalid key \"\(key)\"", errno: .invalidArgument)
                }
                try write(key, value)
            }
        }
    }

    func cpuset(_ c: LinuxCPU) throws(SyscallError) {
        if let cpus = c.cpus, !cpus.isEmpty { try write("cpuset.cpus", cpus) }
        if let mems = c.mems, !mems.isEmpty { try write("cpuset.mems", mems) }
    }

    func network(_ n: LinuxNetwork) throws(SyscallError) {
        guard !unified else {
            if (n.classID ?? 0) != 0 || !(n.priorities ?? []).isEmpty {
                throw SyscallError("linux.resources.network: net_cls and net_prio exist only on cgroup v1", errno: .notSupported)
            }
            return
        }
        if let id = n.classID, id != 0 { try write("net_cls.classid", String(id)) }
        for p in n.priorities ?? [] { try write("net_prio.ifpriomap", "\(p.name) \(p.priority)") }
    }

    /// The runtime spec's conversion of blkio weight [10, 1000] to io.weight [1, 10000].
    public static func ioWeight(fromBlkio weight: UInt16) -> UInt64 {
        let w = UInt64(min(max(weight, 10), 1000))
        return 1 + ((w - 10) * 9999) / 990
    }

    /// The runtime spec's conversion of cpu shares [2, 262144] to cgroup v2 weight [1, 10000].
    public static func weight(fromShares shares: UInt64) -> UInt64 {
        let s = min(max(shares, 2), 262_144)
        return 1 + ((s - 2) * 9999) / 262_142
    }
}
