import CBerth
import Glibc

/// bpf(2) for cgroup v2 device control: a BPF_PROG_TYPE_CGROUP_DEVICE program loaded
/// and attached to a cgroup directory.
public enum BPF {
    /// Loads a device program of 8-byte instructions; returns its descriptor. A refusal
    /// names the verifier's first lines.
    public static func loadDeviceProgram(_ code: [UInt64]) throws(SyscallError) -> Int32 {
        var log = [CChar](repeating: 0, count: 65536)
        let prog = code.withUnsafeBytes { insns in
            berth_bpf_load_device_program(insns.baseAddress, UInt32(code.count), &log, UInt32(log.count))
        }
        guard prog >= 0 else {
            let e = currentErrno()
            let text = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let verifier = text.split(separator: "\n").prefix(3).joined(separator: "; ")
            throw SyscallError("bpf(BPF_PROG_LOAD) device program" + (verifier.isEmpty ? "" : " (\(verifier))"), errno: e)
        }
        return prog
    }

    /// Attaches the device program `prog` to the cgroup directory `cgroupFD`
    /// (BPF_F_ALLOW_MULTI); `path` names the directory in errors.
    public static func attachDeviceProgram(_ prog: Int32, to cgroupFD: Int32, path: String) throws(SyscallError) {
        try sys("bpf(BPF_PROG_ATTACH)", path) { berth_bpf_attach_device_program(cgroupFD, prog) }
    }

    /// Ids of the device programs attached to the cgroup itself (not inherited ones).
    public static func attachedDevicePrograms(cgroupFD: Int32, path: String) throws(SyscallError) -> [UInt32] {
        var ids = [UInt32](repeating: 0, count: 64)
        var count = UInt32(ids.count)
        try sys("bpf(BPF_PROG_QUERY)", path) { berth_bpf_query_device_programs(cgroupFD, &ids, &count) }
        return Array(ids.prefix(Int(min(count, UInt32(ids.count)))))
    }

    /// A descriptor for the program with `id` (close it).
    public static func programFD(id: UInt32) throws(SyscallError) -> Int32 {
        try sys("bpf(BPF_PROG_GET_FD_BY_ID)", "program \(id)") { berth_bpf_program_fd(id) }
    }

    /// Puts the device program `prog` in the place of `old` in one step
    /// (BPF_F_ALLOW_MULTI | BPF_F_REPLACE): no moment with neither, or both.
    public static func replaceDeviceProgram(_ old: Int32, with prog: Int32, on cgroupFD: Int32, path: String) throws(SyscallError) {
        try sys("bpf(BPF_PROG_ATTACH, BPF_F_REPLACE)", path) { berth_bpf_replace_device_program(cgroupFD, prog, old) }
    }

    /// Detaches the device program `prog` from the cgroup.
    public static func detachDeviceProgram(_ prog: Int32, from cgroupFD: Int32, path: String) throws(SyscallError) {
        try sys("bpf(BPF_PROG_DETACH)", path) { berth_bpf_detach_device_program(cgroupFD, prog) }
    }
}
