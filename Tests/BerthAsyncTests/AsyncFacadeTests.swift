import BerthAsync
import Foundation
import Testing

/// The async facade on real containers, from a process whose cooperative thread pool
/// runs many tasks at once.
@Suite struct AsyncFacadeTests {
    struct Fixture {
        let directory: URL
        let runtime: AsyncContainerRuntime
        let rootfs: String

        init() throws {
            let env = ProcessInfo.processInfo.environment
            try #require(getuid() == 0, "the async facade tests need root to run containers")
            let binary = try #require(env["BERTH_BINARY"], "set BERTH_BINARY to the built berth (make test does)")
            rootfs = try #require(env["BERTH_ROOTFS"], "set BERTH_ROOTFS to a busybox rootfs (make test does)")
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("berth-async-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            runtime = AsyncContainerRuntime(root: directory.appendingPathComponent("root").path, helperBinary: binary)
        }

        func bundle(_ name: String, _ command: [String]) throws -> String {
            var spec = Spec.default()
            spec.terminal = false
            spec.command = command
            spec.rootPath = rootfs
            spec.hostname = name
            // Without a cgroupsPath the cgroup is named after the id, and other runs of
            // these tests on the machine use the same ids.
            spec.linux?.cgroupsPath = directory.lastPathComponent + "-" + name
            let path = directory.appendingPathComponent(name).path
            try spec.save(bundle: path)
            return path
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    @Test func twentyContainersAtOnce() async throws {
        let f = try Fixture()
        defer { f.remove() }
        let count = 20
        let results = try await withThrowingTaskGroup(of: (Int, String, Berth.ExitStatus).self) { group in
            for n in 0..<count {
                let bundle = try f.bundle("c\(n)", ["sh", "-c", "echo hello from $(hostname); exit \(n)"])
                group.addTask {
                    let process = try await f.runtime.run(id: "c\(n)", bundle: bundle, options: CreateOptions(io: .pipes))
                    close(process.standardInput!)
                    close(process.standardError!)
                    let output = try await AsyncStreams.readAll(process.standardOutput!)
                    let status = try await process.wait()
                    try await process.container.delete()
                    return (n, String(decoding: output, as: UTF8.self), status)
                }
            }
            var all: [(Int, String, Berth.ExitStatus)] = []
            for try await result in group { all.append(result) }
            return all
        }
        #expect(results.count == count)
        for (n, output, status) in results {
            #expect(output == "hello from c\(n)\n")
            #expect(status.code == Int32(n))
        }
        #expect(try f.runtime.list().isEmpty)
    }

    @Test func cancellingAWaitKillsTheProcess() async throws {
        let f = try Fixture()
        defer { f.remove() }
        let container = try await f.runtime.create(id: "sleeper", bundle: try f.bundle("sleeper", ["sleep", "100"]))
        try container.start()
        let task = Task { try await container.wait() }
        // The task is suspended in wait(): the process is still running.
        #expect(try container.state().status == .running)
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(try container.state().status == .stopped)
        try await container.delete()
    }

    @Test func execAndStreams() async throws {
        let f = try Fixture()
        defer { f.remove() }
        let container = try await f.runtime.create(id: "execs", bundle: try f.bundle("execs", ["sleep", "100"]))
        try container.start()
        var process = try #require(try container.container.configuration().process)
        process.args = ["sh", "-c", "tr a-z A-Z; exit 4"]
        let upper = try await container.exec(process, io: .pipes)
        close(upper.standardError!)
        try await AsyncStreams.write(Array("shout\n".utf8), to: upper.standardInput!)
        #expect(try await AsyncStreams.readAll(upper.standardOutput!) == Array("SHOUT\n".utf8))
        #expect(try await upper.wait().code == 4)
        try container.kill(SIGKILL)
        #expect(try await container.wait().signal == SIGKILL)
        try await container.delete()
        #expect(try f.runtime.list().isEmpty)
    }
}
