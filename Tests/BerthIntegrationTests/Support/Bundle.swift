// Per-test sandbox (state root, bundles, host scratch dir, cleanup) and the config.json
// builder.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

// MARK: - config.json

/// A mutable OCI config, kept as a JSON dictionary so tests can set any field, also ones
/// the runtime's Codable types might not know. Paths are dotted: `config["process.cwd"]`.
struct Config {
    var json: [String: Any]

    /// What `runc spec` (1.1.5) prints, as the reference point, without its ambient set:
    /// current runc's spec has none (an ambient capability that is not inheritable cannot be
    /// raised, and runc 1.2+ and berth warn about each one).
    static let runcSpec = #"""
        {"ociVersion":"1.0.2-dev","process":{"terminal":true,"user":{"uid":0,"gid":0},"args":["sh"],
        "env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","TERM=xterm"],"cwd":"/",
        "capabilities":{"bounding":["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"],
        "effective":["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"],
        "permitted":["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"]},
        "rlimits":[{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}],"noNewPrivileges":true},
        "root":{"path":"rootfs","readonly":true},"hostname":"runc",
        "mounts":[{"destination":"/proc","type":"proc","source":"proc"},
        {"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]},
        {"destination":"/dev/pts","type":"devpts","source":"devpts","options":["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620","gid=5"]},
        {"destination":"/dev/shm","type":"tmpfs","source":"shm","options":["nosuid","noexec","nodev","mode=1777","size=65536k"]},
        {"destination":"/dev/mqueue","type":"mqueue","source":"mqueue","options":["nosuid","noexec","nodev"]},
        {"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","ro"]},
        {"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["nosuid","noexec","nodev","relatime","ro"]}],
        "linux":{"resources":{"devices":[{"allow":false,"access":"rwm"}]},
        "namespaces":[{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}],
        "maskedPaths":["/proc/acpi","/proc/asound","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list",
        "/proc/timer_stats","/proc/sched_debug","/sys/firmware","/proc/scsi"],
        "readonlyPaths":["/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"]}}
        """#

    /// The runc spec with `terminal: false`, the absolute shared rootfs, read-only root.
    static func base(rootfs: String = Host.rootfsPath) -> Config {
        let obj = try! JSONSerialization.jsonObject(with: Data(runcSpec.utf8)) as! [String: Any]
        var c = Config(json: obj)
        c["process.terminal"] = false
        c["root.path"] = rootfs
        c["root.readonly"] = true
        return c
    }

    subscript(path: String) -> Any? {
        get {
            var cur: Any? = json
            for key in path.split(separator: ".") {
                cur = (cur as? [String: Any])?[String(key)]
            }
            return cur
        }
        set {
            json = Config.setting(json, Array(path.split(separator: ".").map(String.init)), newValue)
        }
    }

    private static func setting(_ dict: [String: Any], _ keys: [String], _ value: Any?) -> [String: Any] {
        var d = dict
        guard let first = keys.first else { return d }
        if keys.count == 1 {
            d[first] = value
        } else {
            d[first] = setting((d[first] as? [String: Any]) ?? [:], Array(keys.dropFirst()), value)
        }
        return d
    }

    var args: [String] {
        get { (self["process.args"] as? [String]) ?? [] }
        set { self["process.args"] = newValue }
    }

    /// `sh -c script`.
    mutating func shell(_ script: String) { args = ["sh", "-c", script] }

    var env: [String] {
        get { (self["process.env"] as? [String]) ?? [] }
        set { self["process.env"] = newValue }
    }

    var mounts: [[String: Any]] {
        get { (json["mounts"] as? [[String: Any]]) ?? [] }
        set { json["mounts"] = newValue }
    }

    mutating func addMount(_ destination: String, type: String? = nil, source: String, options: [String] = []) {
        var m: [String: Any] = ["destination": destination, "source": source]
        if let type { m["type"] = type }
        if !options.isEmpty { m["options"] = options }
        mounts.append(m)
    }

    mutating func removeMount(_ destination: String) {
        mounts.removeAll { ($0["destination"] as? String) == destination }
    }

    var namespaces: [[String: Any]] {
        get { (self["linux.namespaces"] as? [[String: Any]]) ?? [] }
        set { self["linux.namespaces"] = newValue }
    }

    /// Adds the namespace, or replaces the entry of the same type (e.g. to add a path).
    mutating func setNamespace(_ type: String, path: String? = nil) {
        var entry: [String: Any] = ["type": type]
        if let path { entry["path"] = path }
        var ns = namespaces
        if let i = ns.firstIndex(where: { ($0["type"] as? String) == type }) {
            ns[i] = entry
        } else {
            ns.append(entry)
        }
        namespaces = ns
    }

    mutating func removeNamespace(_ type: String) {
        namespaces = namespaces.filter { ($0["type"] as? String) != type }
    }

    mutating func setAnnotation(_ key: String, _ value: String) {
        var a = (json["annotations"] as? [String: String]) ?? [:]
        a[key] = value
        json["annotations"] = a
    }

    func data() throws -> Data {
        try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}

// MARK: - bundle

final class TestBundle {
    let path: String
    var config: Config

    init(path: String, config: Config = .base()) {
        self.path = path
        self.config = config
    }

    var configPath: String { path + "/config.json" }

    /// Writes config.json (call after every change, before create/run).
    func write() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try config.data().write(to: URL(fileURLWithPath: configPath))
    }
}

// MARK: - sandbox

/// Everything one test owns: a temp dir holding the state root (`--root`), bundles, a
/// host scratch dir (`out`, bind-mountable into containers), io files, and the ids of the
/// containers it made. `cleanup()` (use `defer`) force-deletes those containers and removes
/// the temp dir, also when the test failed.
final class Sandbox: @unchecked Sendable {
    let dir: String
    let root: String
    let out: String
    let io: String
    let bundle: TestBundle
    /// Put in the environment of every runtime invocation; see Host.pidsCarrying(token:).
    let token: String
    private(set) var ids: [String] = []
    private var cleanups: [() -> Void] = []

    /// Where `out` appears inside a container when mounted with `mountOut()`.
    static let outInside = "/srv"

    init(_ name: String = #function) throws {
        try Host.checkPreconditions()
        var template = Array("/tmp/berth-itest-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw TestSetupError("mkdtemp failed") }
        dir = String(cString: p)
        root = dir + "/root"
        out = dir + "/out"
        io = dir + "/io"
        for d in [root, out, io] {
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        }
        chmod(out, 0o777)
        bundle = TestBundle(path: dir + "/bundle")
        token = "BERTH_ITEST_TOKEN=" + UUID().uuidString
        try bundle.write()
    }

    /// A fresh, unique container id (registered for cleanup).
    func newID(_ prefix: String = "c") -> String {
        let id = "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
        ids.append(id)
        return id
    }

    /// A second bundle in this sandbox.
    func newBundle(_ name: String, config: Config = .base()) throws -> TestBundle {
        let b = TestBundle(path: dir + "/" + name, config: config)
        try b.write()
        return b
    }

    /// Runs an extra action at cleanup (before the temp dir is removed), e.g. umount.
    func onCleanup(_ action: @escaping () -> Void) { cleanups.append(action) }

    /// `BIN --root <root> args...`
    @discardableResult
    func berth(
        _ args: [String], stdin: String? = nil, extraFds: [Int32] = [], timeout: Double = 30,
        stdoutPath: String? = nil, env: [String: String] = [:]
    ) -> ProcResult {
        berthRaw(["--root", root] + args, stdin: stdin, extraFds: extraFds, timeout: timeout, stdoutPath: stdoutPath, env: env)
    }

    /// `BIN args...` (no --root added).
    @discardableResult
    func berthRaw(
        _ args: [String], stdin: String? = nil, extraFds: [Int32] = [], timeout: Double = 30,
        stdoutPath: String? = nil, env: [String: String] = [:]
    ) -> ProcResult {
        Runner.run(
            Host.binary, args, ioDir: io, stdin: stdin, env: tokenEnv.merging(env) { $1 }, extraFds: extraFds,
            timeout: timeout, stdoutPath: stdoutPath)
    }

    /// Starts `BIN --root <root> args...` without waiting.
    func spawnBerth(_ args: [String], stdin: String? = nil, extraFds: [Int32] = [], env: [String: String] = [:]) throws -> Spawned {
        try Runner.spawn(
            Host.binary, ["--root", root] + args, ioDir: io, stdin: stdin, env: tokenEnv.merging(env) { $1 },
            extraFds: extraFds)
    }

    private var tokenEnv: [String: String] {
        let kv = token.split(separator: "=", maxSplits: 1)
        return [String(kv[0]): String(kv[1])]
    }

    /// Foreground `run` of `bundle` (or the default bundle) with a fresh id: the
    /// container's stdout/stderr are the result's.
    func runContainer(_ b: TestBundle? = nil, extra: [String] = [], timeout: Double = 30) throws -> ProcResult {
        let b = b ?? bundle
        try b.write()
        let id = newID("run")
        return berth(["run", "--bundle", b.path] + extra + [id], timeout: timeout)
    }

    /// `run -d` of the default bundle as `id` with a pid file: the result, and the init's
    /// host pid read from that file (the test fails, naming the result, when either is
    /// missing).
    func runDetached(_ id: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> (result: ProcResult, pid: Int32) {
        let pidFile = dir + "/pid"
        let r = berth(["run", "-d", "--pid-file", pidFile, "--bundle", bundle.path, id])
        #expect(r.status == 0, "\(r)", sourceLocation: sourceLocation)
        let pid = try #require(Int32(Host.readFile(pidFile) ?? ""), "\(r)", sourceLocation: sourceLocation)
        return (r, pid)
    }

    /// Shorthand: writes `script` as `sh -c` into the default bundle and runs it in the foreground.
    func sh(_ script: String, timeout: Double = 30) throws -> ProcResult {
        bundle.config.shell(script)
        return try runContainer(timeout: timeout)
    }

    /// `state ID` parsed; nil when it fails.
    func state(_ id: String) -> [String: Any]? {
        let r = berth(["state", id])
        guard r.status == 0 else { return nil }
        return Host.parseJSON(r.stdout) as? [String: Any]
    }

    func status(_ id: String) -> String? { state(id)?["status"] as? String }

    /// Polls `state` until it reports `status`.
    func waitForStatus(_ id: String, _ status: String, timeout: Double = 30) -> Bool {
        Host.waitUntil(timeout: timeout) { self.status(id) == status }
    }

    /// Bind-mounts the host scratch dir `out` read-write at /srv in the bundle's container.
    func mountOut(_ b: TestBundle? = nil) {
        (b ?? bundle).config.addMount(Sandbox.outInside, type: "bind", source: out, options: ["rbind", "rw"])
    }

    /// Waits for a file the container writes into the `out` dir.
    func waitForOutFile(_ name: String, timeout: Double = 30) -> String? {
        let path = out + "/" + name
        guard Host.waitUntil(timeout: timeout, { FileManager.default.fileExists(atPath: path) }) else { return nil }
        return Host.readFile(path)
    }

    /// Processes forked by this sandbox's runtime invocations that are still alive.
    func leftoverProcesses(excluding: Set<Int32> = []) -> [Int32] {
        Host.pidsCarrying(token: token).filter { !excluding.contains($0) && Host.isAlive($0) }
    }

    /// Entries under --root (container state dirs).
    func stateEntries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted()
    }

    func cleanup() {
        for id in ids.reversed() {
            _ = berth(["delete", "--force", id], timeout: 30)
        }
        for action in cleanups.reversed() { action() }
        // Kill anything this sandbox's invocations left behind, then remove the files.
        for pid in Host.pidsCarrying(token: token) { kill(pid, SIGKILL) }
        for line in Host.hostMounts(containing: dir).reversed() {
            let fields = line.split(separator: " ")
            if fields.count > 4 { umount2(String(fields[4]), Int32(MNT_DETACH)) }
        }
        // Never recurse into something still mounted (it could be a bind of a host dir).
        if Host.hostMounts(containing: dir).isEmpty {
            try? FileManager.default.removeItem(atPath: dir)
        }
    }
}
