import CBerth
import Glibc

/// The process's arguments as glibc handed them to its start-up code (kept by CBerth's
/// constructor). On Linux the Swift runtime finds `CommandLine.arguments` by reading
/// /proc/self/maps in a constructor of its own: a file read at every start, and none at
/// all without a free descriptor.
public enum ProcessArguments {
    /// The arguments, the program's name first; empty if the process did not start
    /// through glibc's start-up.
    public static func current() -> [String] {
        guard let argv = berth_argv() else { return [] }
        let argc = Int(berth_argc())
        var arguments: [String] = []
        arguments.reserveCapacity(argc)
        for i in 0..<argc {
            guard let argument = argv[i] else { break }
            // Decoded as the file readers decode bytes: `String(cString:)` sits in a part of
            // the standard library's code that no other step of a short command runs.
            arguments.append(String(decoding: UnsafeRawBufferPointer(start: argument, count: strlen(argument)), as: UTF8.self))
        }
        return arguments
    }
}
