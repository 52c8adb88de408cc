// The ready bundles in spec-examples/ run as their READMEs say.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("spec-examples")
struct ExampleBundleTests {
    /// The example's directory; its rootfs is built (and, for userns, chowned) by
    /// `make examples`, which `make test` runs first.
    func example(_ name: String) throws -> String {
        let dir = Host.repoRoot + "/spec-examples/" + name
        try #require(
            FileManager.default.fileExists(atPath: dir + "/rootfs/bin/busybox"),
            "\(dir)/rootfs is missing: run `make examples` first")
        return dir
    }

    @Test("hello greets from its own namespaces with the init layer's /etc/hosts")
    func hello() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let r = s.berth(["run", "--bundle", try example("hello"), s.newID("hello")])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("Hello from hello, running as pid 1"), "\(r)")
        #expect(r.stdout.contains("127.0.0.1"), "\(r)")
    }

    @Test("userns: root inside is the mapped uid outside; the rootfs owned by the mapped root is writable")
    func userns() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let dir = try example("userns")
        var st = stat()
        try #require(
            stat(dir + "/rootfs/bin", &st) == 0 && st.st_uid == 100000,
            "spec-examples/userns/rootfs must belong to uid 100000 (make examples does it)")
        unlink(dir + "/rootfs/home/made-by-root")
        let r = s.berth(["run", "--bundle", dir, s.newID("userns")])
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.lines.map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines.first == "I am uid 0 in here; my uid map:", "\(r)")
        #expect(lines.contains("0 100000 1000") && lines.contains("1000 101000 64536"), "\(r)")
        #expect(lines.contains { $0.hasPrefix("-rw-r--r-- 1 0 0 ") && $0.hasSuffix("/home/made-by-root") }, "\(r)")
        #expect(lines.contains { $0.hasPrefix("drwxr-xr-x 2 1000 0 ") }, "\(r)")
        // On the host, the file belongs to the mapped root.
        #expect(stat(dir + "/rootfs/home/made-by-root", &st) == 0 && st.st_uid == 100000 && st.st_gid == 100000)
        unlink(dir + "/rootfs/home/made-by-root")
    }
}

/// spec-examples/embed, the library in a single-threaded program (every call clones in
/// process): the bundle's output captured through pipes and its exit status without
/// polling, then an exec with its own output and status, and the init's killing signal.
@Suite("spec-examples/embed")
struct ExampleProgramTests {
    @Test func embedCapturesOutputAndExitStatuses() throws {
        try Host.checkPreconditions()
        let program = (Host.binary as NSString).deletingLastPathComponent + "/berth-embed-example"
        try #require(FileManager.default.isExecutableFile(atPath: program), "\(program) is missing: run `make build`")
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID("embed")
        let r = Runner.run(program, [Host.repoRoot + "/spec-examples/hello", id, s.root], ioDir: s.io)
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.lines
        #expect(lines.contains("created \(id): created, init pid " + (lines.first?.split(separator: " ").last.map(String.init) ?? "?")), "\(r)")
        #expect(lines.contains { $0.hasPrefix("Hello from hello, running as pid 1") }, "\(r)")
        #expect(lines.contains("\(id) exited with status 0"), "\(r)")
        #expect(lines.contains { $0.hasPrefix("exec in hello, pid ") }, "\(r)")
        #expect(lines.contains("exec exited with status 7"), "\(r)")
        #expect(lines.contains("\(id)-idle's init was killed by signal 9"), "\(r)")
        #expect(lines.last == "deleted \(id)-idle", "\(r)")
        #expect(!FileManager.default.fileExists(atPath: s.root + "/" + id), "\(r)")
    }
}
