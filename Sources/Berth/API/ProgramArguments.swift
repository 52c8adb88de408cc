import BerthSystem

/// The running program's arguments, its name first, as glibc handed them to the
/// program's start-up. Unlike `CommandLine.arguments` on Linux, they need no file read
/// (the Swift runtime reads /proc/self/maps to find them) and no free descriptor; the
/// `berth` executable is linked without the runtime's reader (`scripts/data-layout.ld`).
public enum ProgramArguments {
    /// Empty if the program did not start through glibc's start-up.
    public static var current: [String] { ProcessArguments.current() }
}
