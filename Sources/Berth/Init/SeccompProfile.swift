import BerthSpec
import BerthSystem
import Glibc

/// `linux.seccomp` turned into a libseccomp filter, as runc builds it.
struct SeccompProfile {
    let filter: SeccompFilter
    /// A rule answers SCMP_ACT_NOTIFY: the listener fd must reach `linux.seccomp.listenerPath`
    /// through the parent, so the filter is loaded while the parent still serves the init.
    let notifies: Bool
    /// SECCOMP_FILTER_FLAG_* to load with through seccomp(2), when berth loads the
    /// program itself: for the ENOSYS stub, or a flag libseccomp 2.5 cannot set
    /// (WAIT_KILLABLE_RECV, which only means something with a listener); nil loads
    /// through libseccomp.
    let kernelFlags: UInt32?
    /// runc's ENOSYS stub, put in front of the filter: syscalls numbered above the last
    /// one the profile names (per architecture) get ENOSYS, not the default action.
    let stub: [SeccompStub.Instruction]
    /// Syscall names libseccomp does not know, skipped (the profile may name syscalls of
    /// newer kernels or other architectures), once each in profile order.
    private(set) var skippedNames: [String] = []

    /// Builds the filter. Unknown syscall names are skipped (the profile may name
    /// syscalls of newer kernels or other architectures); unknown actions, operators and
    /// flags were already refused by validation.
    init(_ config: LinuxSeccomp) throws {
        notifies = (config.syscalls ?? []).contains { $0.action == "SCMP_ACT_NOTIFY" }
        let defaultAction = try Self.action(config.defaultAction, errnoRet: config.defaultErrnoRet)
        filter = try SeccompFilter(defaultAction: defaultAction)
        var archTokens: [UInt32] = []
        for arch in config.architectures ?? [] {
            let name = Self.archName(arch)
            if try filter.addArchitecture(name), let token = SeccompFilter.archToken(name) { archTokens.append(token) }
        }
        // Runs as late as the process's privileges allow; no_new_privs is the caller's
        // choice (process.noNewPrivileges), not libseccomp's.
        try filter.set(.noNewPrivileges, false)
        var flags: UInt32 = notifies ? SeccompFilter.KernelFlag.newListener : 0
        var waitKillable = false
        for flag in config.flags ?? [] {
            switch flag {
            case "SECCOMP_FILTER_FLAG_LOG":
                try filter.set(.log, true)
                flags |= SeccompFilter.KernelFlag.log
            case "SECCOMP_FILTER_FLAG_SPEC_ALLOW":
                try filter.set(.speculativeStoreBypass, true)
                flags |= SeccompFilter.KernelFlag.specAllow
            case "SECCOMP_FILTER_FLAG_TSYNC":
                try filter.set(.threadSync, true)
                flags |= SeccompFilter.KernelFlag.tsync
            case "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV":
                waitKillable = true
                flags |= SeccompFilter.KernelFlag.waitKillableRecv
            default: break
            }
        }
        stub = Self.enosysStub(
            config, defaultAction: defaultAction,
            architectures: archTokens.isEmpty ? [SeccompFilter.nativeArch] : archTokens)
        kernelFlags = (waitKillable && notifies) || !stub.isEmpty ? flags : nil
        for (index, rule) in (config.syscalls ?? []).enumerated() {
            let action = try Self.action(rule.action, errnoRet: rule.errnoRet)
            // libseccomp refuses a rule that repeats the default action (EACCES); it
            // changes nothing, so it is skipped, as runc skips it.
            if action == defaultAction { continue }
            let comparisons = try (rule.args ?? []).map { arg -> SeccompFilter.Comparison in
                guard let op = Self.operators[arg.op] else {
                    throw InitError.spec("linux.seccomp.syscalls[\(index)]: unknown operator \"\(arg.op)\"")
                }
                return SeccompFilter.Comparison(index: UInt32(arg.index), op: op, value: arg.value, valueTwo: arg.valueTwo ?? 0)
            }
            // libseccomp refuses two comparisons of one argument in a rule; runc then adds
            // one rule per comparison.
            let indexes = comparisons.map(\.index)
            let groups = Set(indexes).count == indexes.count ? [comparisons] : comparisons.map { [$0] }
            for name in rule.names {
                guard let nr = SeccompFilter.syscallNumber(name) else {
                    if !skippedNames.contains(name) { skippedNames.append(name) }
                    continue
                }
                for group in groups {
                    try filter.add(action: action, syscall: nr, comparisons: group)
                }
            }
        }
    }

    /// The warning for the skipped names, if any.
    var warning: String? {
        skippedNames.isEmpty ? nil : "linux.seccomp: ignoring syscalls unknown to libseccomp: " + skippedNames.joined(separator: ", ")
    }

    func load() throws {
        if let kernelFlags { try filter.load(kernelFlags: kernelFlags, prefix: stub) } else { try filter.load() }
    }

    /// The stub runc builds (its patchbpf), unless the default action already lets
    /// unknown syscalls through (allow, log, trace) or answers ENOSYS. The highest
    /// syscall number is taken over every name in the profile, whatever its rule's
    /// action; with no `architectures`, the filter (and the stub) covers the native one.
    static func enosysStub(_ config: LinuxSeccomp, defaultAction: UInt32, architectures: [UInt32]) -> [SeccompStub.Instruction] {
        let permissive = ["SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE"].contains(config.defaultAction)
        guard !permissive, defaultAction != SeccompFilter.Action.errno(UInt32(ENOSYS)) else { return [] }
        let names = (config.syscalls ?? []).flatMap(\.names)
        var last: [SeccompStub.LastSyscall] = []
        for arch in architectures where !last.contains(where: { $0.arch == arch }) {
            if let highest = names.compactMap({ SeccompFilter.syscallNumber($0, arch: arch) }).max() {
                last.append(SeccompStub.LastSyscall(arch: arch, number: highest))
            }
        }
        return SeccompStub.program(last)
    }

    /// Loads the filter; with notify rules, hands the listener fd to the parent over `sync`
    /// and waits until the parent has passed it on to the listener (as runc does).
    ///
    /// Between the load and the hand-off the init makes only the sendmsg that carries the
    /// fd: a notification then would wait for a listener that does not have the fd yet.
    /// Validation therefore refuses notify on `sendmsg` (and on `write`, as runc does, and
    /// as the default action). Everything after the hand-off may notify: the listener
    /// answers.
    func load(handingListenerTo sync: SyncSocket) throws {
        try load()
        guard notifies else { return }
        let fd = try filter.notifyFD()
        defer { close(fd) }
        try sync.send(.seccompListener(fd: fd))
        guard case .seccompListenerForwarded = try sync.receive() else {
            throw InitError("linux.seccomp: the parent did not pass the listener fd on")
        }
    }

    static let operators: [String: SeccompFilter.Operator] = [
        "SCMP_CMP_NE": .notEqual, "SCMP_CMP_LT": .lessThan, "SCMP_CMP_LE": .lessOrEqual, "SCMP_CMP_EQ": .equal,
        "SCMP_CMP_GE": .greaterOrEqual, "SCMP_CMP_GT": .greaterThan, "SCMP_CMP_MASKED_EQ": .maskedEqual,
    ]

    static func action(_ name: String, errnoRet: UInt32?) throws -> UInt32 {
        switch name {
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return SeccompFilter.Action.killThread
        case "SCMP_ACT_KILL_PROCESS": return SeccompFilter.Action.killProcess
        case "SCMP_ACT_TRAP": return SeccompFilter.Action.trap
        case "SCMP_ACT_ERRNO": return SeccompFilter.Action.errno(errnoRet ?? 1)
        case "SCMP_ACT_TRACE": return SeccompFilter.Action.trace(errnoRet ?? 1)
        case "SCMP_ACT_ALLOW": return SeccompFilter.Action.allow
        case "SCMP_ACT_LOG": return SeccompFilter.Action.log
        case "SCMP_ACT_NOTIFY": return SeccompFilter.Action.notify
        default:
            throw InitError.spec("linux.seccomp: unknown action \"\(name)\"")
        }
    }

    /// `SCMP_ARCH_X86_64` → `x86_64`, the name libseccomp resolves.
    static func archName(_ arch: String) -> String {
        var name = arch.hasPrefix("SCMP_ARCH_") ? String(arch.dropFirst("SCMP_ARCH_".count)) : arch
        name = name.lowercased()
        return name
    }
}
