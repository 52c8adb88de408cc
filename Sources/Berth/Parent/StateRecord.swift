import BerthCgroups
import BerthSpec

/// What `<root>/<id>/state.json` holds: everything later commands need without the
/// bundle (the bundle may be gone by the time `delete` runs).
struct StateRecord: Codable, Sendable {
    var ociVersion: String
    var id: String
    var pid: Int32
    /// The init's start time (`/proc/<pid>/stat` field 22): with the pid, its identity.
    var startTime: UInt64
    var bundle: String
    var rootfs: String
    var created: String
    var owner: String
    /// The namespaces the container uses, as `/proc/<pid>/ns/*` paths or the joined paths.
    var namespacePaths: [String: String]
    /// The container's cgroup directories, one per hierarchy.
    var cgroupPaths: [String]
    /// The ones berth created (and delete removes).
    var cgroupCreated: [String]
    /// They are on a pure cgroup v2 host.
    var cgroupUnified: Bool
    /// The config the container was created from (hooks, process for exec, annotations).
    var config: Spec
    /// The caller's NOTIFY_SOCKET, when the container's readiness is to be passed on.
    var notifySocket: String?
    /// `linux.netDevices` as moved in, and the network namespace they live in (the
    /// state directory's pin, or the joined path): `delete` moves them back from there.
    var netDevices: [NetDeviceRecord]? = nil
    var netDeviceNamespace: String? = nil
    /// Without a mount namespace of its own: the bind of the rootfs on the host below
    /// which the container's mounts are, detached by `delete`.
    var hostRootfsMount: HostRootfsMount? = nil
    /// The copy-on-write layer over the rootfs, if the container has one.
    var layer: ContainerLayer? = nil
}

extension StateRecord {
    /// The container's cgroups as recorded at create (the host layout is not read again).
    var cgroups: CgroupSet {
        CgroupSet(paths: cgroupPaths, created: cgroupCreated, unified: cgroupUnified)
    }
}
