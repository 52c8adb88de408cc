// kill (signals by number and name, --all) and delete (state dir, processes, mounts).
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension Sandbox {
    /// Starts a detached container running `script` after `touch /srv/ready`; returns its pid.
    func startDetached(_ script: String, id: String, extraNamespaces: [String] = []) throws -> Int32 {
        mountOut()
        for ns in extraNamespaces { bundle.config.setNamespace(ns) }
        bundle.config.shell(script)
        try bundle.write()
        let pidFile = dir + "/pid-\(id)"
        let r = berth(["run", "-d", "--pid-file", pidFile, "--bundle", bundle.path, id])
        #expect(r.status == 0, "\(r)")
        guard let pid = Int32(Host.readFile(pidFile) ?? "") else { throw TestSetupError("no pid file: \(r)") }
        return pid
    }
}

/// Pids on the host that live in the pid namespace `ns` (e.g. "pid:[4026532180]").
func pidsInNamespace(_ ns: String) -> [Int32] {
    Host.allPids().filter { Host.nsLink(pid: $0, "pid") == ns && Host.isAlive($0) }
}

@Suite("Kill and delete")
struct KillDeleteTests {
    @Test("kill ID sends SIGTERM by default")
    func killDefault() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        _ = try s.startDetached("trap 'echo TERM > /srv/sig.tmp; mv /srv/sig.tmp /srv/sig; exit 0' TERM; touch /srv/ready; sleep 100 & wait", id: id)
        #expect(s.waitForOutFile("ready") != nil)
        let k = s.berth(["kill", id])
        #expect(k.status == 0 && k.stderr.isEmpty, "\(k)")
        #expect(s.waitForOutFile("sig") == "TERM\n")
        #expect(s.waitForStatus(id, "stopped"))
        expectError(s.berth(["kill", id]), contains: ["container not running"])
    }

    @Test("kill by name and number", arguments: [("HUP", "HUP"), ("SIGUSR1", "USR1"), ("10", "USR1"), ("SIGTERM", "TERM"), ("15", "TERM")])
    func killNamed(_ signal: String, _ trapped: String) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        _ = try s.startDetached(
            "trap 'echo \(trapped) > /srv/sig.tmp; mv /srv/sig.tmp /srv/sig; exit 0' \(trapped); touch /srv/ready; sleep 100 & wait", id: id)
        #expect(s.waitForOutFile("ready") != nil)
        let k = s.berth(["kill", id, signal])
        #expect(k.status == 0, "\(k)")
        #expect(s.waitForOutFile("sig") == "\(trapped)\n")
        #expect(s.waitForStatus(id, "stopped"))
    }

    @Test("kill with SIGKILL spelled 9, KILL, SIGKILL", arguments: ["9", "KILL", "SIGKILL"])
    func killKill(_ signal: String) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        let pid = try s.startDetached("sleep 100", id: id)
        #expect(s.status(id) == "running")
        let k = s.berth(["kill", id, signal])
        #expect(k.status == 0, "\(k)")
        #expect(s.waitForStatus(id, "stopped"))
        #expect(Host.waitUntil { !Host.isAlive(pid) })
        expectError(s.berth(["kill", id, signal]), contains: ["container not running"])
        #expect(s.berth(["delete", id]).status == 0)
    }

    @Test("kill with an invalid signal fails")
    func killInvalidSignal() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        _ = try s.startDetached("sleep 100", id: id)
        let k = s.berth(["kill", id, "NOSUCHSIG"])
        expectError(k)
        #expect(s.status(id) == "running")
    }

    @Test("kill --all signals every process of the container")
    func killAll() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        let pid = try s.startDetached("sleep 100 & sleep 100 & touch /srv/ready; wait", id: id)
        #expect(s.waitForOutFile("ready") != nil)
        let ns = try #require(Host.nsLink(pid: pid, "pid"))
        #expect(Host.waitUntil { pidsInNamespace(ns).count == 3 }, "\(pidsInNamespace(ns))")
        let k = s.berth(["kill", "--all", id, "KILL"])
        #expect(k.status == 0, "\(k)")
        #expect(Host.waitUntil { pidsInNamespace(ns).isEmpty }, "left: \(pidsInNamespace(ns))")
        #expect(s.waitForStatus(id, "stopped"))
    }

    @Test("kill of a created (not started) container")
    func killCreated() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let id = s.newID()
        let pidFile = s.dir + "/pid"
        #expect(s.berth(["create", "--bundle", s.bundle.path, "--pid-file", pidFile, id]).status == 0)
        let pid = try #require(Int32(Host.readFile(pidFile) ?? ""))
        let k = s.berth(["kill", id, "KILL"])
        #expect(k.status == 0, "\(k)")
        #expect(Host.waitUntil { !Host.isAlive(pid) })
        #expect(s.waitForStatus(id, "stopped"))
    }

    @Test("delete removes the state dir, the processes and the mounts")
    func deleteCleansUp() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        let pid = try s.startDetached("sleep 100", id: id)
        let ns = try #require(Host.nsLink(pid: pid, "pid"))
        #expect(FileManager.default.fileExists(atPath: s.root + "/" + id))
        #expect(s.berth(["kill", id, "KILL"]).status == 0)
        #expect(s.waitForStatus(id, "stopped"))
        let d = s.berth(["delete", id])
        #expect(d.status == 0 && d.stdout.isEmpty && d.stderr.isEmpty, "\(d)")
        #expect(!FileManager.default.fileExists(atPath: s.root + "/" + id))
        #expect(s.stateEntries().isEmpty, "\(s.stateEntries())")
        #expect(pidsInNamespace(ns).isEmpty)
        #expect(Host.hostMounts(containing: s.dir).isEmpty, "\(Host.hostMounts(containing: s.dir))")
        #expect(Host.hostMounts(containing: id).isEmpty, "\(Host.hostMounts(containing: id))")
        #expect(s.leftoverProcesses().isEmpty)
        expectError(s.berth(["state", id]), contains: ["container does not exist"])
    }

    @Test("delete --force kills a running container and its children")
    func deleteForce() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        let pid = try s.startDetached("sleep 100 & touch /srv/ready; wait", id: id)
        #expect(s.waitForOutFile("ready") != nil)
        let ns = try #require(Host.nsLink(pid: pid, "pid"))
        let d = s.berth(["delete", "--force", id])
        #expect(d.status == 0, "\(d)")
        #expect(Host.waitUntil { pidsInNamespace(ns).isEmpty }, "\(pidsInNamespace(ns))")
        #expect(s.stateEntries().isEmpty)
        #expect(Host.hostMounts(containing: s.dir).isEmpty)
    }

    @Test("delete of a created container (never started) needs no --force")
    func deleteCreated() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let id = s.newID()
        let pidFile = s.dir + "/pid"
        #expect(s.berth(["create", "--bundle", s.bundle.path, "--pid-file", pidFile, id]).status == 0)
        let pid = try #require(Int32(Host.readFile(pidFile) ?? ""))
        let d = s.berth(["delete", id])
        #expect(d.status == 0, "\(d)")
        #expect(Host.waitUntil { !Host.isAlive(pid) })
        #expect(s.stateEntries().isEmpty)
        #expect(s.leftoverProcesses().isEmpty)
    }
}
