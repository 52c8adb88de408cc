import BerthSystem
import Glibc

/// The one way berth starts a child across the fork boundary, for `create` and `exec`
/// alike: clone3 with the new namespaces' flags, straight into the container's cgroup
/// where the host allows it, inside a pid namespace the parent enters for the clone.
struct Spawn {
    /// Where the child's pid namespace comes from, when it is not a new one or berth's.
    enum PidNamespace {
        /// A namespace file (`linux.namespaces[].path`).
        case path(String)
        /// The pid namespace of a running process (the container's init, for exec).
        case process(pidfd: Int32, pid: Int32)
    }

    /// CLONE_NEW* flags of the namespaces the clone creates.
    var flags: UInt64 = 0
    /// An O_PATH descriptor of the cgroup directory to clone into (CLONE_INTO_CGROUP), or -1.
    var cgroupFD: Int32 = -1
    /// The pid namespace to be born in, or nil.
    var pidNamespace: PidNamespace?
    /// What the child is, for errors: "container init", "exec process".
    var child: String
    /// Descriptors that become the child's 0, 1 and 2 (`StandardStreams`); nil to inherit.
    var stdio: [Int32]? = nil
    /// The caller counted this process's threads (one) on entry: berth starts none, so a
    /// process that had one thread then still has one, and the count is not made again.
    var knownSingleThreaded = false

    /// A started child, seen from the parent.
    struct Child {
        var pid: Int32
        /// pidfd of the child (close-on-exec).
        var pidfd: Int32
        /// CLONE_INTO_CGROUP placed it: no cgroup.procs write is needed.
        var placedInCgroup: Bool

        /// Kills the child and reaps it (a set-up that failed before execve).
        func killAndReap() {
            Pidfd.send(SIGKILL, to: pidfd)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && currentErrno() == .interrupted {}
            close(pidfd)
        }
    }

    /// Clones: returns nil in the child, the child in the parent. The parent's pid
    /// namespace is restored before this returns, whether the clone worked or not.
    func clone() throws(BerthError) -> Child? {
        // The child inherits the descriptor table: its stdio is put in place for the
        // clone, and the parent's own is back right after.
        let savedStdio = try stdio.map(StandardStreams.install)
        do throws(BerthError) {
            let cloned = try cloneWithPidNamespace()
            if cloned != nil, let savedStdio { StandardStreams.restore(savedStdio) }
            return cloned
        } catch {
            if let savedStdio { StandardStreams.restore(savedStdio) }
            throw error
        }
    }

    private func cloneWithPidNamespace() throws(BerthError) -> Child? {
        // setns(CLONE_NEWPID) only affects children created afterwards: the parent enters
        // the namespace for the clone and goes back to its own right after.
        var ownPID: Int32 = -1
        if let pidNamespace {
            do throws(SyscallError) {
                ownPID = try Namespace.pid.openOwn()
                switch pidNamespace {
                case .path(let path): try Namespace.pid.join(path: path)
                case .process(let pidfd, let pid): try Namespace.pid.join(fd: pidfd, path: "pid namespace of \(pid)")
                }
            } catch {
                if ownPID >= 0 { close(ownPID) }
                if case .path = pidNamespace { throw BerthError.system("join pid namespace", error) }
                throw BerthError.system("exec", error)
            }
        }
        // In the parent only: back to berth's own pid namespace. The child keeps the one
        // its own children must be born in (an intermediate's CLONE_PARENT clone).
        func restore(inParent: Bool) {
            guard ownPID >= 0 else { return }
            if inParent { try? Namespace.pid.join(fd: ownPID, path: "/proc/self/ns/pid") }
            close(ownPID)
        }
        var placed = cgroupFD >= 0
        let cloned: (pid: Int32, pidfd: Int32)?
        do throws(SyscallError) {
            do throws(SyscallError) {
                cloned = try Clone.clone(flags: flags, cgroupFD: cgroupFD, knownSingleThreaded: knownSingleThreaded)
            } catch {
                // CLONE_INTO_CGROUP can be refused (an older kernel, a threaded or otherwise
                // unusable target): clone plainly; the parent writes cgroup.procs instead.
                guard placed else { throw error }
                placed = false
                cloned = try Clone.clone(flags: flags, cgroupFD: -1, knownSingleThreaded: knownSingleThreaded)
            }
        } catch {
            restore(inParent: true)
            throw BerthError.system("clone \(child)", error)
        }
        guard let (pid, pidfd) = cloned else {
            restore(inParent: false)
            return nil
        }
        restore(inParent: true)
        return Child(pid: pid, pidfd: pidfd, placedInCgroup: placed)
    }
}
