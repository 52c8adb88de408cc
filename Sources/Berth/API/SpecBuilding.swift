import BerthSpec

/// Building a configuration in code: start from `Spec.default(rootless:)`, change what
/// containers most often change through the properties and methods below, `validate()`
/// it with the messages `berth create` prints, and `save(bundle:)` it.
///
/// ```swift
/// var spec = Spec.default()
/// spec.command = ["sh", "-c", "echo hello"]
/// spec.setEnvironment("GREETING", "hello")
/// spec.rootPath = "/srv/rootfs"
/// spec.memoryLimit = 64 << 20
/// spec.addBindMount(from: "/srv/data", to: "/data", readOnly: true)
/// try spec.validate()
/// try spec.save(bundle: "/srv/bundle")
/// ```
extension Spec {
    /// `berth spec`'s configuration for this host and caller (as current `runc spec`):
    /// `sh` on a terminal, a read-only root at `rootfs`, the pid, network, ipc, uts and
    /// mount namespaces (and a cgroup namespace on a pure cgroup v2 host); for `rootless`
    /// a user namespace mapping the container's root to the caller's uid and gid.
    public static func `default`(rootless: Bool = false) -> Spec {
        ContainerRuntime.defaultSpec(rootless: rootless)
    }

    /// Checks the configuration as `berth create` does before it makes anything,
    /// throwing `.invalidSpec` with the CLI's message (`process.args: must not be empty`).
    public func validated() throws(BerthError) -> Spec {
        do throws(SpecError) { try validate() } catch { throw BerthError.spec(error) }
        return self
    }

    private var processOrDefault: Process {
        get { process ?? Process(user: User(), args: [], cwd: "/") }
        set { process = newValue }
    }

    /// The process's command line (`process.args`): the executable, then its arguments.
    public var command: [String] {
        get { process?.args ?? [] }
        set { processOrDefault.args = newValue }
    }

    /// The process's working directory in the container (`process.cwd`).
    public var workingDirectory: String {
        get { process?.cwd ?? "/" }
        set { processOrDefault.cwd = newValue }
    }

    /// Whether the process gets a pseudo-terminal (`process.terminal`).
    public var terminal: Bool {
        get { process?.terminal ?? false }
        set { processOrDefault.terminal = newValue }
    }

    /// The value of an environment variable of the process, nil when it is unset.
    public func environmentValue(_ name: String) -> String? {
        let prefix = name + "="
        return process?.env?.last { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    /// Sets an environment variable of the process, replacing any value it had.
    public mutating func setEnvironment(_ name: String, _ value: String) {
        unsetEnvironment(name)
        processOrDefault.env = (process?.env ?? []) + [name + "=" + value]
    }

    /// Removes an environment variable from the process.
    public mutating func unsetEnvironment(_ name: String) {
        let prefix = name + "="
        processOrDefault.env = process?.env?.filter { !$0.hasPrefix(prefix) && $0 != name }
    }

    /// Runs the process as this user and group (and supplementary groups), as numeric
    /// ids in the container (`process.user`).
    public mutating func setUser(uid: UInt32, gid: UInt32, additionalGroups: [UInt32] = []) {
        processOrDefault.user = User(uid: uid, gid: gid, additionalGids: additionalGroups.isEmpty ? nil : additionalGroups)
    }

    /// The root filesystem's directory (`root.path`): absolute, or relative to the
    /// bundle.
    public var rootPath: String {
        get { root?.path ?? "rootfs" }
        set { root = Root(path: newValue, readonly: root?.readonly) }
    }

    /// Adds a bind mount of the host's `source` at `destination` in the container
    /// (recursive, `ro` with `readOnly`), replacing a mount already there.
    public mutating func addBindMount(from source: String, to destination: String, readOnly: Bool = false) {
        addMount(
            Mount(
                destination: destination, type: "bind", source: source,
                options: ["rbind", readOnly ? "ro" : "rw"]))
    }

    /// Adds an empty tmpfs at `destination`, replacing a mount already there.
    public mutating func addTmpfs(at destination: String, options: [String] = ["nosuid", "nodev", "mode=1777"]) {
        addMount(Mount(destination: destination, type: "tmpfs", source: "tmpfs", options: options))
    }

    /// Adds `mount`, replacing one with the same destination.
    public mutating func addMount(_ mount: Mount) {
        removeMount(at: mount.destination)
        mounts = (mounts ?? []) + [mount]
    }

    /// Removes the mount at `destination`, if there is one.
    public mutating func removeMount(at destination: String) {
        mounts = mounts?.filter { $0.destination != destination }
    }

    /// The container's cgroup limits (`linux.resources`).
    public var resources: LinuxResources {
        get { linux?.resources ?? LinuxResources() }
        set {
            var l = linux ?? Linux()
            l.resources = newValue
            linux = l
        }
    }

    /// The memory limit in bytes (`linux.resources.memory.limit`); nil for none.
    public var memoryLimit: Int64? {
        get { linux?.resources?.memory?.limit }
        set {
            var memory = resources.memory ?? LinuxMemory()
            memory.limit = newValue
            resources.memory = memory
        }
    }

    /// The most processes and threads the container may have
    /// (`linux.resources.pids.limit`); nil for no limit.
    public var pidsLimit: Int64? {
        get { linux?.resources?.pids?.limit }
        set { resources.pids = newValue.map { LinuxPids(limit: $0) } }
    }

    /// Limits the container to `cores` CPUs' worth of time per 100 ms period
    /// (`linux.resources.cpu.quota` and `period`); nil lifts the limit.
    public mutating func setCPULimit(cores: Double?) {
        var cpu = resources.cpu ?? LinuxCPU()
        if let cores {
            cpu.period = 100_000
            cpu.quota = Int64((cores * 100_000).rounded())
        } else {
            cpu.quota = -1
        }
        resources.cpu = cpu
    }

    /// Gives the container a namespace of `kind`: a new one, or with `path` the one
    /// that file names (`/proc/PID/ns/net`, a namespace pinned by `ip netns add`).
    public mutating func addNamespace(_ kind: NamespaceKind, joining path: String? = nil) {
        removeNamespace(kind)
        var l = linux ?? Linux()
        l.namespaces = (l.namespaces ?? []) + [LinuxNamespace(kind, path: path)]
        linux = l
    }

    /// Shares the host's (berth's) namespace of `kind` with the container.
    public mutating func removeNamespace(_ kind: NamespaceKind) {
        guard var l = linux else { return }
        l.namespaces = l.namespaces?.filter { $0.type != kind.rawValue }
        linux = l
    }
}
