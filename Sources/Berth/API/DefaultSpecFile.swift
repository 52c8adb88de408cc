import BerthCgroups
import BerthSpec
import BerthSystem
import Glibc

extension ContainerRuntime {
    /// The configuration `berth spec` writes for this host and caller: current
    /// `runc spec`'s content (hostname `berth`), with a cgroup namespace where the host
    /// runs pure cgroup v2, and for `rootless` the container's root mapped to the
    /// caller's uid and gid.
    public static func defaultSpec(rootless: Bool) -> Spec {
        Spec.defaultSpec(
            rootless: rootless, uid: getuid(), gid: getgid(),
            cgroupNamespace: CgroupLayout.detect().mode == .unified)
    }

    /// Writes a default `config.json` into `bundle` (`berth spec`): the rootless variant
    /// maps the container's root to the caller's uid and gid. An existing file (or
    /// symlink) there is never replaced.
    public static func writeDefaultSpec(bundle: String, rootless: Bool) throws(BerthError) {
        let path = bundle + "/config.json"
        if FileIO.exists(path, follow: false) {
            throw BerthError(.alreadyExists, "File \(path) exists. Remove it first or use a different bundle directory.")
        }
        let spec = defaultSpec(rootless: rootless)
        let data: [UInt8]
        do { data = Array(try spec.jsonData()) } catch { throw BerthError(.system, "encode config.json: \(error)") }
        do throws(SyscallError) {
            let fd = try sys("open", path) { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666) }
            defer { close(fd) }
            try FileIO.writeAll(fd, data, path: path)
        } catch {
            throw BerthError(.system, String(describing: error), errno: error.errno.rawValue)
        }
    }
}
