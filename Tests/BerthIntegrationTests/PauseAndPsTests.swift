// pause/resume through the freezer, ps, and the features document.
import Foundation
import Testing

@Suite("pause, resume, ps, features")
struct PauseAndPsTests {
    @Test("pause freezes the container (state paused), resume thaws, a paused container can be force-deleted")
    func pauseResume() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("while true; do sleep 0.05; done")
        try s.bundle.write()
        let id = s.newID()
        let pid = try s.runDetached(id).pid
        #expect(s.berth(["pause", id]).status == 0)
        #expect(s.status(id) == "paused")
        #expect(Host.isAlive(pid))
        let again = s.berth(["pause", id])
        #expect(again.status == 1 && again.stderr.contains("paused"), "\(again)")
        #expect(s.berth(["resume", id]).status == 0)
        #expect(s.status(id) == "running")
        #expect(s.berth(["resume", id]).status == 1)
        #expect(s.berth(["pause", id]).status == 0)
        #expect(s.berth(["delete", "--force", id]).status == 0)
        #expect(Host.waitUntil(timeout: 10) { !Host.isAlive(pid) })
        #expect(s.stateEntries().isEmpty)
    }

    @Test("a paused container can be killed with SIGKILL")
    func killPaused() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("sleep 100")
        try s.bundle.write()
        let id = s.newID()
        let pid = try s.runDetached(id).pid
        #expect(s.berth(["pause", id]).status == 0)
        #expect(s.berth(["kill", id, "KILL"]).status == 0)
        #expect(Host.waitUntil(timeout: 10) { s.status(id) == "stopped" }, "\(s.status(id) ?? "nil")")
        #expect(!Host.isAlive(pid) || (Host.readFile("/proc/\(pid)/stat") ?? "").contains(") Z "))
        #expect(s.berth(["delete", id]).status == 0)
    }

    @Test("ps lists the container's processes as host pids (json) and as ps rows (table)")
    func ps() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("sleep 100 & sleep 100")
        try s.bundle.write()
        let id = s.newID()
        let pid = try s.runDetached(id).pid
        var pids: [Int] = []
        _ = Host.waitUntil(timeout: 10) {
            let r = s.berth(["ps", "--format", "json", id])
            pids = (Host.parseJSON(r.stdout) as? [Int]) ?? []
            return pids.count == 2
        }
        #expect(pids.count == 2, "\(pids)")
        #expect(pids.contains(Int(pid)))
        let table = s.berth(["ps", id])
        #expect(table.status == 0, "\(table)")
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.first?.contains("PID") == true, "\(table)")
        #expect(lines.count == 3, "\(table)")
        #expect(s.berth(["delete", "--force", id]).status == 0)
    }

    @Test("features reports what berth supports")
    func features() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let r = s.berth(["features"])
        #expect(r.status == 0, "\(r)")
        let doc = try #require(Host.parseJSON(r.stdout) as? [String: Any], "\(r)")
        #expect((doc["hooks"] as? [String])?.count == 6)
        let linux = try #require(doc["linux"] as? [String: Any])
        #expect(Set((linux["namespaces"] as? [String]) ?? []) == ["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"])
        let seccomp = try #require(linux["seccomp"] as? [String: Any])
        #expect(seccomp["enabled"] as? Bool == true)
        #expect(((seccomp["actions"] as? [String]) ?? []).contains("SCMP_ACT_NOTIFY"))
        // AppArmor and SELinux in LSMTests.
    }
}
