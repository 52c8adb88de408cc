import BerthSpec
import BerthSystem
import Glibc

/// The user namespaces whose mappings id-mapped mounts apply (MOUNT_ATTR_IDMAP takes a
/// user namespace, not a list of ranges).
///
/// As runc does: a mount's own `uidMappings`/`gidMappings` are host ids, with or without
/// a user namespace in the container; `idmap` without mappings takes the container's
/// (a new user namespace's mappings, or the namespace the config joins). For mappings,
/// berth makes a throw-away namespace: a child cloned into a new user namespace, given
/// the maps, opened and killed; the descriptor keeps the namespace alive. Mounts with
/// the same mappings share one.
struct IDMapNamespaces {
    /// The user namespace descriptor of each id-mapped mount, by mount index.
    private(set) var byMount = MountDescriptors()
    /// Each descriptor once.
    private(set) var all: [Int32] = []

    init() {}

    /// Closes every descriptor.
    func close() { for fd in all { _ = Glibc.close(fd) } }

    /// Makes or opens the namespaces the spec's id-mapped mounts need.
    init(spec: Spec, joinedUserNamespace: String?) throws(BerthError) {
        do throws(BerthError) { try make(spec: spec, joinedUserNamespace: joinedUserNamespace) } catch {
            close()
            throw error
        }
    }

    private mutating func make(spec: Spec, joinedUserNamespace: String?) throws(BerthError) {
        var made: [String: Int32] = [:]
        for (index, m) in (spec.mounts ?? []).enumerated() where BindSource.isIDMapped(m) {
            let uid: [LinuxIDMapping]
            let gid: [LinuxIDMapping]
            if m.uidMappings != nil || m.gidMappings != nil {
                (uid, gid) = (m.uidMappings ?? [], m.gidMappings ?? [])
            } else if let path = joinedUserNamespace {
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else {
                    throw BerthError.system(
                        "mounts[\(index)] (\(m.destination)): failed to open existing userns for id-mapping",
                        SyscallError("open", path, errno: currentErrno()))
                }
                all.append(fd)
                byMount[index] = fd
                continue
            } else {
                (uid, gid) = (spec.linux?.uidMappings ?? [], spec.linux?.gidMappings ?? [])
            }
            let key = Self.text(uid) + "|" + Self.text(gid)
            if let fd = made[key] {
                byMount[index] = fd
                continue
            }
            let fd: Int32
            do throws(SyscallError) { fd = try Self.create(uid: uid, gid: gid) } catch {
                throw BerthError.system("mounts[\(index)] (\(m.destination)): failed to create userns for id-mapping", error)
            }
            made[key] = fd
            all.append(fd)
            byMount[index] = fd
        }
    }

    private static func text(_ maps: [LinuxIDMapping]) -> String {
        maps.map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined()
    }

    /// A new user namespace with these maps, as a descriptor.
    private static func create(uid: [LinuxIDMapping], gid: [LinuxIDMapping]) throws(SyscallError) -> Int32 {
        let parent = getpid()
        guard let (pid, pidfd) = try Clone.clone(flags: UInt64(Namespace.user.cloneFlag)) else {
            // The child only lends its namespace: it waits to be killed.
            Clone.dieWithParent(parent)
            while true { pause() }
        }
        let child = Pidfd(adopting: pidfd, pid: pid)
        defer {
            try? child.signal(SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && currentErrno() == .interrupted {}
        }
        try FileIO.write("/proc/\(pid)/uid_map", Array(text(uid).utf8))
        try FileIO.write("/proc/\(pid)/gid_map", Array(text(gid).utf8))
        return try FileIO.open("/proc/\(pid)/ns/user", O_RDONLY)
    }
}
