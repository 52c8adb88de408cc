import BerthCgroups
import BerthSpec
import BerthSystem

/// Everything the container init needs after the clone, prepared by the parent.
struct InitContext {
    var id: String
    var spec: Spec
    var bundle: String
    var rootfs: String
    /// The child's end of the sync socket.
    var sync: SyncSocket
    /// The state directory's path (the init layer may attach its tmpfs there briefly).
    var stateDirectory: String
    /// O_PATH descriptor of the state directory, through which the init opens exec.fifo
    /// after pivot_root; -1 on the `run` path, where a sync message replaces the fifo.
    var stateDirFD: Int32
    /// `create`: the init waits on the exec fifo (in the state directory) for `start`.
    var waitsOnFifo: Bool
    /// Connected console socket, or -1.
    var consoleSocketFD: Int32
    /// The console socket is berth's own: it relays the terminal (a foreground `run`).
    var relaysTerminal: Bool
    var noPivot: Bool
    var noNewKeyring: Bool
    /// The container's cgroup directories on the host, one per hierarchy in
    /// `CgroupLayout.detect()` order (for the container's view of its cgroups).
    var cgroupPaths: [String]
    /// The host's cgroup layout, as the parent read it (not read again in the init).
    var cgroupLayout: CgroupLayout
    var preserveFDs: Int
    /// The caller wants a debug line per phase (sent as `debug` messages).
    var debug: Bool
    /// The init is in a user namespace and berth (root) opens its bind-mount sources in
    /// its mount namespace: they arrive as `mountSources` messages before `hostSetUpDone`.
    /// Otherwise the init opens them itself, each at its mount's turn.
    var mountSourcesFromParent: Bool
    /// Bind-mount source descriptors by mount index (from the parent, see above): O_PATH
    /// descriptors, or detached id-mapped copies for id-mapped mounts.
    var mountSources = MountDescriptors()
    /// For id-mapped mounts the init makes itself (no user namespace in the container):
    /// the user namespace whose mapping each applies, by mount index.
    var idmapNamespaces: MountDescriptors
    /// Namespaces created new by the clone.
    var newNamespaces: NamespaceSet
    /// Namespaces to join by path, in the order they must be joined.
    var joinedNamespaces: [(Namespace, String)]
    /// They were joined before the clone, by the intermediate child that cloned the init
    /// (with a user namespace); else the init joins them itself (the pid namespace is
    /// always the parent's to join).
    var joinedBeforeClone: Bool
    /// A copy-on-write layer over the rootfs: mounted in place of the rootfs bind.
    var overlay: OverlayRootfs? = nil
    /// The parent does its host set-up (cgroup join, rlimits, oom_score_adj) while the
    /// init makes its mounts: the init asks for it as always, but waits for
    /// `hostSetUpDone` only after them. Only where nothing the init does before then needs that set-up (see
    /// `Launcher.hostSetUpOverlapsMounts`).
    var hostSetUpWhileMounting = false

    /// The descriptors the init keeps when it closes the rest: stdio, the ones passed
    /// to the container, and those of its own set-up. Not the parent's others: the
    /// container lock among them (flock belongs to the open file, so an inherited copy
    /// would hold it).
    var keptDescriptors: [Int32] {
        [0, 1, 2] + (0..<Int32(preserveFDs)).map { 3 + $0 }
            + [sync.fd, stateDirFD, consoleSocketFD] + idmapNamespaces.distinct
    }
}
