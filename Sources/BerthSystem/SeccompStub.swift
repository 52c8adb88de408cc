/// The -ENOSYS stub runc puts in front of a seccomp filter (its `patchbpf`), in classic
/// BPF: a syscall whose number is above the highest one the profile names for the
/// caller's architecture gets ENOSYS instead of the profile's default action.
///
/// A profile written before a syscall existed cannot name it, so its default action
/// (typically EPERM) answers it, and C libraries that try the new call first (clone3,
/// faccessat2, close_range...) take EPERM for "not allowed" rather than "not here" and
/// do not fall back to the old call. ENOSYS makes them fall back. Syscalls numbered
/// below the highest named one keep the default action: the stub cannot tell a new
/// syscall from an old one the profile leaves out.
public enum SeccompStub {
    /// One classic BPF instruction (struct sock_filter).
    public struct Instruction: Equatable, Sendable {
        public var code: UInt16
        public var jt: UInt8
        public var jf: UInt8
        public var k: UInt32
    }

    /// The highest syscall number a profile names on one libseccomp architecture.
    public struct LastSyscall: Sendable {
        /// The libseccomp architecture token (SCMP_ARCH_*).
        public var arch: UInt32
        public var number: UInt32

        public init(arch: UInt32, number: UInt32) {
            self.arch = arch
            self.number = number
        }
    }

    // Classic BPF opcodes and the offsets into struct seccomp_data the stub reads.
    static let loadWordAbsolute: UInt16 = 0x20  // BPF_LD | BPF_W | BPF_ABS
    static let jumpAlways: UInt16 = 0x05  // BPF_JMP | BPF_JA
    static let jumpIfEqual: UInt16 = 0x15  // BPF_JMP | BPF_JEQ | BPF_K
    static let jumpIfGreater: UInt16 = 0x25  // BPF_JMP | BPF_JGT | BPF_K
    static let jumpIfBitsSet: UInt16 = 0x45  // BPF_JMP | BPF_JSET | BPF_K
    static let returnConstant: UInt16 = 0x06  // BPF_RET | BPF_K
    static let syscallNumberOffset: UInt32 = 0
    static let archOffset: UInt32 = 4
    /// x32 syscalls run under AUDIT_ARCH_X86_64 with this bit set in their number.
    static let x32SyscallBit: UInt32 = 0x4000_0000
    static let x32Token: UInt32 = 0x4000_003E  // SCMP_ARCH_X32 (EM_X86_64 | __AUDIT_ARCH_LE)
    static let x86_64Token: UInt32 = 0xC000_003E  // SCMP_ARCH_X86_64 = AUDIT_ARCH_X86_64
    static let enosys: UInt32 = 0x0005_0000 | 38  // SCMP_ACT_ERRNO(ENOSYS)

    /// The stub for these architectures; empty when there is nothing to patch. It jumps
    /// into the filter that follows it for everything it does not answer itself (other
    /// architectures too: the filter's bad-architecture action handles those).
    public static func program(_ last: [LastSyscall]) -> [Instruction] {
        // One section per kernel architecture (AUDIT_ARCH_*): x32 shares x86_64's and is
        // told apart by the x32 bit of the syscall number.
        var byAudit: [(audit: UInt32, plain: UInt32?, x32: UInt32?)] = []
        for entry in last {
            let isX32 = entry.arch == x32Token
            let audit = isX32 ? x86_64Token : entry.arch
            let i =
                byAudit.firstIndex { $0.audit == audit }
                ?? {
                    byAudit.append((audit, nil, nil)); return byAudit.count - 1
                }()
            if isX32 {
                byAudit[i].x32 = max(byAudit[i].x32 ?? 0, entry.number | x32SyscallBit)
            } else {
                byAudit[i].plain = max(byAudit[i].plain ?? 0, entry.number)
            }
        }
        guard !byAudit.isEmpty else { return [] }

        // Built with symbolic targets, resolved once every position is known.
        enum Target { case next, section(Int), x32Check(Int), enosys, filter }
        struct Symbolic { var code: UInt16; var k: UInt32; var jt: Target; var jf: Target }
        var code: [Symbolic] = [Symbolic(code: loadWordAbsolute, k: archOffset, jt: .next, jf: .next)]
        for (i, arch) in byAudit.enumerated() {
            code.append(Symbolic(code: jumpIfEqual, k: arch.audit, jt: .section(i), jf: .next))
        }
        code.append(Symbolic(code: jumpAlways, k: 0, jt: .filter, jf: .filter))
        var sectionStart: [Int] = []
        var x32Start: [Int: Int] = [:]
        for (i, arch) in byAudit.enumerated() {
            sectionStart.append(code.count)
            code.append(Symbolic(code: loadWordAbsolute, k: syscallNumberOffset, jt: .next, jf: .next))
            let onX86_64 = arch.audit == x86_64Token
            if onX86_64 {
                // x32 numbers go to their own comparison (or straight to the filter when the
                // profile has no x32 syscalls), x86_64 ones on.
                code.append(
                    Symbolic(
                        code: jumpIfBitsSet, k: x32SyscallBit,
                        jt: arch.x32 == nil ? .filter : .x32Check(i), jf: arch.plain == nil ? .filter : .next))
            }
            if let plain = arch.plain {
                code.append(Symbolic(code: jumpIfGreater, k: plain, jt: .enosys, jf: .filter))
            }
            if onX86_64, let x32 = arch.x32 {
                x32Start[i] = code.count
                code.append(Symbolic(code: jumpIfGreater, k: x32, jt: .enosys, jf: .filter))
            }
        }
        let enosysAt = code.count
        code.append(Symbolic(code: returnConstant, k: enosys, jt: .next, jf: .next))
        let filterAt = code.count

        func offset(_ target: Target, from pc: Int) -> Int {
            let to: Int
            switch target {
            case .next: return 0
            case .section(let i): to = sectionStart[i]
            case .x32Check(let i): to = x32Start[i] ?? filterAt
            case .enosys: to = enosysAt
            case .filter: to = filterAt
            }
            return to - (pc + 1)
        }
        // A handful of architectures keep every jump far below the 8-bit limit of jt/jf.
        guard filterAt < 256 else { return [] }
        return code.enumerated().map { pc, s in
            if s.code == jumpAlways {
                return Instruction(code: s.code, jt: 0, jf: 0, k: UInt32(offset(s.jt, from: pc)))
            }
            return Instruction(code: s.code, jt: UInt8(offset(s.jt, from: pc)), jf: UInt8(offset(s.jf, from: pc)), k: s.k)
        }
    }
}
