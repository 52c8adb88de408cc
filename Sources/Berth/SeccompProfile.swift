import BerthSpec
import BerthSystem
import CSeccomp

/// `linux.seccomp` turned into a libseccomp filter, as runc builds it.
struct SeccompProfile {
    let filter: SeccompFilter

    /// Builds the filter. Unknown syscall names are skipped (the profile may name
    /// syscalls of newer kernels or other architectures); unknown actions, operators and
    /// flags were already refused by validation.
    init(_ config: LinuxSeccomp) throws {
        filter = try SeccompFilter(defaultAction: try Self.action(config.defaultAction, errnoRet: config.defaultErrnoRet))
        for arch in config.architectures ?? [] {
            try filter.addArchitecture(Self.archName(arch))
        }
        // Runs as late as the process's privileges allow; no_new_privs is the caller's
        // choice (process.noNewPrivileges), not libseccomp's.
        try filter.set(attribute: SCMP_FLTATR_CTL_NNP, 0)
        for flag in config.flags ?? [] {
            switch flag {
            case "SECCOMP_FILTER_FLAG_LOG": try filter.set(attribute: SCMP_FLTATR_CTL_LOG, 1)
            case "SECCOMP_FILTER_FLAG_SPEC_ALLOW": try filter.set(attribute: SCMP_FLTATR_CTL_SSB, 1)
            case "SECCOMP_FILTER_FLAG_TSYNC": try filter.set(attribute: SCMP_FLTATR_CTL_TSYNC, 1)
            default: break
            }
        }
        for (index, rule) in (config.syscalls ?? []).enumerated() {
            let action = try Self.action(rule.action, errnoRet: rule.errnoRet)
            let comparisons = try (rule.args ?? []).map { arg -> SeccompFilter.Comparison in
                guard let op = Self.operators[arg.op] else {
                    throw InitError("linux.seccomp.syscalls[\(index)]: unknown operator \"\(arg.op)\"")
                }
                return SeccompFilter.Comparison(index: UInt32(arg.index), op: op, value: arg.value, valueTwo: arg.valueTwo ?? 0)
            }
            // libseccomp refuses two comparisons of one argument in a rule; runc then adds
            // one rule per comparison.
            let indexes = comparisons.map(\.index)
            let groups = Set(indexes).count == indexes.count ? [comparisons] : comparisons.map { [$0] }
            for name in rule.names {
                guard let nr = SeccompFilter.syscallNumber(name) else { continue }
                for group in groups {
                    try filter.add(action: action, syscall: nr, comparisons: group)
                }
            }
        }
    }

    func load() throws { try filter.load() }

    static let operators: [String: UInt32] = [
        "SCMP_CMP_NE": 1, "SCMP_CMP_LT": 2, "SCMP_CMP_LE": 3, "SCMP_CMP_EQ": 4,
        "SCMP_CMP_GE": 5, "SCMP_CMP_GT": 6, "SCMP_CMP_MASKED_EQ": 7,
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
        case "SCMP_ACT_NOTIFY":
            throw InitError("linux.seccomp: SCMP_ACT_NOTIFY is not supported yet")
        default:
            throw InitError("linux.seccomp: unknown action \"\(name)\"")
        }
    }

    /// `SCMP_ARCH_X86_64` → `x86_64`, the name libseccomp resolves.
    static func archName(_ arch: String) -> String {
        var name = arch.hasPrefix("SCMP_ARCH_") ? String(arch.dropFirst("SCMP_ARCH_".count)) : arch
        name = name.lowercased()
        return name
    }
}
