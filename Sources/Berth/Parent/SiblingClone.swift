import BerthSystem
import Glibc

/// A process cloned on berth's behalf by an intermediate child, for namespaces berth
/// itself may not enter: the intermediate joins them (a user namespace, or a pid
/// namespace owned by one) and clones with CLONE_PARENT, so the new process is berth's
/// child, then reports its pid and exits.
enum SiblingClone {
    /// In the intermediate child: clones the sibling. Returns in the sibling; the
    /// intermediate itself reports the sibling's pid on `sync` and exits.
    static func clone(flags: UInt64, sync: SyncSocket) throws(SyscallError) {
        // The intermediate may already see another pid namespace's /proc: it is a fresh
        // clone, single-threaded by construction.
        guard let (child, childPidfd) = try Clone.clone(flags: flags | Clone.parentFlag, knownSingleThreaded: true) else {
            // The parent-death signal is not inherited across clone.
            ProcessControl.setParentDeathSignal(SIGKILL)
            return
        }
        close(childPidfd)
        try sync.send(.siblingCloned(pid: child))
        _exit(0)
    }

    /// In berth: reads the sibling's pid, reaps the intermediate, and returns the
    /// sibling's pid and a pidfd for it. The sibling may speak before the intermediate
    /// does (both write to `sync`): its messages until then are returned, in order, to be
    /// served after.
    static func adopt(intermediate: Int32, pidfd: Int32, sync: SyncSocket) throws(BerthError)
        -> (pid: Int32, pidfd: Int32, early: [SyncMessage])
    {
        var early: [SyncMessage] = []
        var child: Int32 = 0
        var failure: BerthError?
        while child == 0 && failure == nil {
            let message: SyncMessage?
            do throws(SyscallError) { message = try sync.receive() } catch {
                failure = BerthError(.system, "read from intermediate process: \(error)", errno: error.errno.rawValue)
                break
            }
            switch message {
            case .siblingCloned(let pid)?:
                child = pid
            case .failed(let error)?:
                failure = error
            case let other?:
                early.append(other)
            default:
                failure = BerthError(.system, "the intermediate process exited without starting the process")
            }
        }
        var status: Int32 = 0
        while waitpid(intermediate, &status, 0) < 0 && currentErrno() == .interrupted {}
        close(pidfd)
        if let failure { throw BerthError.containerProcess(failure) }
        do throws(SyscallError) { return (child, try Pidfd.openChild(child), early) } catch {
            throw BerthError.system("open the container's process", error)
        }
    }
}
