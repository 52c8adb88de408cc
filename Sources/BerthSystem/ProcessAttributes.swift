import CBerth
import Glibc

/// Per-process kernel attributes a container process starts with: CPU affinity, the
/// scheduling policy, the I/O priority, the NUMA memory policy and the execution domain.
/// All of them survive execve.
public enum ProcessAttributes {
    /// Bytes of a CPU mask: 8192 CPUs, the kernel's largest NR_CPUS. The kernel reads
    /// only as much as it has CPUs.
    static let maskBytes = 1024

    /// Sets the CPU affinity of `pid` (0: this process) to `cpus`.
    public static func setCPUAffinity(pid: Int32 = 0, cpus: [Int]) throws(SyscallError) {
        var mask = [UInt8](repeating: 0, count: maskBytes)
        for cpu in cpus where cpu >= 0 && cpu < maskBytes * 8 { mask[cpu / 8] |= UInt8(1) << UInt8(cpu % 8) }
        try sys("sched_setaffinity", "CPUs \(cpus)") { berth_sched_setaffinity(pid, mask, mask.count) }
    }

    /// Allows `pid` every CPU. The kernel keeps only those of its cgroup's cpuset, so this
    /// undoes an affinity inherited from berth's caller (`taskset -c 0 berth run`).
    public static func allowAllCPUs(pid: Int32 = 0) throws(SyscallError) {
        let mask = [UInt8](repeating: 0xff, count: maskBytes)
        try sys("sched_setaffinity", "all CPUs") { berth_sched_setaffinity(pid, mask, mask.count) }
    }

    /// The CPUs `pid` may run on.
    public static func cpuAffinity(pid: Int32 = 0) throws(SyscallError) -> [Int] {
        var mask = [UInt8](repeating: 0, count: maskBytes)
        let n = try sys("sched_getaffinity") { berth_sched_getaffinity(pid, &mask, mask.count) }
        var cpus: [Int] = []
        for byte in 0..<Int(n) where mask[byte] != 0 {
            for bit in 0..<8 where mask[byte] & (UInt8(1) << UInt8(bit)) != 0 { cpus.append(byte * 8 + bit) }
        }
        return cpus
    }

    /// sched_setattr(2) on this process.
    public static func setScheduler(
        policy: UInt32, flags: UInt64, nice: Int32, priority: UInt32,
        runtime: UInt64, deadline: UInt64, period: UInt64
    ) throws(SyscallError) {
        try sys("sched_setattr") { berth_sched_setattr(0, policy, flags, nice, priority, runtime, deadline, period) }
    }

    /// ioprio_set(2) on this process's process group.
    public static func setIOPriority(class ioClass: Int32, level: Int32) throws(SyscallError) {
        let value = ioClass << Int32(BERTH_IOPRIO_CLASS_SHIFT) | level
        try sys("ioprio_set") { berth_ioprio_set(Int32(BERTH_IOPRIO_WHO_PGRP), 0, value) }
    }

    /// set_mempolicy(2): `mode` with its flags or-ed in, over `nodes`.
    public static func setMemoryPolicy(mode: Int32, nodes: [Int]) throws(SyscallError) {
        let bits = UInt.bitWidth
        var mask = [UInt](repeating: 0, count: (nodes.max() ?? 0) / bits + 1)
        for node in nodes { mask[node / bits] |= UInt(1) << UInt(node % bits) }
        // maxnode counts bits, and the kernel ignores the last one of them.
        let maxnode = nodes.isEmpty ? 0 : UInt(mask.count * bits + 1)
        try sys("set_mempolicy") {
            mask.withUnsafeBufferPointer { berth_set_mempolicy(mode, nodes.isEmpty ? nil : $0.baseAddress, maxnode) }
        }
    }

    /// personality(2).
    public static func setPersonality(_ persona: UInt) throws(SyscallError) {
        try sys("personality") { berth_personality(persona) }
    }
}
