/// How a process ended: its exit code, or the signal that killed it (decoded from
/// wait(2)'s status, as a shell reports it).
public struct ExitStatus: Sendable, Equatable {
    /// The exit code, or 128 + signal number for a process killed by a signal.
    public var code: Int32
    /// The signal that killed the process, if one did.
    public var signal: Int32?

    /// Decodes a status in waitpid(2)'s encoding.
    public init(rawWaitStatus status: Int32) {
        let sig = status & 0x7f
        if sig == 0 {
            code = (status >> 8) & 0xff
            signal = nil
        } else {
            code = 128 + sig
            signal = sig
        }
    }
}
