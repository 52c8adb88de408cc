import BerthSystem
import Glibc

/// Where a container process's standard input, output and error go: for the init
/// (`CreateOptions.io`) and for `Container.exec(_:io:options:)`.
public enum ProcessIO: Sendable, Equatable {
    /// The process shares this program's standard input, output and error.
    case inherit
    /// The process gets these descriptors as its standard input, output and error. They
    /// stay the caller's: berth duplicates them and never closes them.
    case descriptors(input: Int32, output: Int32, error: Int32)
    /// Three new pipes. The caller gets the other ends, `ContainerProcess.standardInput`
    /// (write to it, close it to send end of file), `standardOutput` and `standardError`
    /// (read them to end of file), and closes them.
    case pipes
    /// A new pseudo-terminal, made inside the container, whose slave is the process's
    /// controlling terminal and standard streams. The caller gets its master in
    /// `ContainerProcess.terminal`. The process's `terminal` must be true (`exec` sets it).
    case terminal
}

/// The master side of a container process's pseudo-terminal (`ProcessIO.terminal`): read
/// the process's output from it, write its input to it. It is a terminal like any other:
/// output lines end in `\r\n`, input is echoed, and reading returns EIO once every
/// process holding the slave has exited.
public struct PseudoTerminal: Sendable {
    /// The master's descriptor; the caller owns it and closes it (`close()`).
    public let master: Int32

    /// Sets the terminal's window size; the process gets SIGWINCH.
    public func resize(rows: UInt16, columns: UInt16) {
        Terminal.setSize(master, rows: rows, cols: columns)
    }

    /// The terminal's window size now.
    public var size: (rows: UInt16, columns: UInt16) {
        let size = Terminal.windowSize(master)
        return (size.rows, size.cols)
    }

    /// Closes the master: the process's terminal hangs up.
    public func close() {
        _ = Glibc.close(master)
    }
}
