import BerthSpec
import BerthSystem
import Glibc

/// `linux.resources.devices` on cgroup v2: an eBPF program of type
/// BPF_PROG_TYPE_CGROUP_DEVICE attached to the container's cgroup.
///
/// The program checks the rules from the last to the first and the first match decides,
/// which is v1's "later rules override earlier ones"; the devices every container needs
/// are checked before all of them (as runc allows them after the config's rules), and a
/// device no rule matches is denied.
public enum DeviceProgram {
    /// One rule in the program's terms.
    struct Rule {
        /// 1 block, 2 char, nil any.
        var type: Int32?
        var major: Int32?
        var minor: Int32?
        /// BPF_DEVCG_ACC_* bits: mknod 1, read 2, write 4.
        var access: Int32
        var allow: Bool
    }

    /// BPF_DEVCG_ACC_* bits for an access string such as `rwm`.
    static func accessBits(_ access: some StringProtocol) -> Int32 {
        var bits: Int32 = 0
        for ch in access {
            switch ch {
            case "m": bits |= 1;
            case "r": bits |= 2;
            case "w": bits |= 4;
            default: break
            }
        }
        return bits
    }

    static func rule(_ r: LinuxDeviceCgroup) -> Rule {
        let type: Int32? =
            switch r.type ?? "a" {
            case "b": 1;
            case "c": 2;
            default: nil
            }
        let access = accessBits(r.access ?? "rwm")
        return Rule(
            type: type, major: r.major.map { Int32(truncatingIfNeeded: $0) },
            minor: r.minor.map { Int32(truncatingIfNeeded: $0) }, access: access == 0 ? 7 : access, allow: r.allow)
    }

    /// runc's always-allowed devices, in program terms.
    static let always: [Rule] = DeviceRules.always.map { line in
        let parts = line.split(separator: " ")
        let numbers = parts[1].split(separator: ":")
        return Rule(
            type: parts[0] == "b" ? 1 : 2, major: Int32(numbers[0]), minor: Int32(numbers[1]),
            access: accessBits(parts[2]), allow: true)
    }

    /// The program's instructions, 8 bytes each (struct bpf_insn).
    static func assemble(_ rules: [Rule]) -> [UInt64] {
        var code: [UInt64] = []
        func insn(_ op: UInt8, dst: UInt8 = 0, src: UInt8 = 0, off: Int16 = 0, imm: Int32 = 0) {
            var v = UInt64(op)
            v |= UInt64((src << 4) | (dst & 0xf)) << 8
            v |= UInt64(UInt16(bitPattern: off)) << 16
            v |= UInt64(UInt32(bitPattern: imm)) << 32
            code.append(v)
        }
        // r2 = type, r3 = access, r4 = major, r5 = minor (struct bpf_cgroup_dev_ctx).
        insn(0x61, dst: 2, src: 1, off: 0)  // r2 = *(u32 *)(r1 + 0)
        insn(0x54, dst: 2, imm: 0xffff)  // r2 &= 0xffff
        insn(0x61, dst: 3, src: 1, off: 0)  // r3 = *(u32 *)(r1 + 0)
        insn(0x74, dst: 3, imm: 16)  // r3 >>= 16
        insn(0x61, dst: 4, src: 1, off: 4)  // r4 = major
        insn(0x61, dst: 5, src: 1, off: 8)  // r5 = minor
        for rule in rules {
            // Each check jumps past the rest of this rule's block when it fails.
            var block: [(UInt8, UInt8, UInt8, Int32)] = []
            if let t = rule.type { block.append((0x55, 2, 0, t)) }  // if r2 != t skip
            if rule.access != 7 {
                block.append((0xbc, 6, 3, 0))  // r6 = r3
                block.append((0x54, 6, 0, ~rule.access))  // r6 &= ~access
                block.append((0x55, 6, 0, 0))  // if r6 != 0 skip
            }
            if let m = rule.major { block.append((0x55, 4, 0, m)) }  // if r4 != major skip
            if let m = rule.minor { block.append((0x55, 5, 0, m)) }  // if r5 != minor skip
            let total = block.count + 2
            for (i, b) in block.enumerated() {
                let isJump = b.0 == 0x55
                insn(b.0, dst: b.1, src: b.2, off: isJump ? Int16(total - i - 1) : 0, imm: b.3)
            }
            insn(0xb7, dst: 0, imm: rule.allow ? 1 : 0)  // r0 = verdict
            insn(0x95)  // exit
            // A rule without conditions decides everything left; the verifier refuses
            // the unreachable code after it.
            if block.isEmpty { return code }
        }
        insn(0xb7, dst: 0, imm: 0)  // no rule matched: deny
        insn(0x95)
        return code
    }

    /// Loads the program for `rules`; returns its descriptor.
    public static func load(_ rules: [LinuxDeviceCgroup]) throws(SyscallError) -> Int32 {
        try BPF.loadDeviceProgram(assemble(always + rules.reversed().map(rule)))
    }

    /// Loads the program for `rules` and attaches it to the cgroup at `directory`, in
    /// place of the program berth attached before (update): with BPF_F_REPLACE when there
    /// is exactly one, so no access is ever decided by neither or by both; otherwise the
    /// new one is attached first and the old ones detached after (the devices both allow
    /// stay allowed throughout).
    public static func attach(_ rules: [LinuxDeviceCgroup], to directory: String) throws(SyscallError) {
        let prog = try load(rules)
        defer { close(prog) }
        let dir = try sys("open", directory) { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(dir) }
        let old = try BPF.attachedDevicePrograms(cgroupFD: dir, path: directory)
        var oldFDs: [Int32] = []
        defer { for fd in oldFDs { close(fd) } }
        for id in old { oldFDs.append(try BPF.programFD(id: id)) }
        if oldFDs.count == 1 {
            do throws(SyscallError) {
                try BPF.replaceDeviceProgram(oldFDs[0], with: prog, on: dir, path: directory)
                return
            } catch  where error.errno == .invalidArgument {
                // A kernel before 5.6 has no BPF_F_REPLACE: attach, then detach below.
            }
        }
        try BPF.attachDeviceProgram(prog, to: dir, path: directory)
        for fd in oldFDs { try BPF.detachDeviceProgram(fd, from: dir, path: directory) }
    }
}
