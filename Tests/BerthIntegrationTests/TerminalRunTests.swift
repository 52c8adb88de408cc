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
