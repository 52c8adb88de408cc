// Concurrency (issue 11, item 2): one id from many processes at once, every command
// racing with create and with each other, and many containers at once on two cores.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The errors a command racing with create and delete may give, in runc's wording.
let raceWordings = [
    "container does not exist", "container not running", "container with given ID already exists",
    "cannot start a container that has stopped", "cannot start an already running container",
    "that is not stopped",
]

@Suite("Concurrency")
struct ConcurrencyTests {
    @Test("the same id from 10 processes at once: exactly one create wins")
    func sameIDTenTimes() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let parent = s.useOwnCgroupParent()
        s.bundle.config.shell("sleep 1000")
        s.bundle.config.env += [s.token]
        for round in 0..<3 {
            let id = s.newID("same\(round)")
            s.bundle.config["linux.cgroupsPath"] = parent + "/" + id
            try s.bundle.write()
            let procs = try (0..<10).map { _ in try s.spawnBerth(["create", "--bundle", s.bundle.path, id]) }
            let results = procs.map { $0.wait(timeout: 60) }
            let won = results.filter { $0.status == 0 }
            #expect(won.count == 1, "\(results.map(\.description).joined(separator: "\n"))")
            for r in results where r.status != 0 {
                #expect(r.status == 1 && r.stderr.lines == ["berth: container with given ID already exists"], "\(r)")
            }
            #expect(s.status(id) == "created")
            #expect(s.berth(["delete", "--force", id]).status == 0)
        }
        s.expectHostClean(cgroupParent: parent, "after the same id was created 10 times at once")
    }

    @Test("state, list, kill, delete racing with create and each other: no torn state, runc's wording, no hang")
    func racingCommands() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let parent = s.useOwnCgroupParent()
        s.bundle.config.shell("sleep 1000")
        s.bundle.config.env += [s.token]
        for round in 0..<6 {
            let id = s.newID("race\(round)")
            s.bundle.config["linux.cgroupsPath"] = parent + "/" + id
            try s.bundle.write()
            var procs: [Spawned] = []
            let create = round % 2 == 0 ? ["create", "--bundle", s.bundle.path, id] : ["run", "-d", "--bundle", s.bundle.path, id]
            procs.append(try s.spawnBerth(create))
            for i in 0..<12 {
                let command: [String] =
                    switch i % 6 {
                    case 0: ["state", id]
                    case 1: ["list", "--format", "json"]
                    case 2: ["kill", id, "KILL"]
                    case 3: ["delete", id]
                    case 4: ["start", id]
                    default: ["delete", "--force", id]
                    }
                procs.append(try s.spawnBerth(command))
            }
            for p in procs {
                let r = p.wait(timeout: 60)
                #expect(!r.timedOut, "hung: \(r)")
                // The create itself may lose its init to a racing kill (state.json is written
                // while the init still sets up, so kill can reach it): it says so and cleans up.
                let wordings = p === procs[0] ? raceWordings + ["container init exited during set-up: killed by signal 9"] : raceWordings
                if r.status != 0 {
                    #expect(
                        r.status == 1 && r.stderr.lines.count == 1 && wordings.contains { r.stderr.contains($0) },
                        "round \(round): \(r)")
                }
                if p.command.contains("state") && r.status == 0 {
                    let doc = Host.parseJSON(r.stdout) as? [String: Any]
                    #expect(doc?["id"] as? String == id, "torn state: \(r)")
                    let allowed: Set<String> = ["creating", "created", "running", "stopped"]
                    #expect(allowed.contains(doc?["status"] as? String ?? ""), "\(r)")
                }
                if p.command.contains("list") && r.status == 0 {
                    #expect(r.stdout.trimmed == "null" || Host.parseJSON(r.stdout) is [[String: Any]], "torn list: \(r)")
                }
            }
            #expect(s.berth(["delete", "--force", id]).status == 0)
        }
        s.expectHostClean(cgroupParent: parent, "after commands raced with create")
    }

    @Test("50 parallel run -d, then 50 parallel delete --force: all succeed, nothing left")
    func fiftyInParallel() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let parent = s.useOwnCgroupParent()
        s.bundle.config.shell("sleep 1000")
        s.bundle.config.env += [s.token]
        let ids = (0..<50).map { s.newID("p\($0)") }
        var procs: [Spawned] = []
        for id in ids {
            s.bundle.config["linux.cgroupsPath"] = parent + "/" + id
            let b = try s.newBundle("b-" + id, config: s.bundle.config)
            procs.append(try s.spawnBerth(["run", "-d", "--bundle", b.path, id]))
        }
        for p in procs {
            let r = p.wait(timeout: 180)
            #expect(r.status == 0, "\(r)")
        }
        let list = s.berth(["list", "-q"])
        #expect(Set(list.stdout.lines) == Set(ids), "\(list)")
        let deletes = try ids.map { try s.spawnBerth(["delete", "--force", $0]) }
        for p in deletes {
            let r = p.wait(timeout: 180)
            #expect(r.status == 0, "\(r)")
        }
        s.expectHostClean(cgroupParent: parent, "after 50 parallel run -d and delete --force")
    }
}
