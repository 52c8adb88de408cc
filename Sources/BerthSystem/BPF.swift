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
}
