// Crash consistency (issue 11, item 1): berth SIGKILLed at every named phase of every
// command (BERTH_TEST_KILL_AT=N, see Trace.swift), then `list` and `delete --force` must
// find and remove everything: state directory, cgroup directories in every hierarchy,
// mounts, network namespace pins, moved network devices, processes. And kills at random
// moments while other containers start.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The cgroup hierarchies of the host (mount points), v1 and v2.
func hostCgroupMounts() -> [String] {
    (Host.readFile("/proc/self/mountinfo") ?? "").split(separator: "\n").compactMap { line in
        let f = line.split(separator: " ")
        guard let dash = f.firstIndex(of: "-"), f.count > dash + 1,
            f[dash + 1] == "cgroup" || f[dash + 1] == "cgroup2"
        else { return nil }
        return String(f[4])
    }
}

/// Pids whose /proc/<pid>/cgroup names `fragment` in any hierarchy.
func pidsInCgroups(containing fragment: String) -> [Int32] {
    Host.allPids().filter { pid in
        (Host.readFile("/proc/\(pid)/cgroup") ?? "").contains(fragment) && Host.isAlive(pid)
    }
}

extension Sandbox {
    /// This test's own cgroup parent (`/berth-itest-<tag>`), under which each container
    /// gets `/berth-itest-<tag>/<id>`: every hierarchy can be checked for what is left.
    var cgroupParent: String { "/berth-itest-" + (dir as NSString).lastPathComponent.suffix(6).lowercased() }

    /// Makes `cgroupParent` in every hierarchy (removed at cleanup), so the containers'
    /// own directories are the only ones berth makes and removes.
    func useOwnCgroupParent() -> String {
        let parent = cgroupParent
        for mp in hostCgroupMounts() {
            mkdir(mp + parent, 0o755)
            if FileManager.default.fileExists(atPath: mp + parent + "/cpuset.cpus") {
                for file in ["cpuset.cpus", "cpuset.mems"] where (Host.readFile(mp + parent + "/" + file) ?? "").trimmed.isEmpty {
                    try? Host.write(mp + parent + "/" + file, Host.readFile(mp + "/" + file) ?? "")
                }
            }
        }
        onCleanup { for mp in hostCgroupMounts() { rmdir(mp + parent) } }
        return parent
    }

    /// Checks that nothing of this sandbox's containers is left on the host: state root,
    /// cgroup directories under `cgroupParent` (every hierarchy), processes in them or
    /// carrying the sandbox's token, mounts of the sandbox's files.
    func expectHostClean(
        cgroupParent: String, _ context: String, ignoringMounts ignored: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(stateEntries().isEmpty, "state root not empty \(context): \(stateEntries())", sourceLocation: sourceLocation)
        for mp in hostCgroupMounts() {
            let children = ((try? FileManager.default.contentsOfDirectory(atPath: mp + cgroupParent)) ?? []).filter {
                var isDir: ObjCBool = false
                return FileManager.default.fileExists(atPath: mp + cgroupParent + "/" + $0, isDirectory: &isDir) && isDir.boolValue
            }
            if !children.isEmpty { Issue.record("cgroups \(mp + cgroupParent)/\(children) left \(context)", sourceLocation: sourceLocation) }
        }
        // Processes die asynchronously after SIGKILL (and inits with their parent).
        var left: [Int32] = []
        let gone = Host.waitUntil(timeout: 10) {
            left = pidsInCgroups(containing: cgroupParent) + leftoverProcesses()
            return left.isEmpty
        }
        #expect(
            gone, "processes left \(context): \(left.map { "\($0) \(Host.readFile("/proc/\($0)/cmdline") ?? "")" })",
            sourceLocation: sourceLocation)
        let mounts = Host.hostMounts(containing: dir).filter { line in !ignored.contains { line.split(separator: " ")[4] == $0 } }
        #expect(mounts.isEmpty, "host mounts left \(context): \(mounts)", sourceLocation: sourceLocation)
        let rootfsMounts = Host.hostMounts(containing: Host.rootfsPath)
        #expect(
            rootfsMounts.isEmpty, "a container mount reached the host \(context): \(rootfsMounts)",
            sourceLocation: sourceLocation)
    }
}

/// One command walked over its phases: `setup` prepares a container (not killed),
/// `command` is the berth invocation killed at phase N.
struct CrashWalk: CustomStringConvertible, Sendable {
    let name: String
    let setup: @Sendable (Sandbox, String) -> Void
    let command: @Sendable (Sandbox, String) -> [String]
    /// The statuses `list` may show after a kill.
    let allowed: Set<String>
    var description: String { name }
}

@Suite("Crash consistency", .serialized)
struct CrashTests {
    static func prepare(_ s: Sandbox, parent: String, script: String = "sleep 1000") throws {
        s.bundle.config.shell(script)
        s.bundle.config.env += [s.token]
        try s.bundle.write()
    }

    /// Two levels of the container's own under the parent: delete removes both.
    static func cgroupArg(_ parent: String, _ id: String) -> String { parent + "/" + id + "/ctr" }

    static func create(_ s: Sandbox, _ id: String, parent: String) {
        s.bundle.config["linux.cgroupsPath"] = cgroupArg(parent, id)
        try? s.bundle.write()
        let r = s.berth(["create", "--bundle", s.bundle.path, id])
        #expect(r.status == 0, "setup create: \(r)")
    }

    static func runDetached(_ s: Sandbox, _ id: String, parent: String) {
        s.bundle.config["linux.cgroupsPath"] = cgroupArg(parent, id)
        try? s.bundle.write()
        let r = s.berth(["run", "-d", "--bundle", s.bundle.path, id])
        #expect(r.status == 0, "setup run -d: \(r)")
    }

    /// What the descriptors of process `pid` point at (readlink of /proc/PID/fd/N).
    static func descriptorTargets(_ pid: Int32) -> [String] {
        let dir = "/proc/\(pid)/fd"
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: dir + "/" + $0)
        }
    }

    static let walks: [CrashWalk] = [
        CrashWalk(
            name: "create", setup: { _, _ in }, command: { s, id in ["create", "--bundle", s.bundle.path, "--pid-file", s.dir + "/pid", id] },
            allowed: ["created", "stopped"]),
        CrashWalk(
            name: "start", setup: { s, id in create(s, id, parent: s.cgroupParent) }, command: { _, id in ["start", id] },
            allowed: ["created", "running", "stopped"]),
        CrashWalk(
            name: "run -d", setup: { _, _ in }, command: { s, id in ["run", "-d", "--bundle", s.bundle.path, id] },
            allowed: ["created", "running", "stopped"]),
        CrashWalk(
            name: "run",
            setup: { s, _ in
                s.bundle.config.shell("true"); try? s.bundle.write()
            },
            command: { s, id in ["run", "--bundle", s.bundle.path, id] }, allowed: ["created", "running", "stopped"]),
        CrashWalk(
            name: "exec", setup: { s, id in runDetached(s, id, parent: s.cgroupParent) },
            command: { _, id in ["exec", "-d", id, "sleep", "1000"] }, allowed: ["running"]),
        CrashWalk(
            name: "delete", setup: { s, id in runDetached(s, id, parent: s.cgroupParent) },
            command: { _, id in ["delete", "--force", id] }, allowed: ["running", "stopped"]),
        CrashWalk(
            name: "pause", setup: { s, id in runDetached(s, id, parent: s.cgroupParent) },
            command: { _, id in ["pause", id] }, allowed: ["running", "paused"]),
        CrashWalk(
            name: "resume",
            setup: { s, id in
                runDetached(s, id, parent: s.cgroupParent)
                _ = s.berth(["pause", id])
            }, command: { _, id in ["resume", id] }, allowed: ["running", "paused"]),
        CrashWalk(
            name: "update", setup: { s, id in runDetached(s, id, parent: s.cgroupParent) },
            command: { _, id in ["update", "--memory", "100000000", "--pids-limit", "100", id] }, allowed: ["running"]),
        CrashWalk(
            name: "kill", setup: { s, id in runDetached(s, id, parent: s.cgroupParent) },
            command: { _, id in ["kill", id, "KILL"] }, allowed: ["running", "stopped"]),
    ]

    @Test(
        "berth killed at every phase of a command leaves only what list shows and delete --force removes",
        arguments: walks)
    func killAtEveryPhase(_ walk: CrashWalk) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let parent = s.useOwnCgroupParent()
        try Self.prepare(s, parent: parent)
        var phases: [String] = []
        var completed = false
        // A descriptor of the caller's that berth inherits (as from a shim that leaks one):
        // a created init, whatever killed its berth, must not hold it.
        let leaked = s.dir + "/caller-leaked"
        try Host.write(leaked, "")
        let callerFD = open(leaked, O_RDONLY | O_CLOEXEC)
        defer { close(callerFD) }
        for n in 1...80 {
            try Self.prepare(s, parent: parent)
            let id = s.newID("k\(n)")
            s.bundle.config["linux.cgroupsPath"] = Self.cgroupArg(parent, id)
            try s.bundle.write()
            walk.setup(s, id)
            let r = s.berth(walk.command(s, id), extraFds: [callerFD], env: ["BERTH_TEST_KILL_AT": String(n)])
            #expect(!r.timedOut, "\(walk.name) killed at phase \(n) hung: \(r)")
            guard r.signal == SIGKILL else {
                // The command ran to its end: every phase has been tried.
                #expect(r.status == 0, "\(walk.name) with no kill: \(r)")
                completed = true
                _ = s.berth(["delete", "--force", id])
                s.expectHostClean(cgroupParent: parent, "after \(walk.name) ran to completion")
                break
            }
            let phase = r.stderr.lines.first { $0.hasPrefix("berth: test kill at phase") } ?? "?"
            phases.append(phase)
            let context = "after \(walk.name) was killed at \(phase)"
            // Whatever the kill left, list shows it, with a status that is true.
            if FileManager.default.fileExists(atPath: s.root + "/" + id) {
                let list = s.berth(["list", "--format", "json"])
                #expect(list.status == 0, "\(context): \(list)")
                let entries = (Host.parseJSON(list.stdout) as? [[String: Any]]) ?? []
                let entry = entries.first { $0["id"] as? String == id }
                #expect(entry != nil, "\(context): list does not show \(id): \(list.stdout)")
                let status = entry?["status"] as? String ?? "?"
                let pid = (entry?["pid"] as? Int).map(Int32.init) ?? 0
                #expect(
                    walk.allowed.contains(status) || (walk.name != "create" && status == "stopped"),
                    "\(context): status \(status)")
                // A status with a live init was true when list looked; an init that berth left
                // before releasing it exits by itself (end of the sync stream), and then
                // (only then) the container shows as stopped.
                if (status == "created" || status == "running" || status == "paused") && !Host.isAlive(pid) {
                    #expect(s.waitForStatus(id, "stopped", timeout: 10), "\(context): \(status) with pid \(pid) gone, not stopped")
                }
                let st = s.berth(["state", id])
                #expect(st.status == 0, "\(context): state: \(st)")
                if status == "created" && Host.isAlive(pid) {
                    let held = Self.descriptorTargets(pid).filter { $0 == leaked || $0.hasPrefix(s.bundle.path) }
                    #expect(held.isEmpty, "\(context): the created init holds the caller's descriptors \(held)")
                }
                if status == "created" {
                    // Startable (unless its init was on its way out, or a killed start had
                    // already released it (start, run) and it was between the release and its exec when
                    // list looked), and `start` never hangs on what a killed start left.
                    let start = s.berth(["start", id], timeout: 20)
                    #expect(!start.timedOut, "\(context): start: \(start)")
                    let now = s.status(id)
                    #expect(
                        start.status == 0
                            || (start.stderr.contains("cannot start a container that has stopped") && now == "stopped")
                            || (walk.name != "create" && start.stderr.contains("cannot start an already running container")
                                && (now == "running" || now == "stopped")),
                        "\(context): start: \(start), now \(now ?? "?")")
                }
            }
            let d = s.berth(["delete", "--force", id], timeout: 30)
            #expect(d.status == 0, "\(context): delete --force: \(d)")
            #expect(!FileManager.default.fileExists(atPath: s.root + "/" + id), "\(context): state directory left")
            _ = s.berth(["delete", "--force", id])
            s.expectHostClean(cgroupParent: parent, context)
        }
        #expect(completed, "\(walk.name): never ran to completion; phases: \(phases)")
        #expect(!phases.isEmpty)
    }

    @Test("a container with a network device: killed at every phase of create, the device comes back")
    func killCreateWithNetDevice() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let parent = s.useOwnCgroupParent()
        let veth = try Veth.make(s)
        var completed = false
        for n in 1...60 {
            try Self.prepare(s, parent: parent)
            let id = s.newID("n\(n)")
            s.bundle.config["linux.cgroupsPath"] = Self.cgroupArg(parent, id)
            s.bundle.config["linux.netDevices"] = [veth.name: [String: Any]()]
            try s.bundle.write()
            let r = s.berth(["create", "--bundle", s.bundle.path, id], env: ["BERTH_TEST_KILL_AT": String(n)])
            let phase = r.stderr.lines.first { $0.hasPrefix("berth: test kill at phase") } ?? "none"
            let d = s.berth(["delete", "--force", id])
            #expect(d.status == 0, "killed at \(phase): \(d)")
            s.expectHostClean(cgroupParent: parent, "after create with a network device killed at \(phase)")
            let back = Host.waitUntil(timeout: 10) { Veth.show(veth.name, io: s.io) != nil }
            #expect(back, "killed at \(phase): \(veth.name) is not back on the host")
            if r.signal != SIGKILL {
                #expect(r.status == 0, "\(r)")
                completed = true
                break
            }
        }
        #expect(completed)
    }

    @Test("berth killed at random moments while other containers start: list and delete --force clean up")
    func timedKillsUnderLoad() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let parent = s.useOwnCgroupParent()
        try Self.prepare(s, parent: parent)
        // Load: containers started and deleted in parallel all along.
        var loadProcs: [Spawned] = []
        var killed = 0
        for round in 0..<24 {
            let loadID = s.newID("load\(round)")
            s.bundle.config["linux.cgroupsPath"] = Self.cgroupArg(parent, loadID)
            try s.bundle.write()
            loadProcs.append(try s.spawnBerth(["run", "-d", "--bundle", s.bundle.path, loadID]))
            let id = s.newID("t\(round)")
            s.bundle.config["linux.cgroupsPath"] = Self.cgroupArg(parent, id)
            try s.bundle.write()
            let commands: [[String]] = [["create", "--bundle", s.bundle.path, id], ["run", "-d", "--bundle", s.bundle.path, id]]
            let p = try s.spawnBerth(commands[round % 2])
            // 0–40 ms: the span of a create here.
            usleep(UInt32((round * 7919) % 40_000))
            p.signal(SIGKILL)
            let r = p.wait(timeout: 30)
            if r.signal == SIGKILL { killed += 1 }
            let list = s.berth(["list", "--format", "json"])
            #expect(list.status == 0, "\(list)")
            if FileManager.default.fileExists(atPath: s.root + "/" + id) {
                #expect(list.stdout.contains("\"\(id)\""), "round \(round): list does not show \(id): \(list.stdout)")
            }
        }
        for p in loadProcs { _ = p.wait(timeout: 60) }
        for id in s.ids {
            let d = s.berth(["delete", "--force", id])
            #expect(d.status == 0, "\(d)")
        }
        s.expectHostClean(cgroupParent: parent, "after timed kills (\(killed) of 24 killed)")
    }
}
