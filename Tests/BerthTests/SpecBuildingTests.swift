import Berth
import Foundation
import Testing

/// Building a config in code: the default, the mutation helpers, validation with the
/// CLI's messages, and the bundle round trip.
@Suite struct SpecBuildingTests {
    @Test func defaultIsWhatBerthSpecWrites() {
        #expect(Spec.default() == ContainerRuntime.defaultSpec(rootless: false))
        #expect(Spec.default(rootless: true).linux?.namespace(.user) != nil)
        #expect(Spec.default().command == ["sh"])
    }

    @Test func helpersChangeTheFieldsTheyName() throws {
        var spec = Spec.default()
        spec.command = ["sh", "-c", "echo hi"]
        spec.workingDirectory = "/tmp"
        spec.terminal = false
        spec.setEnvironment("A", "1")
        spec.setEnvironment("A", "2")
        spec.setEnvironment("TERM", "dumb")
        #expect(spec.process?.env?.filter { $0.hasPrefix("A=") } == ["A=2"])
        #expect(spec.environmentValue("A") == "2")
        spec.unsetEnvironment("A")
        #expect(spec.environmentValue("A") == nil)
        spec.setUser(uid: 1000, gid: 100, additionalGroups: [5])
        #expect(spec.process?.user == User(uid: 1000, gid: 100, additionalGids: [5]))
        spec.rootPath = "/srv/rootfs"
        #expect(spec.root == Root(path: "/srv/rootfs", readonly: true))
        spec.addBindMount(from: "/srv/data", to: "/data", readOnly: true)
        spec.addBindMount(from: "/srv/other", to: "/data")
        #expect(
            spec.mounts?.filter { $0.destination == "/data" }
                == [Mount(destination: "/data", type: "bind", source: "/srv/other", options: ["rbind", "rw"])])
        spec.addTmpfs(at: "/scratch")
        spec.removeMount(at: "/scratch")
        #expect(spec.mounts?.contains { $0.destination == "/scratch" } == false)
        spec.memoryLimit = 64 << 20
        spec.pidsLimit = 32
        spec.setCPULimit(cores: 1.5)
        #expect(spec.linux?.resources?.memory?.limit == 64 << 20)
        #expect(spec.linux?.resources?.pids?.limit == 32)
        #expect(spec.linux?.resources?.cpu?.quota == 150_000 && spec.linux?.resources?.cpu?.period == 100_000)
        spec.removeNamespace(.network)
        #expect(spec.linux?.namespace(.network) == nil)
        spec.addNamespace(.network, joining: "/var/run/netns/test")
        #expect(spec.linux?.namespace(.network)?.path == "/var/run/netns/test")
        spec.hostname = "built"
        _ = try spec.validated()
    }

    @Test func validationSpeaksTheCLIsWords() {
        var spec = Spec.default()
        spec.command = []
        do {
            _ = try spec.validated()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidSpec)
            #expect(error.message == "process.args: must not be empty")
        }
    }

    @Test func savedBundleLoadsBack() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("berth-spec-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        var spec = Spec.default()
        spec.command = ["true"]
        spec.memoryLimit = 1 << 30
        try spec.save(bundle: dir.path + "/nested")
        #expect(try Spec.load(bundle: dir.path + "/nested") == spec)
        do {
            _ = try Spec.load(bundle: dir.path + "/missing")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidSpec)
            #expect(error.message == "open \(dir.path)/missing/config.json: no such file or directory")
        }
    }
}
