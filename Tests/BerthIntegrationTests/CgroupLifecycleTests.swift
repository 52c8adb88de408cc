// A container never hangs berth (a frozen or occupied cgroup is refused, as runc refuses
// it), `delete --force` removes the sub-cgroups a container made, and SIGKILL to a
// container without its own pid namespace reaches every process in its cgroups.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension Config {
    /// The cgroup mount read-write, so the container can make sub-cgroups (runc's
    /// `set_cgroup_mount_writable`).
    mutating func writableCgroupMount() {
        mounts = mounts.map { m in
            guard (m["destination"] as? String) == "/sys/fs/cgroup" else { return m }
            var m = m
            m["options"] = ((m["options"] as? [String]) ?? []).filter { $0 != "ro" }
            return m
        }
    }
}

@Suite("Cgroup lifecycle")
struct CgroupLifecycleTests {
    @Test("run -d and create into a frozen cgroup fail at once with runc's words, leaving nothing")
    func frozenCgroup() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        let cg = s.testCgroup(id)
        let freezer = try #require(HostCgroup.mount(for: "freezer"))
        let dir = freezer.point + cg.rel
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        let (file, frozen, thawed) = freezer.isV2 ? ("cgroup.freeze", "1", "0") : ("freezer.state", "FROZEN", "THAWED")
        try Host.write(dir + "/" + file, frozen)
        s.onCleanup { try? Host.write(dir + "/" + file, thawed) }
        s.bundle.config.shell("echo started; sleep 1000")
        try s.bundle.write()
        let run = s.berth(["run", "-d", "--bundle", s.bundle.path, id], timeout: 20)
        #expect(!run.timedOut, "run -d hung on a frozen cgroup")
        expectError(run, contains: ["container's cgroup unexpectedly frozen"])
        s.expectNothingLeft(id)
        let id2 = s.newID()
        let create = s.berth(["create", "--bundle", s.bundle.path, id2], timeout: 20)
        #expect(!create.timedOut, "create hung on a frozen cgroup")
        expectError(create, contains: ["container's cgroup unexpectedly frozen"])
        s.expectNothingLeft(id2)
        // Nothing was placed in it.
        #expect((Host.readFile(dir + "/cgroup.procs") ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    @Test("a second container in a cgroup that holds processes is refused (runc: not empty), by run and create")
    func occupiedCgroup() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let first = s.newID()
        let cg = try s.runWithCgroup(first)
        let pids = try #require(cg.read("pids", "cgroup.procs"))
        let run = s.berth(["run", "-d", "--bundle", s.bundle.path, s.newID()], timeout: 20)
        expectError(run, contains: ["container's cgroup is not empty: 1 process(es) found"])
        let create = s.berth(["create", "--bundle", s.bundle.path, s.newID()], timeout: 20)
        expectError(create, contains: ["container's cgroup is not empty"])
        #expect(cg.read("pids", "cgroup.procs") == pids, "a refused container joined the cgroup")
        #expect(s.stateEntries() == [first])
        #expect(s.status(first) == "running")
    }

    @Test("a created container whose cgroup was frozen is paused, and start says so instead of hanging")
    func startFrozen() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.mountOut()
        let id = s.newID()
        let cg = s.testCgroup(id)
        s.bundle.config.shell("echo started > /srv/started.tmp; mv /srv/started.tmp /srv/started; sleep 1000")
        try s.bundle.write()
        #expect(s.berth(["create", "--bundle", s.bundle.path, id]).status == 0)
        let freezer = try #require(HostCgroup.mount(for: "freezer"))
        let (file, frozen, thawed) = freezer.isV2 ? ("cgroup.freeze", "1", "0") : ("freezer.state", "FROZEN", "THAWED")
        try Host.write(freezer.point + cg.rel + "/" + file, frozen)
        #expect(s.status(id) == "paused")
        let start = s.berth(["start", id], timeout: 20)
        #expect(!start.timedOut, "start hung on a frozen container")
        expectError(start, contains: ["cannot start a container in the paused state"])
        #expect(s.berth(["resume", id]).status == 0)
        #expect(s.status(id) == "created")
        #expect(s.berth(["start", id], timeout: 20).status == 0)
        #expect(s.waitForOutFile("started") == "started\n")
        _ = thawed
    }

    @Test("delete --force removes the sub-cgroups the container's processes made, in every hierarchy, and kills their processes")
    func deleteSubcgroups() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.mountOut()
        let id = s.newID()
        let subsystems = HostCgroup.isPureV2 ? [""] : ["memory", "freezer", "pids"]
        // Inside: a sleeper moves itself into a sub-cgroup of each hierarchy, then says so.
        let moves = subsystems.map { sub in
            let d = "/sys/fs/cgroup" + (sub.isEmpty ? "" : "/" + sub) + "/foo"
            return "mkdir -p \(d) && echo $$ > \(d)/cgroup.procs"
        }.joined(separator: " && ")
        let cg = try s.runWithCgroup(id, script: "sh -c '\(moves) && touch /srv/moved && exec sleep 1000' & sleep 1000") { b in
            b.config.writableCgroupMount()
        }
        #expect(s.waitForOutFile("moved") != nil)
        for sub in subsystems {
            let dir = try #require(cg.dir(sub.isEmpty ? "memory" : sub)) + "/foo"
            #expect(FileManager.default.fileExists(atPath: dir), "no sub-cgroup \(dir)")
        }
        let sleeper = try #require(
            Int32(
                (cg.read(subsystems[0].isEmpty ? "memory" : subsystems[0], "foo/cgroup.procs") ?? "")
                    .split(separator: "\n").first ?? ""))
        let r = s.berth(["delete", "--force", id])
        #expect(r.status == 0, "\(r)")
        #expect(s.state(id) == nil)
        for dir in cg.allDirs { #expect(!FileManager.default.fileExists(atPath: dir), "left behind: \(dir)") }
        #expect(Host.waitUntil(timeout: 10) { !Host.isAlive(sleeper) }, "the process in the sub-cgroup survived")
    }

    @Test(
        "kill KILL of a container without a pid namespace kills every process in its cgroup, with its init alive or gone",
        arguments: [false, true])
    func killSharedPidNamespace(initGone: Bool) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        s.bundle.config.removeNamespace("pid")
        let cg = try s.runWithCgroup(id)
        let initial = (cg.read("pids", "cgroup.procs") ?? "").split(separator: "\n").count
        for _ in 0..<3 { #expect(s.berth(["exec", "-d", id, "sleep", "1000"]).status == 0) }
        // Inside: the container sees its sleepers (it shares the host's pid namespace, so
        // count only the ones in its own cgroup).
        let inside = s.berth(["exec", id, "sh", "-c", "cat \(HostCgroup.insidePath("pids", "cgroup.procs")) | wc -l"])
        #expect(Int(inside.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 >= initial + 3, "\(inside)")
        let pids = (cg.read("pids", "cgroup.procs") ?? "").split(separator: "\n").compactMap { Int32($0) }
        #expect(pids.count == initial + 3, "\(pids)")
        if initGone {
            let initPid = try #require(s.state(id)?["pid"] as? Int)
            kill(Int32(initPid), SIGKILL)
            #expect(Host.waitUntil(timeout: 10) { s.status(id) == "stopped" })
            #expect(pids.filter { Host.isAlive($0) }.count >= 3, "the init's death took the others")
        }
        let k = s.berth(["kill", id, "KILL"])
        #expect(k.status == 0, "\(k)")
        #expect(Host.waitUntil(timeout: 10) { pids.allSatisfy { !Host.isAlive($0) } }, "survivors: \(pids.filter { Host.isAlive($0) })")
        #expect(s.waitForStatus(id, "stopped"))
        expectError(s.berth(["kill", id, "TERM"]), contains: ["container not running"])
        #expect(s.berth(["delete", id]).status == 0)
        for dir in cg.allDirs { #expect(!FileManager.default.fileExists(atPath: dir), "left behind: \(dir)") }
    }
}
