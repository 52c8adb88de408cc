import Berth
import BerthSpec
import Foundation
import Testing

/// The library's lifecycle and process I/O, on real containers, from a process with
/// threads (as every Swift Testing process is): each set-up runs in a helper `berth`.
/// The same calls in a single-threaded program (in-process clones) are run by the embed
/// example (`ExampleProgramTests`).
@Suite struct LibraryTests {
    /// A state root and a bundle in a fresh temporary directory.
    final class Fixture {
        let directory: URL
        let runtime: ContainerRuntime
        let binary: String
        var created: [Container] = []

        init() throws {
            let env = ProcessInfo.processInfo.environment
            try #require(getuid() == 0, "library tests need root to run containers")
            binary = try #require(env["BERTH_BINARY"], "set BERTH_BINARY to the built berth (make test does)")
            _ = try #require(env["BERTH_ROOTFS"], "set BERTH_ROOTFS to a busybox rootfs (make test does)")
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("berth-lib-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            runtime = ContainerRuntime(root: directory.appendingPathComponent("root").path)
        }

        deinit {
            for c in created { try? c.delete(force: true) }
            try? FileManager.default.removeItem(at: directory)
        }

        /// Writes a bundle running `args` and returns its path.
        func bundle(
            _ name: String, _ args: [String], terminal: Bool = false,
            change: (inout Spec) -> Void = { _ in }
        ) throws -> String {
            let dir = directory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            var spec = Spec.defaultSpec()
            spec.process?.terminal = terminal
            spec.process?.args = args
            spec.root = Root(path: ProcessInfo.processInfo.environment["BERTH_ROOTFS"]!, readonly: true)
            // Without a cgroupsPath the cgroup is named after the id, and other runs of
            // these tests on the machine use the same ids.
            spec.linux?.cgroupsPath = directory.lastPathComponent + "-" + name
            change(&spec)
            try Data(try spec.jsonData()).write(to: dir.appendingPathComponent("config.json"))
            return dir.path
        }

        func create(
            _ id: String, _ args: [String], io: ProcessIO = .inherit, terminal: Bool = false,
            change: (inout Spec) -> Void = { _ in }
        ) throws -> Container {
            let path = try bundle(id, args, terminal: terminal, change: change)
            var options = CreateOptions(helperBinary: binary)
            options.io = io
            let c = try runtime.create(id: id, bundle: path, options: options)
            created.append(c)
            return c
        }
    }

    static func readAll(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buf[0..<n]
        }
        close(fd)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func write(_ fd: Int32, _ text: String) {
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
    }

    @Test func initPipesCarryInputOutputAndExitStatus() throws {
        let f = try Fixture()
        let c = try f.create("pipes", ["sh", "-c", "read line; echo out:$line; echo err >&2; exit 3"], io: .pipes)
        let initProcess = try #require(c.initProcess)
        let input = try #require(initProcess.standardInput)
        Self.write(input, "hello\n")
        close(input)
        try c.start()
        #expect(Self.readAll(try #require(initProcess.standardOutput)) == "out:hello\n")
        #expect(Self.readAll(try #require(initProcess.standardError)) == "err\n")
        let status = try c.wait()
        #expect(status.code == 3)
        #expect(status.signal == nil)
        #expect(try c.state().status == .stopped)
    }

    @Test func waitReportsTheKillingSignalAlsoWithoutTheCreatingValue() throws {
        let f = try Fixture()
        let c = try f.create("killed", ["sleep", "100"])
        try c.start()
        // A value from `container(id:)` has no init process: another program's handle.
        let looked = try f.runtime.container(id: "killed")
        #expect(looked.initProcess == nil)
        let handle = try looked.openInitProcess()
        #expect(handle.pid == c.initProcess?.pid)
        try c.kill(SIGKILL)
        let status = try handle.wait()
        #expect(status.signal == SIGKILL)
        #expect(status.code == 128 + SIGKILL)
        #expect(throws: BerthError.self) { try looked.wait() }
        // The creating value still has its pidfd: the status stays readable.
        #expect(try c.wait().signal == SIGKILL)
    }

    @Test func descriptorsAreTheProcessStdio() throws {
        let f = try Fixture()
        let file = f.directory.appendingPathComponent("out.txt").path
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(fd); close(null) }
        let c = try f.create(
            "fds", ["sh", "-c", "echo to-out; echo to-err >&2"],
            io: .descriptors(input: null, output: fd, error: fd))
        try c.start()
        #expect(try c.wait().code == 0)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "to-out\nto-err\n")
    }

    @Test func initTerminalMasterGoesToTheCaller() throws {
        let f = try Fixture()
        let c = try f.create("tty", ["sh", "-c", "stty size; tty"], io: .terminal, terminal: true) { spec in
            spec.process?.consoleSize = Box(height: 25, width: 91)
        }
        let terminal = try #require(c.initProcess?.terminal)
        #expect(terminal.size.rows == 25 && terminal.size.columns == 91)
        try c.start()
        // EIO at the end: the slave side is gone.
        let output = Self.readAll(terminal.master)
        #expect(output == "25 91\r\n/dev/pts/0\r\n")
        #expect(try c.wait().code == 0)
    }

    @Test func terminalWithoutProcessTerminalIsRefused() throws {
        let f = try Fixture()
        let path = try f.bundle("notty", ["true"])
        do {
            _ = try f.runtime.create(id: "notty", bundle: path, options: CreateOptions(helperBinary: f.binary, io: .terminal))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidSpec)
            #expect(error.message.hasPrefix("process.terminal: must be true"))
        }
        #expect(try f.runtime.list().isEmpty)
    }

    @Test func execWithPipesWaitAndSignal() throws {
        let f = try Fixture()
        let c = try f.create("exec", ["sleep", "100"])
        try c.start()
        var process = try #require(try c.configuration().process)
        process.args = ["cat"]
        let cat = try c.exec(process, io: .pipes, options: ExecOptions(helperBinary: f.binary))
        Self.write(try #require(cat.standardInput), "through the container\n")
        close(cat.standardInput!)
        #expect(Self.readAll(try #require(cat.standardOutput)) == "through the container\n")
        close(cat.standardError!)
        #expect(try cat.wait().code == 0)

        process.args = ["sh", "-c", "exit 5"]
        let five = try c.exec(process, options: ExecOptions(helperBinary: f.binary))
        #expect(try five.wait() == ExitStatus(rawWaitStatus: 5 << 8))

        process.args = ["sleep", "100"]
        let sleeper = try c.exec(process, options: ExecOptions(helperBinary: f.binary))
        #expect(try c.processes().contains(sleeper.pid))
        try sleeper.signal(SIGKILL)
        #expect(try sleeper.wait().signal == SIGKILL)

        process.args = ["/no/such/binary"]
        do {
            _ = try c.exec(process, options: ExecOptions(helperBinary: f.binary))
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("exec: \"/no/such/binary\": stat /no/such/binary: no such file or directory"))
        }
    }

    @Test func execTerminalResizes() throws {
        let f = try Fixture()
        let c = try f.create("exectty", ["sleep", "100"])
        try c.start()
        var process = try #require(try c.configuration().process)
        process.args = ["sh", "-c", "read go; stty size"]
        let shell = try c.exec(process, io: .terminal, options: ExecOptions(helperBinary: f.binary))
        let terminal = try #require(shell.terminal)
        terminal.resize(rows: 30, columns: 100)
        Self.write(terminal.master, "go\n")
        let output = Self.readAll(terminal.master)
        #expect(output.hasSuffix("30 100\r\n"))
        #expect(try shell.wait().code == 0)
    }

    @Test func pauseResumeUpdateProcessesStats() throws {
        let f = try Fixture()
        let c = try f.create("control", ["sleep", "100"])
        try c.start()
        let pid = try #require(c.initProcess?.pid)
        #expect(try c.processes() == [pid])
        try c.pause()
        #expect(try c.state().status == .paused)
        try c.resume()
        #expect(try c.state().status == .running)
        var resources = LinuxResources()
        resources.memory = LinuxMemory(limit: 64 << 20)
        try c.update(resources: resources)
        let stats = try c.stats()
        #expect(stats.memoryLimit == 64 << 20)
        #expect(stats.memoryUsage > 0)
        try c.kill(SIGKILL)
        #expect(try c.wait().signal == SIGKILL)
        try c.delete()
        #expect(throws: BerthError.self) { try f.runtime.container(id: "control") }
    }

    @Test func runFromAThreadedProgramStartsAtOnce() throws {
        let f = try Fixture()
        let path = try f.bundle("run", ["echo", "ran"])
        let process = try f.runtime.run(id: "run", bundle: path, options: CreateOptions(helperBinary: f.binary, io: .pipes))
        f.created.append(process.container)
        close(process.standardInput!)
        #expect(Self.readAll(try #require(process.standardOutput)) == "ran\n")
        close(process.standardError!)
        #expect(try process.wait().code == 0)
    }
}
