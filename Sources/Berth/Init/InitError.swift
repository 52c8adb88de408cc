/// A failure inside the container init or exec child, reported to the parent as one
/// line (`SyncMessage.failed`) with its code: a config the child finds invalid is a spec
/// error, anything else a system one.
struct InitError: Error, CustomStringConvertible {
    var description: String
    var errno: Int32 = 0
    var code: BerthError.Code = .system

    init(_ message: String, errno: Int32 = 0) {
        self.description = message
        self.errno = errno
    }

    /// The config asks for something the child cannot do as written.
    static func spec(_ message: String) -> InitError {
        var error = InitError(message)
        error.code = .invalidSpec
        return error
    }
}
