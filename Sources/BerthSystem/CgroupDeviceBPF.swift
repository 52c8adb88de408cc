import CBerth
import Glibc

/// The bpf(2) calls that manage the device programs attached to a cgroup v2 directory
/// (loading and the first attach stay with `DeviceProgram` until they move here too).
public enum CgroupDeviceBPF {
    /// Ids of the device programs attached to the cgroup itself (not inherited ones).
    public static func attachedPrograms(cgroupFD: Int32, path: String) throws(SyscallError) -> [UInt32] {
        var ids = [UInt32](repeating: 0, count: 64)
        var count = UInt32(ids.count)
        try sys("bpf(BPF_PROG_QUERY)", path) { berth_bpf_query_device_programs(cgroupFD, &ids, &count) }
        return Array(ids.prefix(Int(min(count, UInt32(ids.count)))))
    }

    /// A descriptor for the program with `id` (close it).
    public static func programFD(id: UInt32) throws(SyscallError) -> Int32 {
        try sys("bpf(BPF_PROG_GET_FD_BY_ID)", "program \(id)") { berth_bpf_program_fd(id) }
    }

    /// Puts `program` in the place of `old` in one step: no moment with neither, or both.
    public static func replace(cgroupFD: Int32, path: String, program: Int32, old: Int32) throws(SyscallError) {
        try sys("bpf(BPF_PROG_ATTACH, BPF_F_REPLACE)", path) { berth_bpf_replace_device_program(cgroupFD, program, old) }
    }

    /// Detaches `program` from the cgroup.
    public static func detach(cgroupFD: Int32, path: String, program: Int32) throws(SyscallError) {
        try sys("bpf(BPF_PROG_DETACH)", path) { berth_bpf_detach_device_program(cgroupFD, program) }
    }
}
