import CBerth
import CSeccomp
import Glibc
import SystemPackage

/// A seccomp filter built with libseccomp: actions and comparisons in libseccomp's terms,
/// loaded into the calling thread.
public final class SeccompFilter {
    let ctx: scmp_filter_ctx
    /// The listener of a filter loaded with `load(kernelFlags:)`.
    private var listener: Int32 = -1

    /// libseccomp action values (the function-like macros are not importable).
    public enum Action {
        public static let killProcess: UInt32 = 0x8000_0000
        public static let killThread: UInt32 = 0x0000_0000
        public static let trap: UInt32 = 0x0003_0000
        public static let notify: UInt32 = 0x7fc0_0000
        public static let log: UInt32 = 0x7ffc_0000
        public static let allow: UInt32 = 0x7fff_0000
        public static func errno(_ value: UInt32) -> UInt32 { 0x0005_0000 | (value & 0xffff) }
        public static func trace(_ value: UInt32) -> UInt32 { 0x7ff0_0000 | (value & 0xffff) }
    }

    /// libseccomp's argument comparison operators (SCMP_CMP_*).
    public enum Operator: UInt32, Sendable {
        case notEqual = 1, lessThan, lessOrEqual, equal, greaterOrEqual, greaterThan, maskedEqual
    }

    /// One argument comparison.
    public struct Comparison: Sendable {
        public var index: UInt32
        public var op: Operator
        public var value: UInt64
        public var valueTwo: UInt64

        public init(index: UInt32, op: Operator, value: UInt64, valueTwo: UInt64) {
            self.index = index
            self.op = op
            self.value = value
            self.valueTwo = valueTwo
        }
    }

    public init(defaultAction: UInt32) throws(SyscallError) {
        guard let ctx = seccomp_init(defaultAction) else {
            throw SyscallError("seccomp_init", errno: .invalidArgument)
        }
        self.ctx = ctx
    }

    deinit { seccomp_release(ctx) }

    /// Adds an architecture by its libseccomp name (`x86_64`, `x86`, `aarch64`...);
    /// false when libseccomp does not know it.
    @discardableResult
    public func addArchitecture(_ name: String) throws(SyscallError) -> Bool {
        let token = seccomp_arch_resolve_name(name)
        guard token != 0 else { return false }
        let rc = seccomp_arch_add(ctx, token)
        if rc != 0 && rc != -EEXIST { throw SyscallError("seccomp_arch_add", name, errno: Errno(rawValue: -rc)) }
        return true
    }

    /// The filter attributes berth sets (SCMP_FLTATR_CTL_*).
    public enum Attribute: Sendable {
        /// Set no_new_privs when loading (libseccomp's default: on).
        case noNewPrivileges
        /// Log every action but allow (SECCOMP_FILTER_FLAG_LOG).
        case log
        /// Leave speculative store bypass mitigation off (SECCOMP_FILTER_FLAG_SPEC_ALLOW).
        case speculativeStoreBypass
        /// Load into every thread (SECCOMP_FILTER_FLAG_TSYNC).
        case threadSync

        var libseccomp: scmp_filter_attr {
            switch self {
            case .noNewPrivileges: return SCMP_FLTATR_CTL_NNP
            case .log: return SCMP_FLTATR_CTL_LOG
            case .speculativeStoreBypass: return SCMP_FLTATR_CTL_SSB
            case .threadSync: return SCMP_FLTATR_CTL_TSYNC
            }
        }
    }

    /// Turns a filter attribute on or off.
    public func set(_ attribute: Attribute, _ on: Bool) throws(SyscallError) {
        let rc = seccomp_attr_set(ctx, attribute.libseccomp, on ? 1 : 0)
        if rc != 0 { throw SyscallError("seccomp_attr_set", "\(attribute)", errno: Errno(rawValue: -rc)) }
    }

    /// The syscall number for a name on the filter's architectures, nil when unknown.
    public static func syscallNumber(_ name: String) -> Int32? {
        let nr = seccomp_syscall_resolve_name(name)
        return nr == __NR_SCMP_ERROR ? nil : nr
    }

    /// The syscall's real number on one architecture (an SCMP_ARCH_* token), nil when it
    /// has none there (libseccomp's negative pseudo-numbers included).
    public static func syscallNumber(_ name: String, arch: UInt32) -> UInt32? {
        let nr = seccomp_syscall_resolve_name_arch(arch, name)
        return nr >= 0 ? UInt32(nr) : nil
    }

    /// The SCMP_ARCH_* token of a libseccomp architecture name (`x86_64`, `x32`), nil
    /// when libseccomp does not know it.
    public static func archToken(_ name: String) -> UInt32? {
        let token = seccomp_arch_resolve_name(name)
        return token == 0 ? nil : token
    }

    /// The SCMP_ARCH_* token of the architecture berth runs on.
    public static var nativeArch: UInt32 { seccomp_arch_native() }

    /// Adds a rule; the comparisons must name distinct arguments.
    public func add(action: UInt32, syscall: Int32, comparisons: [Comparison]) throws(SyscallError) {
        let args = comparisons.map {
            scmp_arg_cmp(arg: $0.index, op: scmp_compare(rawValue: $0.op.rawValue), datum_a: $0.value, datum_b: $0.valueTwo)
        }
        let rc = args.withUnsafeBufferPointer {
            seccomp_rule_add_array(ctx, action, syscall, UInt32($0.count), $0.baseAddress)
        }
        if rc != 0 { throw SyscallError("seccomp_rule_add", "syscall \(syscall)", errno: Errno(rawValue: -rc)) }
    }

    /// Loads the filter into the calling thread. A filter with notify rules is loaded with
    /// SECCOMP_FILTER_FLAG_NEW_LISTENER (libseccomp adds it); see `notifyFD`.
    public func load() throws(SyscallError) {
        let rc = seccomp_load(ctx)
        if rc != 0 { throw SyscallError("seccomp_load", errno: Errno(rawValue: -rc)) }
    }

    /// SECCOMP_FILTER_FLAG_* values for `load(kernelFlags:)`.
    public enum KernelFlag {
        public static let tsync: UInt32 = 1
        public static let log: UInt32 = 2
        public static let specAllow: UInt32 = 4
        public static let newListener: UInt32 = 8
        public static let waitKillableRecv: UInt32 = 32
    }

    /// Loads the filter with seccomp(2) itself: the program libseccomp generated is
    /// exported, `prefix` (a stub that answers some syscalls itself and otherwise falls
    /// through into the program) put in front, and the whole loaded with `flags`, which
    /// may include ones this libseccomp cannot set (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
    /// needs libseccomp 2.6; Debian 12 has 2.5.4).
    public func load(kernelFlags flags: UInt32, prefix: [SeccompStub.Instruction] = []) throws(SyscallError) {
        let memfd = try FileIO.memoryFile(named: "berth-seccomp")
        defer { close(memfd) }
        let rc = seccomp_export_bpf(ctx, memfd)
        if rc != 0 { throw SyscallError("seccomp_export_bpf", errno: Errno(rawValue: -rc)) }
        let size = lseek(memfd, 0, SEEK_END)
        // The kernel takes at most BPF_MAXINSNS (4096) instructions.
        guard size > 0, size % 8 == 0, Int(size) / 8 + prefix.count <= 4096 else {
            throw SyscallError("seccomp_export_bpf", "program of \(Int(size) / 8 + prefix.count) instructions", errno: .invalidArgument)
        }
        // struct sock_filter in host byte order, as libseccomp exports it.
        var program: [UInt8] = []
        program.reserveCapacity(prefix.count * 8 + Int(size))
        for i in prefix {
            withUnsafeBytes(of: i.code) { program += $0 }
            program += [i.jt, i.jf]
            withUnsafeBytes(of: i.k) { program += $0 }
        }
        let start = program.count
        program += [UInt8](repeating: 0, count: Int(size))
        let read = program.withUnsafeMutableBytes { pread(memfd, $0.baseAddress! + start, Int(size), 0) }
        guard read == size else {
            throw SyscallError("pread", "exported seccomp program", errno: currentErrno())
        }
        let fd = program.withUnsafeBytes { berth_seccomp_set_filter(flags, $0.baseAddress, UInt16(program.count / 8)) }
        if fd < 0 { throw SyscallError("seccomp(SECCOMP_SET_MODE_FILTER)", "flags \(flags)", errno: currentErrno()) }
        if flags & KernelFlag.newListener != 0 {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            listener = fd
        }
    }

    /// The listener descriptor of a loaded filter with notify rules (close-on-exec; the
    /// caller owns it).
    public func notifyFD() throws(SyscallError) -> Int32 {
        if listener >= 0 {
            defer { listener = -1 }
            return listener
        }
        let fd = seccomp_notify_fd(ctx)
        if fd < 0 { throw SyscallError("seccomp_notify_fd", errno: Errno(rawValue: -fd)) }
        return fd
    }
}
