// events: one stats document in runc's shape, and a stream that reports an OOM kill.
import Foundation
import Testing

@Suite("events")
struct EventsTests {
    @Test("events --stats prints one stats document with cpu, memory, pids and blkio")
    func stats() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("sleep 100")
        s.bundle.config["linux.resources.pids"] = ["limit": 40]
        try s.bundle.write()
        let id = s.newID()
        #expect(s.berth(["run", "-d", "--bundle", s.bundle.path, id]).status == 0)
        let r = s.berth(["events", "--stats", id])
        #expect(r.status == 0, "\(r)")
        let doc = try #require(Host.parseJSON(r.stdout) as? [String: Any], "\(r)")
        #expect(doc["type"] as? String == "stats")
        #expect(doc["id"] as? String == id)
        let data = try #require(doc["data"] as? [String: Any])
        let pids = try #require(data["pids"] as? [String: Any])
        #expect(pids["current"] as? Int == 1, "\(pids)")
        #expect(pids["limit"] as? Int == 40, "\(pids)")
        let usage = try #require((data["memory"] as? [String: Any])?["usage"] as? [String: Any])
        #expect((usage["usage"] as? Int ?? 0) > 0, "\(usage)")
        let cpu = try #require((data["cpu"] as? [String: Any])?["usage"] as? [String: Any])
        #expect((cpu["total"] as? Int ?? 0) > 0, "\(cpu)")
        #expect(data["blkio"] != nil)
        #expect(s.berth(["delete", "--force", id]).status == 0)
        #expect(s.berth(["events", "--stats", id]).status == 1)
    }

    @Test("the event stream reports an OOM kill inside the container")
    func oom() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        // tail buffers /dev/zero's endless line until the memory limit kills it; the
        // shell (pid 1) survives and the container keeps running.
        s.bundle.config.shell("sleep 1; tail /dev/zero; sleep 100")
        s.bundle.config["linux.resources.memory"] = ["limit": 16 * 1024 * 1024, "swap": 16 * 1024 * 1024]
        try s.bundle.write()
        let id = s.newID()
        #expect(s.berth(["run", "-d", "--bundle", s.bundle.path, id]).status == 0)
        let stream = try s.spawnBerth(["events", "--interval", "200ms", id])
        defer { stream.signal(SIGKILL); _ = stream.wait() }
        let sawOOM = Host.waitUntil(timeout: 20) {
            (Host.readFile(stream.stdoutPath) ?? "").contains("{\"type\":\"oom\",\"id\":\"\(id)\"}")
        }
        #expect(sawOOM, "\(Host.readFile(stream.stdoutPath)?.prefix(400) ?? "")")
        #expect((Host.readFile(stream.stdoutPath) ?? "").contains("\"type\":\"stats\""))
        #expect(s.berth(["delete", "--force", id]).status == 0)
    }
}
