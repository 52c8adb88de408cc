import BerthCgroups
import BerthSystem

/// Undoes a half-made container: kills the init, removes the cgroup and state directory.
struct Cleanup {
    let store: StateStore
    let id: String
    /// The container init, once cloned.
    var initProcess: Spawn.Child?
    var cgroup: CgroupSet?
    var netDevices: [NetDeviceRecord] = []
    var netDeviceNamespace: String?
    var hostRootfs: HostRootfsMount?
    var layer: ContainerLayer?
    private var armed = true

    init(store: StateStore, id: String) {
        self.store = store
        self.id = id
    }

    mutating func disarm() { armed = false }

    func run() {
        guard armed else { return }
        initProcess?.killAndReap()
        if let path = netDeviceNamespace {
            NetDevices.moveBack(netDevices, namespacePath: path) { SecurityPreflight.emit($0, to: nil) }
        }
        hostRootfs?.detach()
        layer?.release(stateDirectory: store.directory(id))
        cgroup?.destroy()
        try? store.remove(id)
    }
}
