// --console-socket: the pty master handed over in one SCM_RIGHTS message.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Console socket")
struct ConsoleTests {
    /// create (or run -d) with a console socket; returns the handoff and the create result.
    func handoff(_ s: Sandbox, _ command: [String]) throws -> (ConsoleHandoff?, ProcResult) {
        let sock = try ConsoleSocket(path: s.dir + "/console.sock")
        defer { sock.close() }
        let p = try s.spawnBerth(command + ["--console-socket", sock.path])
        let h = sock.accept(timeout: 30)
        // Keep the received fds open past sock.close(): dup them.
        let kept = h.map { ConsoleHandoff(rightsMessages: $0.rightsMessages, fds: $0.fds.map { fcntl($0, F_DUPFD_CLOEXEC, 3) }, payload: $0.payload) }
        let r = p.wait()
        return (kept, r)
    }

    @Test("create sends exactly one pty master; after start the container's output comes through it")
    func createWithConsole() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["process.terminal"] = true
        s.bundle.config.shell("echo tty-ok; tty; test -t 0 && test -t 1 && test -t 2 && echo all-tty; stty size")
        try s.bundle.write()
        let id = s.newID()
        let (h, r) = try handoff(s, ["create", "--bundle", s.bundle.path, id])
        #expect(r.status == 0, "\(r)")
        let hand = try #require(h, "nobody connected to the console socket")
        defer { for f in hand.fds { close(f) } }
        #expect(hand.rightsMessages == 1, "\(hand)")
        #expect(hand.fds.count == 1, "\(hand)")
        let master = try #require(hand.fds.first)
        // It is a pty master (ptmx: major 5, minor 2).
        var st = stat()
        #expect(fstat(master, &st) == 0)
        #expect((st.st_mode & S_IFMT) == S_IFCHR)
        #expect(st.st_rdev >> 8 == 5 && st.st_rdev & 0xff == 2, "rdev \(st.st_rdev)")
        #expect(s.status(id) == "created")

        #expect(s.berth(["start", id]).status == 0)
        let out = ConsoleSocket.readAll(master, until: nil, timeout: 20)
        let lines = out.lines
        #expect(lines.first == "tty-ok", "\(out)")
        #expect(lines.contains { $0.range(of: #"^/dev/pts/\d+$"#, options: .regularExpression) != nil }, "\(out)")
        #expect(lines.contains("all-tty"), "\(out)")
        #expect(s.waitForStatus(id, "stopped"))
        // Nothing went to the runtime's own stdout.
        #expect(r.stdoutNow.isEmpty, "\(r.stdoutNow)")
    }

    @Test("run --detach with a console socket; input typed on the master reaches the container")
    func runDetachWithConsole() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["process.terminal"] = true
        s.bundle.config.shell("read line; echo got:$line")
        try s.bundle.write()
        let id = s.newID()
        let (h, r) = try handoff(s, ["run", "--detach", "--bundle", s.bundle.path, id])
        #expect(r.status == 0, "\(r)")
        let hand = try #require(h)
        defer { for f in hand.fds { close(f) } }
        #expect(hand.rightsMessages == 1 && hand.fds.count == 1, "\(hand)")
        let master = try #require(hand.fds.first)
        let msg = Array("hello\n".utf8)
        #expect(write(master, msg, msg.count) == msg.count)
        let out = ConsoleSocket.readAll(master, until: "got:hello", timeout: 20)
        #expect(out.contains("got:hello"), "\(out)")
        #expect(s.waitForStatus(id, "stopped"))
    }

    @Test("a console socket nobody listens on makes create fail cleanly")
    func consoleSocketMissing() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["process.terminal"] = true
        s.bundle.config.args = ["true"]
        try s.bundle.write()
        let id = s.newID()
        let r = s.berth(["create", "--bundle", s.bundle.path, "--console-socket", s.dir + "/nobody.sock", id])
        expectError(r)
        s.expectNothingLeft(id)
    }
}
