/// An error in a configuration: it cannot be read, is not valid JSON, has a value of
/// the wrong type, or fails validation. The message is a single line fit for the CLI.
public struct SpecError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The message, e.g. `process.args: must not be empty`.
    public var message: String

    /// Creates an error with a message.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
