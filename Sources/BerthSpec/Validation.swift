extension Spec {
    /// The values `linux.rootfsPropagation` may take (`""` means the runtime default).
    public static let rootfsPropagationModes: Set<String> = [
        "", "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable",
    ]

    /// The device types `linux.devices[].type` may take.
    public static let deviceTypes: Set<String> = ["c", "b", "u", "p"]

    /// The clocks `linux.timeOffsets` may name.
    public static let timeNamespaceClocks: Set<String> = ["monotonic", "boottime"]

    /// The I/O priority classes `process.ioPriority.class` may take.
    public static let ioPriorityClasses: Set<String> = ["IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"]

    /// Checks the configuration without touching the filesystem and throws the first
    /// problem found, as `<json path>: <what>`, e.g. `process.args: must not be empty`
    /// or `linux.namespaces[2].type: unknown namespace "foo"`.
    public func validate() throws(SpecError) {
        if ociVersion.isEmpty { throw SpecError("ociVersion: must not be empty") }
        // The runtime spec: MUST be SemVer 2.0.0; compatibility holds within a major version.
        guard let version = SemanticVersion(ociVersion) else {
            throw SpecError("ociVersion: \"\(Self.printable(ociVersion))\" is not a SemVer 2.0.0 version (berth runs runtime-spec 1.x configs)")
        }
        if version.major != 1 {
            throw SpecError("ociVersion: \"\(ociVersion)\": unsupported major version \(version.major) (berth runs runtime-spec 1.x configs)")
        }
        guard let root else { throw SpecError("root: must be set") }
        if root.path.isEmpty { throw SpecError("root.path: must not be empty") }
        if let process { try Self.validate(process: process) }
        for (i, mount) in (mounts ?? []).enumerated() where mount.destination.isEmpty {
            throw SpecError("mounts[\(i)].destination: must not be empty")
        }
        if let hooks { try Self.validate(hooks: hooks) }
        try validateLinux()
    }

    /// `text` for a one-line message: at most 64 characters, control characters escaped.
    static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(64) {
            out += scalar.value < 0x20 || scalar.value == 0x7F ? scalar.escaped(asASCII: true) : String(scalar)
        }
        return text.unicodeScalars.count > 64 ? out + "..." : out
    }

    private static func validate(process: Process) throws(SpecError) {
        if process.args?.isEmpty ?? true { throw SpecError("process.args: must not be empty") }
        if !process.cwd.hasPrefix("/") { throw SpecError("process.cwd: must be an absolute path") }
        try validateSettings(of: process)
    }

    /// The checks of `process` other than its args and cwd: what `exec` validates in a
    /// process it is given (rlimits, oomScoreAdj, ioPriority, scheduler, execCPUAffinity).
    public static func validateSettings(of process: Process) throws(SpecError) {
        // Resource numbers seen, as bits: the names are known ones by then (16 of them).
        var seen: UInt32 = 0
        for (i, rlimit) in (process.rlimits ?? []).enumerated() {
            guard let resource = RlimitTable.resource(named: rlimit.type) else {
                throw SpecError("process.rlimits[\(i)].type: unknown rlimit \"\(rlimit.type)\"")
            }
            if seen & (1 << UInt32(resource)) != 0 {
                throw SpecError("process.rlimits[\(i)].type: duplicate rlimit \"\(rlimit.type)\"")
            }
            seen |= 1 << UInt32(resource)
            if rlimit.soft > rlimit.hard {
                throw SpecError("process.rlimits[\(i)]: soft limit \(rlimit.soft) exceeds hard limit \(rlimit.hard)")
            }
        }
        if let adj = process.oomScoreAdj, adj < -1000 || adj > 1000 {
            throw SpecError("process.oomScoreAdj: \(adj) is outside -1000...1000")
        }
        if let io = process.ioPriority {
            if !ioPriorityClasses.contains(io.class) {
                throw SpecError("process.ioPriority.class: unknown class \"\(io.class)\"")
            }
            if io.priority < 0 || io.priority > 7 {
                throw SpecError("process.ioPriority.priority: \(io.priority) is outside 0...7")
            }
        }
        if let scheduler = process.scheduler { try validate(scheduler: scheduler) }
        if let affinity = process.execCPUAffinity {
            for (field, list) in [("initial", affinity.initial), ("final", affinity.final)] {
                guard let list, !list.isEmpty else { continue }
                switch CPUList.parse(list, limit: CPUTable.maxCPU) {
                case .failure(let error):
                    throw SpecError("process.execCPUAffinity.\(field): invalid CPU list \"\(list)\": \(error)")
                case .success(let cpus) where cpus.isEmpty:
                    throw SpecError("process.execCPUAffinity.\(field): invalid CPU list \"\(list)\": no CPU")
                default: break
                }
            }
        }
    }

    /// runc's rules (sched_setattr(2)): a policy is required, nice is -20...19, a static
    /// priority only for the real-time policies, runtime/deadline/period only for
    /// SCHED_DEADLINE.
    public static func validate(scheduler: Scheduler) throws(SpecError) {
        if scheduler.policy.isEmpty { throw SpecError("process.scheduler.policy: scheduler policy is required") }
        if SchedulerTable.policies[scheduler.policy] == nil {
            throw SpecError("process.scheduler.policy: unknown policy \"\(scheduler.policy)\"")
        }
        if let nice = scheduler.nice, nice < -20 || nice > 19 {
            throw SpecError("process.scheduler.nice: invalid scheduler.nice: \(nice) (outside -20...19)")
        }
        if let priority = scheduler.priority, priority != 0,
            scheduler.policy != "SCHED_FIFO" && scheduler.policy != "SCHED_RR"
        {
            throw SpecError("process.scheduler.priority: scheduler.priority can only be specified for SCHED_FIFO or SCHED_RR policy")
        }
        if scheduler.policy != "SCHED_DEADLINE",
            [scheduler.runtime, scheduler.deadline, scheduler.period].contains(where: { ($0 ?? 0) != 0 })
        {
            throw SpecError("process.scheduler: scheduler runtime/deadline/period can only be specified for SCHED_DEADLINE policy")
        }
        for (i, flag) in (scheduler.flags ?? []).enumerated() where SchedulerTable.flags[flag] == nil {
            throw SpecError("process.scheduler.flags[\(i)]: unknown flag \"\(flag)\"")
        }
    }

    /// An id-mapped mount (`idmap`, `ridmap`, or mappings given), as runc accepts it: a
    /// bind mount with both uid and gid mappings, or none when the container's own user
    /// namespace supplies them.
    private static func validateIDMapping(_ mount: Mount, at i: Int, userNamespace: LinuxNamespace?) throws(SpecError) {
        let options = mount.options ?? []
        guard
            mount.uidMappings != nil || mount.gidMappings != nil
                || options.contains("idmap") || options.contains("ridmap")
        else { return }
        if mount.type != "bind" && !options.contains("bind") && !options.contains("rbind") {
            throw SpecError("mounts[\(i)]: invalid mount: id-mapped mounts are only supported for bind-mounts")
        }
        let given = mount.uidMappings != nil || mount.gidMappings != nil
        if given && ((mount.uidMappings ?? []).isEmpty || (mount.gidMappings ?? []).isEmpty) {
            throw SpecError("mounts[\(i)]: invalid mount: id-mapped mounts must have both uid and gid mappings specified")
        }
        if !given && userNamespace == nil {
            throw SpecError(
                "mounts[\(i)]: invalid mount: id-mapped mounts must have both uid and gid mappings specified (or a user namespace in the container to take them from)"
            )
        }
        for (field, maps) in [("uidMappings", mount.uidMappings), ("gidMappings", mount.gidMappings)] {
            for (j, map) in (maps ?? []).enumerated() where map.size == 0 {
                throw SpecError("mounts[\(i)].\(field)[\(j)].size: must not be zero")
            }
        }
    }

    private static func validate(hooks: Hooks) throws(SpecError) {
        let phases: [(String, [Hook]?)] = [
            ("prestart", hooks.prestart), ("createRuntime", hooks.createRuntime),
            ("createContainer", hooks.createContainer), ("startContainer", hooks.startContainer),
            ("poststart", hooks.poststart), ("poststop", hooks.poststop),
        ]
        for (phase, list) in phases {
            for (i, hook) in (list ?? []).enumerated() {
                if !hook.path.hasPrefix("/") {
                    throw SpecError("hooks.\(phase)[\(i)].path: must be an absolute path")
                }
                if let timeout = hook.timeout, timeout <= 0 {
                    throw SpecError("hooks.\(phase)[\(i)].timeout: must be greater than zero")
                }
            }
        }
    }

    private func validateLinux() throws(SpecError) {
        let linux = self.linux ?? Linux()
        // A list (at most one per kind: duplicates are refused below), not a dictionary: a
        // `NamespaceKind: Hashable` look-up at run time would cost more than the search.
        var configured = NamespacesByKind()
        for (i, ns) in (linux.namespaces ?? []).enumerated() {
            guard let kind = ns.kind else {
                throw SpecError("linux.namespaces[\(i)].type: unknown namespace \"\(ns.type)\"")
            }
            if configured[kind] != nil {
                throw SpecError("linux.namespaces[\(i)].type: duplicate namespace \"\(ns.type)\"")
            }
            if let path = ns.path, !path.isEmpty, !path.hasPrefix("/") {
                throw SpecError("linux.namespaces[\(i)].path: must be an absolute path")
            }
            configured[kind] = ns
        }

        // As runc: masks and read-only remounts would be made in the host's mount namespace.
        if configured[.mount] == nil {
            for (field, paths) in [("maskedPaths", linux.maskedPaths), ("readonlyPaths", linux.readonlyPaths)]
            where !(paths ?? []).isEmpty {
                throw SpecError("linux.\(field): unable to restrict sys entries without a private MNT namespace")
            }
        }

        if let hostname, !hostname.isEmpty, configured[.uts] == nil {
            throw SpecError("hostname: cannot set hostname without a new UTS namespace")
        }
        if let domainname, !domainname.isEmpty, configured[.uts] == nil {
            throw SpecError("domainname: cannot set domainname without a new UTS namespace")
        }

        for (field, maps) in [("uidMappings", linux.uidMappings), ("gidMappings", linux.gidMappings)] {
            guard let maps, !maps.isEmpty else { continue }
            if configured[.user] == nil {
                throw SpecError("linux.\(field): set but no user namespace is configured")
            }
            for (i, map) in maps.enumerated() where map.size == 0 {
                throw SpecError("linux.\(field)[\(i)].size: must not be zero")
            }
        }

        for (i, device) in (linux.devices ?? []).enumerated() {
            if !Self.deviceTypes.contains(device.type) {
                throw SpecError("linux.devices[\(i)].type: unknown device type \"\(device.type)\"")
            }
            if !device.path.hasPrefix("/") {
                throw SpecError("linux.devices[\(i)].path: must be an absolute path")
            }
        }

        for key in (linux.sysctl ?? [:]).keys.sorted() {
            guard let needed = Self.sysctlNamespace(key) else {
                throw SpecError("linux.sysctl[\"\(key)\"]: not namespaced, cannot be set for a container")
            }
            if configured[needed] == nil {
                throw SpecError("linux.sysctl[\"\(key)\"]: requires a new \(Self.displayName(needed)) namespace")
            }
        }

        for (i, mount) in (mounts ?? []).enumerated() {
            try Self.validateIDMapping(mount, at: i, userNamespace: configured[.user])
        }

        if let propagation = linux.rootfsPropagation, !Self.rootfsPropagationModes.contains(propagation) {
            throw SpecError("linux.rootfsPropagation: unknown propagation \"\(propagation)\"")
        }

        if let offsets = linux.timeOffsets, !offsets.isEmpty {
            guard let timeNS = configured[.time], timeNS.isNew else {
                throw SpecError("linux.timeOffsets: requires a new time namespace")
            }
            for clock in offsets.keys.sorted() where !Self.timeNamespaceClocks.contains(clock) {
                throw SpecError("linux.timeOffsets[\"\(clock)\"]: unknown clock \"\(clock)\"")
            }
        }

        if let devices = linux.netDevices, !devices.isEmpty {
            if configured[.network] == nil {
                throw SpecError("linux.netDevices: unable to move network devices without a NET namespace")
            }
            var inContainer: [String: String] = [:]
            for hostName in devices.keys.sorted() {
                if !Self.isValidNetworkDeviceName(hostName) {
                    throw SpecError("linux.netDevices[\"\(hostName)\"]: invalid network device name \"\(hostName)\"")
                }
                var name = hostName
                if let given = devices[hostName]?.name, !given.isEmpty {
                    if !Self.isValidNetworkDeviceName(given) {
                        throw SpecError("linux.netDevices[\"\(hostName)\"].name: invalid network device name \"\(given)\"")
                    }
                    name = given
                }
                if !name.contains("%"), let other = inContainer.updateValue(hostName, forKey: name) {
                    throw SpecError("linux.netDevices[\"\(hostName)\"]: \"\(other)\" is also to be named \(name) in the container")
                }
            }
        }

        if let rules = linux.resources?.devices { try Self.validate(deviceRules: rules, field: "linux.resources.devices") }

        if let seccomp = linux.seccomp { try Self.validate(seccomp: seccomp) }

        if let personality = linux.personality, PersonalityTable.domains[personality.domain] == nil {
            throw SpecError("linux.personality.domain: invalid personality domain \"\(personality.domain)\"")
        }
        if let policy = linux.memoryPolicy { try Self.validate(memoryPolicy: policy) }
    }

    /// Device cgroup rules (`linux.resources.devices`, and `update --resources`): the
    /// type is `a`, `b` or `c` (empty or absent: all), the access letters from `rwm`, as
    /// runc requires. Checked before anything is written: on cgroup v1 an unknown type
    /// is a line the kernel refuses half-way through the transitions, and on v2 a rule
    /// the device program could not match by type would apply to every device.
    public static func validate(deviceRules rules: [LinuxDeviceCgroup], field: String) throws(SpecError) {
        for (i, rule) in rules.enumerated() {
            if let type = rule.type, !["", "a", "b", "c"].contains(type) {
                throw SpecError("\(field)[\(i)].type: invalid cgroup device type \"\(printable(type))\"")
            }
            if let access = rule.access, !access.allSatisfy({ "rwm".contains($0) }) {
                throw SpecError("\(field)[\(i)].access: invalid cgroup device permissions \"\(printable(access))\"")
            }
        }
    }

    /// Mode, flags and node list of `linux.memoryPolicy` (`{}` means no policy, as with
    /// runc); whether the nodes exist on this host is checked when it is applied.
    public static func validate(memoryPolicy policy: LinuxMemoryPolicy) throws(SpecError) {
        if policy.isEmpty { return }
        if MemoryPolicyTable.modes[policy.mode] == nil {
            throw SpecError("linux.memoryPolicy.mode: invalid memory policy mode \"\(policy.mode)\"")
        }
        for (i, flag) in (policy.flags ?? []).enumerated() where MemoryPolicyTable.flags[flag] == nil {
            throw SpecError("linux.memoryPolicy.flags[\(i)]: invalid memory policy flag \"\(flag)\"")
        }
        let nodes: [Int]
        switch CPUList.parse(policy.nodes, limit: MemoryPolicyTable.maxNode) {
        case .failure(let error):
            throw SpecError("linux.memoryPolicy.nodes: invalid memory policy nodes \"\(policy.nodes)\": \(error)")
        case .success(let list): nodes = list
        }
        if MemoryPolicyTable.nodeless.contains(policy.mode) && !nodes.isEmpty {
            throw SpecError("linux.memoryPolicy.nodes: \(policy.mode) takes no nodes, got \(nodes.count)")
        }
        if MemoryPolicyTable.needNodes.contains(policy.mode) && nodes.isEmpty {
            throw SpecError("linux.memoryPolicy.nodes: \(policy.mode) needs at least one node")
        }
    }

    /// The kernel's rule for interface names (dev_valid_name): 1 to 15 bytes (IFNAMSIZ
    /// less the terminator), not `.` or `..`, no `/`, `:` or whitespace.
    public static func isValidNetworkDeviceName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count < 16, name != ".", name != ".." else { return false }
        return !bytes.contains { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") || $0 == 0x20 || (0x09...0x0d).contains($0) }
    }

    private static func validate(seccomp: LinuxSeccomp) throws(SpecError) {
        if !LinuxSeccomp.knownActions.contains(seccomp.defaultAction) {
            throw SpecError("linux.seccomp.defaultAction: unknown action \"\(seccomp.defaultAction)\"")
        }
        for (i, flag) in (seccomp.flags ?? []).enumerated() where !LinuxSeccomp.knownFlags.contains(flag) {
            throw SpecError("linux.seccomp.flags[\(i)]: unknown flag \"\(flag)\"")
        }
        let notify = "SCMP_ACT_NOTIFY"
        if seccomp.defaultAction == notify {
            throw SpecError("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be used as default action")
        }
        var notifies = false
        for (i, rule) in (seccomp.syscalls ?? []).enumerated() {
            if rule.names.isEmpty { throw SpecError("linux.seccomp.syscalls[\(i)].names: must not be empty") }
            if !LinuxSeccomp.knownActions.contains(rule.action) {
                throw SpecError("linux.seccomp.syscalls[\(i)].action: unknown action \"\(rule.action)\"")
            }
            if rule.action == notify {
                notifies = true
                if let name = rule.names.first(where: LinuxSeccomp.notifyRefused.contains) {
                    throw SpecError("linux.seccomp.syscalls[\(i)]: SCMP_ACT_NOTIFY cannot be used for the \(name) syscall")
                }
            }
            for (j, arg) in (rule.args ?? []).enumerated() {
                if arg.index > 5 {
                    throw SpecError("linux.seccomp.syscalls[\(i)].args[\(j)].index: \(arg.index) is outside 0...5")
                }
                if !LinuxSeccomp.knownOperators.contains(arg.op) {
                    throw SpecError("linux.seccomp.syscalls[\(i)].args[\(j)].op: unknown operator \"\(arg.op)\"")
                }
            }
        }
        if notifies && (seccomp.listenerPath ?? "").isEmpty {
            throw SpecError("linux.seccomp.listenerPath: must be set when an action is SCMP_ACT_NOTIFY")
        }
    }

    /// The namespace a sysctl lives in, or `nil` when it is not namespaced (runc's rules).
    /// `/` separators are accepted as well as `.`.
    public static func sysctlNamespace(_ key: String) -> NamespaceKind? {
        let name = String(key.map { $0 == "/" ? "." : $0 })
        if name.hasPrefix("net.") { return .network }
        if name.hasPrefix("fs.mqueue.") { return .ipc }
        switch name {
        case "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
            "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced":
            return .ipc
        case "kernel.hostname", "kernel.domainname":
            return .uts
        default:
            return nil
        }
    }

    private static func displayName(_ kind: NamespaceKind) -> String {
        switch kind {
        case .uts, .ipc, .pid: return kind.rawValue.uppercased()
        default: return kind.rawValue
        }
    }
}

/// The configured namespaces by kind: at most one per kind, searched in order.
private struct NamespacesByKind {
    private var entries: [LinuxNamespace] = []

    subscript(kind: NamespaceKind) -> LinuxNamespace? {
        get { entries.first { $0.kind == kind } }
        set {
            entries.removeAll { $0.kind == kind }
            if let newValue { entries.append(newValue) }
        }
    }
}
