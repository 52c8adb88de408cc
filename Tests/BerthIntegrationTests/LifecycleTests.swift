// create → start → state → kill → delete, foreground run, detach, keep, exit statuses,
// signal forwarding.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Lifecycle")
struct LifecycleTests {
    @Test("create then start runs the process; its output goes to the create's stdout")
    func createStart() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("echo pid=$$; hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo")
        s.bundle.config["hostname"] = "lifecycle"
        try s.bundle.write()
        let id = s.newID()
        let c = s.berth(["create", "--bundle", s.bundle.path, id])
        #expect(c.status == 0, "\(c)")
        // Nothing runs before start.
        #expect(c.stdoutNow.isEmpty)
        #expect(s.status(id) == "created")
        let st = s.berth(["start", id])
        #expect(st.status == 0, "\(st)")
        #expect(st.stdout.isEmpty && st.stderr.isEmpty, "\(st)")
        #expect(s.waitForStatus(id, "stopped"))
        #expect(Host.waitUntil { c.stdoutNow.lines.count >= 3 })
        let lines = c.stdoutNow.lines
        #expect(lines == ["pid=1", "lifecycle", "sh -c \(s.bundle.config.args[2]) "], "\(lines)")
        let d = s.berth(["delete", id])
        #expect(d.status == 0, "\(d)")
        #expect(!FileManager.default.fileExists(atPath: s.root + "/" + id))
    }

    @Test("foreground run prints the container's stdout and stderr and exits with its status")
    func runForeground() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let r = try s.sh("echo out; echo err >&2; exit 3")
        #expect(r.status == 3, "\(r)")
        #expect(r.stdout == "out\n", "\(r)")
        #expect(r.stderr.contains("err"), "\(r)")
        // run deletes the container when it exits.
        #expect(s.stateEntries().isEmpty, "\(s.stateEntries())")
        let ok = try s.sh("true")
        #expect(ok.status == 0, "\(ok)")
    }

    @Test("foreground run passes stdin to the container")
    func runStdin() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["cat"]
        try s.bundle.write()
        let r = s.berth(["run", "--bundle", s.bundle.path, s.newID()], stdin: "hello stdin\n")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "hello stdin\n", "\(r)")
    }

    @Test("foreground run forwards SIGTERM to the container")
    func runForwardsSignals() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.mountOut()
        s.bundle.config.shell("trap 'exit 7' TERM; touch /srv/ready; sleep 100 & wait")
        try s.bundle.write()
        let id = s.newID()
        let p = try s.spawnBerth(["run", "--bundle", s.bundle.path, id])
        #expect(s.waitForOutFile("ready") != nil, "container never became ready")
        p.signal(SIGTERM)
        let r = p.wait()
        #expect(r.status == 7, "\(r)")
        #expect(s.stateEntries().isEmpty, "\(s.stateEntries())")
    }

    @Test("foreground run of a container killed by SIGKILL exits 137")
    func runKilled() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.mountOut()
        s.bundle.config.shell("touch /srv/ready; sleep 100")
        try s.bundle.write()
        let id = s.newID()
        let p = try s.spawnBerth(["run", "--bundle", s.bundle.path, id])
        #expect(s.waitForOutFile("ready") != nil)
        #expect(s.waitForStatus(id, "running"))
        let k = s.berth(["kill", id, "KILL"])
        #expect(k.status == 0, "\(k)")
        let r = p.wait()
        #expect(r.status == 137, "\(r)")
        #expect(Host.waitUntil { s.stateEntries().isEmpty }, "\(s.stateEntries())")
    }

    @Test("run --detach returns while the container runs; kill and delete finish it")
    func runDetach() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let id = s.newID()
        let pidFile = s.dir + "/pid"
        let r = s.berth(["run", "--detach", "--pid-file", pidFile, "--bundle", s.bundle.path, id])
        #expect(r.status == 0, "\(r)")
        #expect(s.status(id) == "running")
        let pid = try #require(Int32(Host.readFile(pidFile) ?? ""))
        #expect(Host.isAlive(pid))
        #expect(Host.readFile("/proc/\(pid)/cmdline") == "sleep\u{0}100\u{0}")
        #expect(s.leftoverProcesses(excluding: [pid]).isEmpty)
        #expect(s.berth(["kill", id, "KILL"]).status == 0)
        #expect(s.waitForStatus(id, "stopped"))
        #expect(s.berth(["delete", id]).status == 0)
        #expect(!Host.isAlive(pid))
        #expect(s.stateEntries().isEmpty)
    }

    @Test("run -d short flag")
    func runDetachShort() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let id = s.newID()
        let r = s.berth(["run", "-d", "-b", s.bundle.path, id])
        #expect(r.status == 0, "\(r)")
        #expect(s.status(id) == "running")
    }

    @Test("run --keep leaves the stopped container for inspection")
    func runKeep() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("exit 5")
        try s.bundle.write()
        let id = s.newID()
        let r = s.berth(["run", "--keep", "--bundle", s.bundle.path, id])
        #expect(r.status == 5, "\(r)")
        #expect(s.status(id) == "stopped")
        #expect(s.berth(["delete", id]).status == 0)
        #expect(s.stateEntries().isEmpty)
    }

    @Test("--preserve-fds passes extra descriptors to the container")
    func preserveFds() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let path = s.dir + "/extra"
        try Host.write(path, "from-fd-3\n")
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        #expect(fd >= 0)
        defer { close(fd) }
        s.bundle.config.shell("cat <&3")
        try s.bundle.write()
        let r = s.berth(["run", "--preserve-fds", "1", "--bundle", s.bundle.path, s.newID()], extraFds: [fd])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "from-fd-3\n", "\(r)")
        // Without --preserve-fds the descriptor does not reach the container.
        let r2 = s.berth(["run", "--bundle", s.bundle.path, s.newID()], extraFds: [fd])
        #expect(r2.status != 0, "\(r2)")
        #expect(!r2.stdout.contains("from-fd-3"), "\(r2)")
    }

    @Test("only stdio (and preserved fds) are open in the container")
    func noLeakedFds() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let r = try s.sh("ls /proc/self/fd")
        #expect(r.status == 0, "\(r)")
        // ls itself opens one directory fd.
        let fds = r.stdout.lines.compactMap { Int($0) }.filter { $0 > 2 }
        #expect(fds.count <= 1, "\(r)")
    }

    @Test("many containers at once under one root")
    func concurrentContainers() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let ids = (0..<5).map { _ in s.newID("m") }
        let procs = try ids.map { try s.spawnBerth(["run", "-d", "--bundle", s.bundle.path, $0]) }
        for p in procs { #expect(p.wait().status == 0) }
        let q = s.berth(["list", "-q"])
        #expect(Set(q.stdout.lines) == Set(ids), "\(q)")
        for id in ids { #expect(s.berth(["delete", "-f", id]).status == 0) }
        #expect(s.stateEntries().isEmpty)
    }
}
