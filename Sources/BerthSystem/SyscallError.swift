import Glibc
import SystemPackage

/// A failed system call: what was attempted, on which path, and the errno it returned.
///
/// `errno` is captured immediately after the failing call, before any other code runs.
public struct SyscallError: Error, CustomStringConvertible, Sendable {
    /// The operation, named after the syscall or the step (`mount`, `openat2`, `write`).
    public var operation: String
    /// The path the operation acted on, when there is one.
    public var path: String?
    /// The error number the kernel returned.
    public var errno: Errno

    public init(_ operation: String, _ path: String? = nil, errno: Errno) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// Go-style text (`mount /proc: operation not permitted`), since callers of runc
    /// match on strerror wording in lower case.
    public var description: String {
        let what = path.map { "\(operation) \($0)" } ?? operation
        return "\(what): \(errnoText(errno))"
    }
}

/// strerror in the lower-case form Go (and so runc) prints.
public func errnoText(_ e: Errno) -> String {
    // glibc's messages are ASCII: the case is looked at byte by byte (a `Character`'s
    // case is a Unicode property look-up).
    var bytes = Array(String(cString: strerror(e.rawValue)).utf8)
    func isUpper(_ b: UInt8) -> Bool { b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") }
    if let first = bytes.first, isUpper(first), !(bytes.count > 1 && isUpper(bytes[1])) {
        bytes[0] = first + 32
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The calling thread's errno as an `Errno`.
@inline(__always)
public func currentErrno() -> Errno { Errno(rawValue: Glibc.errno) }

/// Runs a syscall-shaped closure, retrying on EINTR, and throws `SyscallError` when it
/// returns -1.
@discardableResult
@inline(__always)
public func sys<T: FixedWidthInteger>(
    _ operation: String, _ path: String? = nil, _ call: () -> T
) throws(SyscallError) -> T {
    while true {
        let r = call()
        if r != -1 { return r }
        let e = currentErrno()
        if e == .interrupted { continue }
        throw SyscallError(operation, path, errno: e)
    }
}
