import BerthSpec
import BerthSystem
import Glibc

/// Opens the bind-mount sources of a container with its own user namespace, for its
/// init, inside the container's mount namespace (as runc's parent does for its init).
///
/// The init cannot open them itself: it runs as an unprivileged host uid, which may not
/// reach a source. berth's own mount namespace will not do either: a copy made there
/// would not carry the locks the kernel put on the host's mounts when it copied them
/// into the container's namespace (MNT_LOCK_*), so the container could clear flags such
/// as `ro` or `nodev` that the host set. So a helper forked from berth joins the init's
/// mount namespace (before the init mounts anything there), opens each source with the
/// host's privileges (id-mapped ones as detached, mapped copies) and hands the
/// descriptors back; berth passes them on to the init on the sync socket.
enum MountSourceHelper {
    /// Descriptors per message (SCM_RIGHTS carries at most 253).
    static let batch = 250

    /// `mountNamespace`: the path of a mount namespace the config joins, where the init
    /// will mount; nil for the init's own new one.
    static func serve(
        spec: Spec, bundle: String, initPidfd: Int32, mountNamespace: String?, idmap: IDMapNamespaces,
        to sync: SyncSocket
    ) throws(BerthError) {
        let mounts = (spec.mounts ?? []).enumerated().filter { BindSource.isBind($0.element) }
        guard !mounts.isEmpty else { return }
        let pair: (parent: SyncSocket, child: SyncSocket)
        do throws(SyscallError) { pair = try SyncSocket.pair() } catch { throw BerthError.system("open mount sources", error) }
        let parent = getpid()
        let cloned: (pid: Int32, pidfd: Int32)?
        do throws(SyscallError) { cloned = try Clone.clone(flags: 0) } catch {
            pair.parent.close(); pair.child.close()
            throw BerthError.system("open mount sources", error)
        }
        guard let (pid, pidfd) = cloned else {
            pair.parent.close()
            Clone.dieWithParent(parent)
            openAll(mounts, bundle: bundle, initPidfd: initPidfd, mountNamespace: mountNamespace, idmap: idmap, reply: pair.child)
        }
        pair.child.close()
        let helper = Pidfd(adopting: pidfd, pid: pid)
        var failure: BerthError?
        defer {
            pair.parent.close()
            if failure != nil { try? helper.signal(SIGKILL) }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && currentErrno() == .interrupted {}
        }
        while failure == nil {
            let message: SyncMessage?
            do throws(SyscallError) { message = try pair.parent.receive() } catch {
                failure = BerthError.system("read from mount source helper", error)
                break
            }
            switch message {
            case nil:
                return
            case .mountSources(let indexes, let fds)?:
                defer { for fd in fds { close(fd) } }
                do throws(SyscallError) { try sync.send(.mountSources(indexes: indexes, fds: fds)) } catch {
                    failure = BerthError.system("pass mount sources to the container init", error)
                }
            case .failed(let error)?:
                failure = BerthError.containerProcess(error)
            case let other?:
                failure = BerthError(.system, "unexpected message \(other) from the mount source helper")
            }
        }
        if let failure { throw failure }
    }

    /// In the helper: joins the init's mount namespace, opens every source, sends the
    /// descriptors in batches, and exits.
    private static func openAll(
        _ mounts: [(offset: Int, element: Mount)], bundle: String, initPidfd: Int32,
        mountNamespace: String?, idmap: IDMapNamespaces, reply: SyncSocket
    ) -> Never {
        var current = (index: -1, destination: "")
        do {
            if let path = mountNamespace { try Namespace.mount.join(path: path) } else { try Namespace.mount.join(pidfd: initPidfd) }
            var fds: [Int32] = []
            var indexes: [Int] = []
            for (index, m) in mounts {
                current = (index, m.destination)
                let fd: Int32
                if let userns = idmap.byMount[index] {
                    fd = try BindSource.openIDMapped(m, bundle: bundle, userNamespace: userns)
                } else {
                    fd = try BindSource.open(m, bundle: bundle)
                }
                fds.append(fd)
                indexes.append(index)
                if fds.count == batch || index == mounts.last?.offset {
                    try reply.send(.mountSources(indexes: indexes, fds: fds))
                    for f in fds { close(f) }
                    fds = []
                    indexes = []
                }
            }
            _exit(0)
        } catch {
            let place = current.index >= 0 ? "mounts[\(current.index)] (\(current.destination)): " : ""
            let failure = BerthError(childFailure: error)
            reply.report(BerthError(failure.code, place + failure.message, errno: failure.errno))
            _exit(1)
        }
    }
}
