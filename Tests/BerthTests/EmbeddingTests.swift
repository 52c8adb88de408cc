import Berth
import BerthSpec
import Foundation
import Testing

/// The library from a process that runs other threads (as every Swift Testing process
/// does, and as a server embedding berth would): `create` must not clone in-process but
/// hand the set-up to a fresh berth process, and the lifecycle must still work.
@Suite struct EmbeddingTests {
    @Test func lifecycleFromAThreadedProcess() throws {
        let env = ProcessInfo.processInfo.environment
        try #require(getuid() == 0, "embedding test needs root to run a container")
        let binary = try #require(env["BERTH_BINARY"], "set BERTH_BINARY to the built berth (make test does)")
        let rootfs = try #require(env["BERTH_ROOTFS"], "set BERTH_ROOTFS to a busybox rootfs (make test does)")

        // Make sure this process really has more than one thread.
        let thread = Thread { sleep(5) }
        thread.start()
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        #expect(tasks.count > 1)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("berth-embed-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var spec = Spec.defaultSpec()
        spec.process?.terminal = false
        spec.process?.args = ["sh", "-c", "echo embedded > /dev/null; sleep 0.2"]
        spec.root = Root(path: rootfs, readonly: true)
        try Data(try spec.jsonData()).write(to: dir.appendingPathComponent("config.json"))

        let runtime = ContainerRuntime(root: dir.appendingPathComponent("root").path)
        let container = try runtime.create(id: "embedded", bundle: dir.path, options: CreateOptions(helperBinary: binary))
        defer { try? container.delete(force: true) }
        #expect(try container.state().status == .created)
        let pid = try container.state().pid
        #expect(pid > 0)
        try container.start()
        var status = try container.state().status
        for _ in 0..<500 where status != .stopped {
            usleep(10_000)
            status = try container.state().status
        }
        #expect(status == .stopped)
        try container.delete()
        #expect(try runtime.list().isEmpty)
        #expect(throws: BerthError.self) { try runtime.container(id: "embedded") }
    }

    /// From a threaded process the set-up runs in a helper `berth create`: its errors
    /// come back with their codes, also a spec error only the container init finds.
    @Test func helperProcessErrorsKeepTheirCodes() throws {
        let env = ProcessInfo.processInfo.environment
        try #require(getuid() == 0, "embedding test needs root to run a container")
        let binary = try #require(env["BERTH_BINARY"], "set BERTH_BINARY to the built berth (make test does)")
        let rootfs = try #require(env["BERTH_ROOTFS"], "set BERTH_ROOTFS to a busybox rootfs (make test does)")
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        try #require(tasks.count > 1, "the test process should run threads")

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("berth-embed-err-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var spec = Spec.defaultSpec()
        spec.process?.terminal = false
        spec.process?.args = ["true"]
        spec.root = Root(path: rootfs, readonly: true)
        // An environment entry without '=': validation lets it through, the init refuses it
        // as a spec error (as runc's init does).
        let defaultEnvironment = spec.process?.env
        spec.process?.env = ["NOT_AN_ASSIGNMENT"]
        try Data(try spec.jsonData()).write(to: dir.appendingPathComponent("config.json"))

        let runtime = ContainerRuntime(root: dir.appendingPathComponent("root").path)
        let options = CreateOptions(helperBinary: binary)
        do {
            let c = try runtime.create(id: "badenv", bundle: dir.path, options: options)
            try? c.delete(force: true)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidSpec)
            #expect(error.message == "unable to start container process: invalid environment variable: missing '='")
        }
        #expect(try runtime.list().isEmpty)

        spec.process?.env = defaultEnvironment
        spec.process?.args = ["sleep", "10"]
        try Data(try spec.jsonData()).write(to: dir.appendingPathComponent("config.json"))
        let container = try runtime.create(id: "twice", bundle: dir.path, options: options)
        defer { try? container.delete(force: true) }
        do {
            _ = try runtime.create(id: "twice", bundle: dir.path, options: options)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .alreadyExists)
            #expect(error.message == "container with given ID already exists")
        }
        do {
            _ = try runtime.create(id: "bad/id", bundle: dir.path, options: options)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidSpec)
        }
    }

    @Test func typedErrorsCarryCodes() throws {
        let runtime = ContainerRuntime(root: "/nonexistent/berth-root")
        do {
            _ = try runtime.container(id: "nope")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .notFound)
            #expect(error.message == "container does not exist")
        }
        do {
            _ = try runtime.container(id: "../x")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidSpec)
        }
    }
}
