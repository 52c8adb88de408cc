import BerthSystem
import Glibc
import SystemPackage

/// Joins the namespaces a config names by path (all but the pid namespace, which the
/// parent joins: it only affects children).
///
/// The order matters when a user namespace is involved, because setns(2) asks for
/// CAP_SYS_ADMIN over the user namespace that owns the namespace joined: a network
/// namespace made by the host's root is not owned by a container's user namespace, so
/// from inside one it cannot be joined. So, as runc does (and nsenter(1)), every path is
/// opened first (joining a mount or user namespace can make the others unreachable),
/// then the namespaces are joined in three passes: all but the user namespace while the
/// caller still holds the host's privileges (a refusal is put off), then the user
/// namespace, then what was refused, now with the user namespace's privileges. What is
/// refused twice fails with runc's wording, e.g. `failed to join {net} namespaces:
/// operation not permitted`.
///
/// This runs before any new user namespace is made (in the intermediate child that
/// clones the init, see `SiblingClone`), since a process in a new user namespace can no
/// longer join namespaces its parent namespace owns.
enum NamespaceJoin {
    static func join(_ namespaces: [(Namespace, String)]) throws(InitError) {
        var open: [(kind: Namespace, path: String, fd: Int32)] = []
        defer { for entry in open where entry.fd >= 0 { close(entry.fd) } }
        for (kind, path) in namespaces where kind != .pid {
            let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                let e = currentErrno()
                throw InitError("join \(kind.rawValue) namespace \(path): \(errnoText(e))", errno: e.rawValue)
            }
            open.append((kind, path, fd))
        }
        var refused: [Int] = []
        func attempt(_ index: Int) throws(InitError) -> Bool {
            let entry = open[index]
            do throws(SyscallError) { try entry.kind.join(fd: entry.fd, path: entry.path) } catch {
                if error.errno == .notPermitted { return false }
                throw InitError(
                    "join \(entry.kind.rawValue) namespace \(entry.path): \(errnoText(error.errno))",
                    errno: error.errno.rawValue)
            }
            return true
        }
        for index in open.indices where open[index].kind != .user {
            if try !attempt(index) { refused.append(index) }
        }
        if let user = open.indices.first(where: { open[$0].kind == .user }) {
            if try !attempt(user) { refused.append(user) }
        }
        var failed: [String] = []
        for index in refused where open[index].kind != .user {
            if try !attempt(index) { failed.append(open[index].kind.procName) }
        }
        if let user = refused.first(where: { open[$0].kind == .user }) { failed.append(open[user].kind.procName) }
        if !failed.isEmpty {
            throw InitError(
                "failed to join {\(failed.sorted().joined(separator: ", "))} namespaces: \(errnoText(Errno(rawValue: EPERM)))",
                errno: EPERM)
        }
    }
}
