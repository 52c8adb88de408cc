import BerthSpec
import BerthSystem

/// The errors the Berth library throws: a code callers can switch on, and a message
/// whose wording follows runc where callers match on it.
public struct BerthError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public enum Code: Sendable, Equatable {
        /// The container (or another named object) does not exist.
        case notFound
        /// A container with this id already exists.
        case alreadyExists
        /// The operation does not fit the container's status.
        case invalidState
        /// config.json, the bundle or an argument is invalid.
        case invalidSpec
        /// A system call or the container process failed.
        case system
    }

    /// What kind of failure this is.
    public var code: Code
    /// One line, naming what failed and why.
    public var message: String
    /// The errno behind a system failure, when there is one.
    public var errno: Int32?

    /// An error of kind `code`, worded `message`, with the errno behind it if any.
    public init(_ code: Code, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    /// The message.
    public var description: String { message }

    static func system(_ context: String, _ error: SyscallError) -> BerthError {
        BerthError(.system, "\(context): \(error)", errno: error.errno.rawValue)
    }

    static func spec(_ error: SpecError) -> BerthError {
        BerthError(.invalidSpec, error.message)
    }

    static let containerNotExist = BerthError(.notFound, "container does not exist")
    static let containerNotRunning = BerthError(.invalidState, "container not running")
}
