import Berth
import BerthCgroups
import BerthSpec
import BerthSystem
import Glibc

/// Everything berth does to untrusted bytes before a syscall, one entry per kind of input.
/// Each target takes any bytes; a crash, trap or hang is a bug, an error is not.
enum FuzzTarget: String, CaseIterable {
    /// config.json: decode, validate, then what create derives from it before any syscall
    /// (mount options, cgroupsPath, the seccomp filter, CPU and node lists, the state record).
    case config
    /// `exec --process` JSON: decode and validate.
    case process
    /// `update --resources` JSON: decode, then the cgroup file writes (into a fixture
    /// directory, v1 and v2 layouts) and v1 device rules.
    case resources
    /// A mount's options, comma-separated.
    case mountOptions = "mount-options"
    /// `linux.seccomp`: decode, validate, build the libseccomp filter (never loaded).
    case seccomp
    /// `linux.cgroupsPath` (plain and systemd `slice:prefix:name`) and container ids.
    case cgroupPath = "cgroup-path"
    /// A container image's /etc/passwd: the home directory look-up (uid from the first
    /// four bytes).
    case passwd
    /// What berth reads back from its own state root and sync socket: state.json, the
    /// intent record, sync packets.
    case state

    func run(_ bytes: [UInt8]) {
        switch self {
        case .config: Self.config(bytes)
        case .process: Self.process(bytes)
        case .resources: Self.resources(bytes)
        case .mountOptions: Self.mountOptions(bytes)
        case .seccomp: Self.seccomp(bytes)
        case .cgroupPath: Self.cgroupPath(bytes)
        case .passwd: Self.passwd(bytes)
        case .state: Self.state(bytes)
        }
    }

    static func config(_ bytes: [UInt8]) {
        guard let spec = try? SpecLoader.decode(bytes) else { return }
        for mount in spec.mounts ?? [] { _ = MountOptions(mount.options ?? []) }
        guard (try? spec.validate()) != nil else { return }
        if let path = spec.linux?.cgroupsPath {
            _ = try? CgroupPath.resolve(path, id: "fuzz", parent: "/parent", systemd: false)
            _ = try? CgroupPath.resolve(path, id: "fuzz", parent: "/parent", systemd: true)
        }
        if let seccomp = spec.linux?.seccomp { _ = UntrustedInput.seccompProfile(seccomp) }
        for list in [spec.linux?.resources?.cpu?.cpus, spec.linux?.resources?.cpu?.mems, spec.linux?.memoryPolicy?.nodes] {
            if let list { _ = CPUList.parse(list, limit: 8192) }
        }
        // Encoded again (as `berth spec` and the documents berth writes do) and read back.
        if let data = try? spec.jsonData(pretty: false) { _ = try? SpecLoader.decode(data) }
    }

    static func process(_ bytes: [UInt8]) {
        guard let process = try? SpecLoader.decode(Process.self, from: bytes, fileName: "process.json") else { return }
        _ = try? Spec.validateSettings(of: process)
    }

    /// Fixture cgroup directories with every file ResourceWriter may write: v1 (one
    /// directory holding every controller's files) and v2.
    static let fixtures: (v1: CgroupSet, v2: CgroupSet) = {
        var template = Array("/tmp/berth-fuzz-XXXXXX".utf8CString)
        let base = String(cString: mkdtemp(&template)!)
        let v1 = base + "/v1"
        let v2 = base + "/v2"
        mkdir(v1, 0o755)
        mkdir(v2, 0o755)
        let v1Files = [
            "memory.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.memsw.limit_in_bytes",
            "memory.swappiness", "memory.oom_control", "memory.kmem.limit_in_bytes", "memory.kmem.tcp.limit_in_bytes",
            "cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.cfs_burst_us", "cpu.rt_runtime_us",
            "cpu.rt_period_us", "cpu.idle", "cpuset.cpus", "cpuset.mems", "pids.max", "blkio.weight",
            "blkio.leaf_weight", "blkio.weight_device", "blkio.leaf_weight_device", "blkio.throttle.read_bps_device",
            "blkio.throttle.write_bps_device", "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device",
            "net_cls.classid", "net_prio.ifpriomap", "rdma.max", "devices.allow", "devices.deny",
            "hugetlb.2MB.limit_in_bytes", "hugetlb.1GB.limit_in_bytes",
        ]
        let v2Files = [
            "memory.max", "memory.low", "memory.swap.max", "memory.oom.group", "cpu.weight", "cpu.max",
            "cpu.max.burst", "cpu.idle", "cpuset.cpus", "cpuset.mems", "pids.max", "io.weight", "io.bfq.weight",
            "io.max", "rdma.max", "hugetlb.2MB.max", "hugetlb.1GB.max",
        ]
        for f in v1Files { close(open(v1 + "/" + f, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)) }
        for f in v2Files { close(open(v2 + "/" + f, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)) }
        return (CgroupSet(paths: [v1], created: [], unified: false), CgroupSet(paths: [v2], created: [], unified: true))
    }()

    static func resources(_ bytes: [UInt8]) {
        guard let r = try? SpecLoader.decode(LinuxResources.self, from: bytes, fileName: "resources") else { return }
        _ = try? ResourceWriter(set: fixtures.v1).apply(r)
        // `unified` keys are file names: one holding "/" or starting with "." is refused,
        // and a name the fixture lacks fails to open (never created).
        _ = try? ResourceWriter(set: fixtures.v2).apply(r)
        if let rules = r.devices {
            // `update` validates first; the rule builders must not trap without it either.
            _ = try? Spec.validate(deviceRules: rules, field: "devices")
            for rule in rules { _ = DeviceRules.line(rule) }
            _ = try? DeviceRules.apply(rules, to: fixtures.v1)
        }
    }

    static func mountOptions(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        _ = MountOptions(text.split(separator: ",", omittingEmptySubsequences: false).map(String.init))
    }

    static func seccomp(_ bytes: [UInt8]) {
        guard let seccomp = try? SpecLoader.decode(LinuxSeccomp.self, from: bytes, fileName: "seccomp") else { return }
        var spec = Spec(ociVersion: ociSpecVersion, root: Root(path: "rootfs"))
        spec.linux = Linux(seccomp: seccomp)
        guard (try? spec.validate()) != nil else { return }
        _ = UntrustedInput.seccompProfile(seccomp)
    }

    static func cgroupPath(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        _ = try? CgroupPath.resolve(text, id: "fuzz", parent: "/user.slice/session", systemd: false)
        _ = try? CgroupPath.resolve(text, id: "fuzz", parent: "/", systemd: true)
        _ = try? CgroupPath.systemdPath(text)
        _ = try? ContainerID.validate(text)
    }

    static func passwd(_ bytes: [UInt8]) {
        guard bytes.count >= 4 else { return }
        let uid = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
        _ = UntrustedInput.passwdHome(uid: uid % 70000, passwd: Array(bytes.dropFirst(4)))
    }

    static func state(_ bytes: [UInt8]) {
        _ = UntrustedInput.stateRecord(bytes)
        _ = UntrustedInput.intentRoundTrips(bytes)
        _ = UntrustedInput.syncMessage(bytes)
    }
}
