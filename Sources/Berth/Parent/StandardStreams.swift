import BerthSystem
import Glibc

/// The standard streams of a process about to be started (`ProcessIO`): the descriptors
/// that become its 0, 1 and 2, and the pipe ends the caller keeps.
final class StandardStreams {
    /// What becomes the child's 0, 1 and 2; nil to inherit this process's.
    let childEnds: [Int32]?
    /// Pipe ends made here for the child: closed in the parent once the child has them.
    private var madeChildEnds: [Int32]
    /// The caller's ends of `.pipes`: stdin's write end, stdout's and stderr's read ends.
    let input: Int32?
    let output: Int32?
    let error: Int32?

    init(_ io: ProcessIO) throws(BerthError) {
        switch io {
        case .inherit, .terminal:
            (childEnds, madeChildEnds, input, output, error) = (nil, [], nil, nil, nil)
        case .descriptors(let i, let o, let e):
            (childEnds, madeChildEnds, input, output, error) = ([i, o, e], [], nil, nil, nil)
        case .pipes:
            var made: [(read: Int32, write: Int32)] = []
            do throws(SyscallError) {
                for _ in 0..<3 { made.append(try FileIO.pipe()) }
            } catch {
                for p in made { close(p.read); close(p.write) }
                throw BerthError.system("create stdio pipes", error)
            }
            let ends = [made[0].read, made[1].write, made[2].write]
            (childEnds, madeChildEnds) = (ends, ends)
            (input, output, error) = (made[0].write, made[1].read, made[2].read)
        }
    }

    /// The caller's ends, in stdin, stdout, stderr order.
    var callerEnds: [Int32] { [input, output, error].compactMap { $0 } }

    /// After the child was started: the parent's copies of the child's pipe ends go, so
    /// that the caller reads end of file once the process (and whatever it passed its
    /// output to) has exited.
    func closeChildEnds() {
        for fd in madeChildEnds { close(fd) }
        madeChildEnds = []
    }

    /// After a failed start: nothing is left open.
    func closeAll() {
        closeChildEnds()
        for fd in callerEnds { close(fd) }
    }

    /// Puts `fds` on 0, 1 and 2 of this process for a clone, returning what was there
    /// (close-on-exec copies, -1 for a closed descriptor) for `restore`. The berth process
    /// is single-threaded, so nothing else sees the swap; the clone inherits the new 0-2,
    /// while the copies, from 3 up and close-on-exec, are among the descriptors it closes.
    static func install(_ fds: [Int32]) throws(BerthError) -> [Int32] {
        // Through fresh copies first: one of `fds` may itself be 0, 1 or 2.
        var copies: [Int32] = []
        var saved: [Int32] = []
        defer { for fd in copies { close(fd) } }
        for fd in fds {
            let copy = fcntl(fd, F_DUPFD_CLOEXEC, 3)
            guard copy >= 0 else {
                throw BerthError.system("set up stdio", SyscallError("dup", "descriptor \(fd)", errno: currentErrno()))
            }
            copies.append(copy)
        }
        for target in Int32(0)..<3 { saved.append(fcntl(target, F_DUPFD_CLOEXEC, 3)) }
        for (target, copy) in copies.enumerated() where dup2(copy, Int32(target)) < 0 {
            let e = currentErrno()
            restore(saved)
            throw BerthError.system("set up stdio", SyscallError("dup2", "descriptor \(target)", errno: e))
        }
        return saved
    }

    /// Puts this process's own 0, 1 and 2 back after the clone.
    static func restore(_ saved: [Int32]) {
        for (target, fd) in saved.enumerated() {
            if fd >= 0 {
                dup2(fd, Int32(target))
                close(fd)
            } else {
                close(Int32(target))
            }
        }
    }
}
