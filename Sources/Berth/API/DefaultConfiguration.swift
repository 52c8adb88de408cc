import BerthCgroups
import BerthSpec
import Glibc

extension ContainerRuntime {
    /// The configuration `berth spec` writes for this host and caller: current
    /// `runc spec`'s content (hostname `berth`), with a cgroup namespace where the host
    /// runs pure cgroup v2, and for `rootless` container root mapped to the caller's
    /// uid and gid.
    public static func defaultSpec(rootless: Bool) -> Spec {
        Spec.defaultSpec(rootless: rootless, uid: getuid(), gid: getgid(),
                         cgroupNamespace: CgroupLayout.detect().mode == .unified)
    }
}
