import BerthSpec
import BerthSystem

/// How the container's process runs, beyond its credentials: `linux.personality`,
/// `linux.memoryPolicy`, `process.ioPriority` and `process.scheduler`. The kernel keeps all
/// four across execve, so the init and the exec child set them on themselves, for the
/// process they become.
///
/// They are applied before a seccomp filter is loaded (the profile is the container
/// process's, and may refuse personality(2) or sched_setattr(2) to it) and while the
/// capabilities they may need (CAP_SYS_NICE for a real-time policy or a lower nice value,
/// CAP_SYS_ADMIN for the real-time I/O class) are still held.
struct ExecutionAttributes {
    var personality: LinuxPersonality?
    var memoryPolicy: LinuxMemoryPolicy?
    var ioPriority: LinuxIOPriority?
    var scheduler: Scheduler?
    /// `linux.resources.cpu.cpus` is set: a scheduler the kernel refuses with EPERM then
    /// fails with runc's explanation.
    var cpusRestricted = false

    init(process: Process, linux: Linux?) {
        personality = linux?.personality
        memoryPolicy = linux?.memoryPolicy
        ioPriority = process.ioPriority
        scheduler = process.scheduler
        cpusRestricted = !(linux?.resources?.cpu?.cpus ?? "").isEmpty
    }

    func apply() throws {
        if let personality, let domain = PersonalityTable.domains[personality.domain] {
            do throws(SyscallError) { try ProcessAttributes.setPersonality(domain) } catch {
                throw InitError("linux.personality: \(error)", errno: error.errno.rawValue)
            }
        }
        if let policy = memoryPolicy, !policy.isEmpty { try apply(policy) }
        if let io = ioPriority, let ioClass = IOPriorityTable.classes[io.class] {
            do throws(SyscallError) { try ProcessAttributes.setIOPriority(class: ioClass, level: Int32(io.priority)) } catch {
                throw InitError("failed to set io priority: \(errnoText(error.errno))", errno: error.errno.rawValue)
            }
        }
        if let scheduler, let policy = SchedulerTable.policies[scheduler.policy] {
            let flags = (scheduler.flags ?? []).reduce(UInt64(0)) { $0 | (SchedulerTable.flags[$1] ?? 0) }
            do throws(SyscallError) {
                try ProcessAttributes.setScheduler(
                    policy: policy, flags: flags, nice: scheduler.nice ?? 0, priority: UInt32(clamping: scheduler.priority ?? 0),
                    runtime: scheduler.runtime ?? 0, deadline: scheduler.deadline ?? 0, period: scheduler.period ?? 0)
            } catch {
                // SCHED_DEADLINE needs an affinity that spans the whole root domain, which a
                // cpuset smaller than the machine denies.
                if error.errno == .notPermitted && cpusRestricted {
                    throw InitError("process scheduler can't be used together with AllowedCPUs", errno: error.errno.rawValue)
                }
                throw InitError("error setting scheduler: \(errnoText(error.errno))", errno: error.errno.rawValue)
            }
        }
    }

    private func apply(_ policy: LinuxMemoryPolicy) throws {
        guard let mode = MemoryPolicyTable.modes[policy.mode],
            case .success(let nodes) = CPUList.parse(policy.nodes, limit: MemoryPolicyTable.maxNode)
        else {
            throw InitError("linux.memoryPolicy: invalid memory policy")  // validation refused these already
        }
        let flags = (policy.flags ?? []).reduce(Int32(0)) { $0 | (MemoryPolicyTable.flags[$1] ?? 0) }
        do throws(SyscallError) { try ProcessAttributes.setMemoryPolicy(mode: mode | flags, nodes: nodes) } catch {
            throw InitError(
                "linux.memoryPolicy: set_mempolicy \(policy.mode) nodes \"\(policy.nodes)\": \(errnoText(error.errno))",
                errno: error.errno.rawValue)
        }
    }
}
