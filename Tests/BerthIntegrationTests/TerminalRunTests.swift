// A foreground `run` of a terminal container without a console socket: berth makes the
// pty inside the container and relays it between its own stdio and the container, as
// `runc run` does.
import Foundation
import Testing

@Suite("Foreground run with a terminal")
struct TerminalRunTests {
    @Test("output comes through the relayed pty, stdio is a tty inside, and the exit code is the container's")
    func relayedTerminal() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["process.terminal"] = true
        let r = try s.sh("tty; test -t 0 && test -t 1 && echo all-tty; read line; echo got-$line; exit 5")
        #expect(r.status == 5, "\(r)")
        let lines = r.stdout.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }).map(String.init)
        #expect(lines.first?.hasPrefix("/dev/pts/") == true, "\(r)")
        #expect(lines.contains("all-tty"), "\(r)")
        // stdin was empty: `read` fails on end of input and $line stays empty.
        #expect(lines.contains("got-"), "\(r)")
    }

    @Test("stdin reaches the container through the pty")
    func stdinIsRelayed() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["process.terminal"] = true
        s.bundle.config.shell("read line; echo got-$line")
        try s.bundle.write()
        let r = s.berth(["run", "--bundle", s.bundle.path, s.newID("run")], stdin: "hello\n")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("got-hello"), "\(r)")
    }
}

@Suite("Terminal settings and ownership")
struct TerminalSettingsTests {
    /// A detached container running sleep, for exec.
    func sleeper(_ s: Sandbox) throws -> String {
        s.bundle.config.args = ["sleep", "1000"]
        try s.bundle.write()
        let id = s.newID()
        let r = s.berth(["run", "-d", "--bundle", s.bundle.path, id])
        try #require(r.status == 0, "\(r)")
        return id
    }

    @Test("a terminal berth relays does not turn \\n into \\r\\n (ONLCR cleared, as runc): run -t and exec -t")
    func noCarriageReturns() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["process.terminal"] = true
        let r = try s.sh("printf 'one\\ntwo\\n'")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "one\ntwo\n", "\(Array(r.stdout.utf8))")

        s.bundle.config["process.terminal"] = false
        let id = try sleeper(s)
        let e = s.berth(["exec", "-t", id, "printf", "three\\nfour\\n"])
        #expect(e.status == 0, "\(e)")
        #expect(e.stdout == "three\nfour\n", "\(Array(e.stdout.utf8))")
    }

    @Test("a non-root process's terminal belongs to its uid and the tty group; root's stays root's (run and exec)")
    func terminalOwner() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["process.terminal"] = true
        s.bundle.config["process.user"] = ["uid": 1000, "gid": 100]
        let r = try s.sh("stat -c %u:%g $(tty)")
        #expect(r.status == 0, "\(r)")
        // The group is the runc spec's devpts gid=5, the tty group.
        #expect(r.stdout.trimmed == "1000:5", "\(r)")

        s.bundle.config["process.terminal"] = false
        s.bundle.config["process.user"] = ["uid": 0, "gid": 0]
        let id = try sleeper(s)
        let root = s.berth(["exec", "-t", id, "sh", "-c", "stat -c %u:%g $(tty)"])
        #expect(root.status == 0 && root.stdout.trimmed == "0:5", "\(root)")
        let user = s.berth(["exec", "-t", "--user", "1000:100", id, "sh", "-c", "stat -c %u:%g $(tty)"])
        #expect(user.status == 0 && user.stdout.trimmed == "1000:5", "\(user)")
    }

    @Test("a non-root process can reopen its stdio pipe (/dev/stdout), as with runc")
    func stdioPipeOwner() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["process.user"] = ["uid": 1000, "gid": 100]
        s.bundle.config.shell("echo reopened > /dev/stdout")
        try s.bundle.write()
        // The runtime's stdout is a pipe here (the harness otherwise gives it a file).
        let command =
            [Host.binary, "--root", s.root, "run", "--bundle", s.bundle.path, s.newID()]
            .map(Host.shellQuote).joined(separator: " ") + " | cat"
        let r = Runner.run("/bin/sh", ["-c", command], ioDir: s.io)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.trimmed == "reopened", "\(r)")
    }
}
