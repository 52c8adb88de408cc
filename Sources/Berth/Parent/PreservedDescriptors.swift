import BerthSystem

/// `--preserve-fds N` (create, run, exec): descriptors 3 onward (after the LISTEN_FDS
/// ones) that the container's process is to keep. They must be open in berth, as runc
/// requires (its exec of the init fails on a closed one): checked before anything is
/// made, so a count that names no descriptors (a typo, a negative or huge number) is one
/// line of error, never a trap or a loop over billions of numbers in the init.
enum PreservedDescriptors {
    static func check(first: Int, count: Int) throws(BerthError) {
        guard count >= 0 else { throw BerthError(.invalidSpec, "preserve-fds \(count): must not be negative") }
        if let fd = Descriptors.firstClosed(from: first, count: count) {
            throw BerthError(.invalidSpec, "preserve-fds \(count): descriptor \(fd) is not open")
        }
    }
}
