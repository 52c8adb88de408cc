// Signal dispositions across the fork boundary: the container's process (and an exec'd
// one) starts with the standard signals at SIG_DFL, whatever berth's caller left ignored.
// berth resets only what is not at SIG_DFL (the clone clears handlers; the parent names
// the ignored ones from the init's /proc/<pid>/stat, which it reads anyway), so this pins
// that nothing ignored slips through. /proc/<pid>/stat lists signals 1-31 only: a
// real-time signal the caller ignores stays ignored (glibc's own 32 and 33 always did).
import Foundation
import Testing

@Suite("Signal dispositions")
struct SignalDispositionTests {
    static let ignoring = "trap '' HUP INT QUIT USR1 PIPE TERM"

    /// The standard signals (1-31) among a `SigIgn:` line's mask.
    static func standardIgnored(_ status: String) -> UInt64? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigIgn:") }),
            let mask = UInt64(line.dropFirst("SigIgn:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return nil }
        return mask & 0x7fff_ffff
    }

    @Test("signals berth's caller ignores are not ignored in the container's process")
    func runResetsIgnored() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["grep", "-E", "^Sig(Ign|Cgt)", "/proc/self/status"]
        try s.bundle.write()
        let command = "\(Self.ignoring); exec \(Host.binary) --root \(s.root) run --bundle \(s.bundle.path) \(s.newID())"
        let r = Runner.run("/bin/sh", ["-c", command], ioDir: s.io)
        #expect(r.status == 0, "\(r)")
        #expect(Self.standardIgnored(r.stdout) == 0, "\(r)")
        #expect(r.stdout.contains("SigCgt:\t0000000000000000"), "\(r)")
    }

    @Test("signals berth's caller ignores are not ignored in a created-then-started container, nor in an exec'd process")
    func createAndExecResetIgnored() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["sleep", "1000"]
        try s.bundle.write()
        let id = s.newID()
        let create = "\(Self.ignoring); exec \(Host.binary) --root \(s.root) create --bundle \(s.bundle.path) \(id)"
        let c = try Runner.spawn("/bin/sh", ["-c", create], ioDir: s.io)
        #expect(c.wait().status == 0)
        #expect(s.berth(["start", id]).status == 0)
        let exec = "\(Self.ignoring); exec \(Host.binary) --root \(s.root) exec \(id) grep -E '^SigIgn' /proc/self/status"
        let e = Runner.run("/bin/sh", ["-c", exec], ioDir: s.io)
        #expect(e.status == 0, "\(e)")
        #expect(Self.standardIgnored(e.stdout) == 0, "\(e)")
        // The container's own process (pid 1 inside).
        let initStatus = s.berth(["exec", id, "grep", "-E", "^SigIgn", "/proc/1/status"])
        #expect(Self.standardIgnored(initStatus.stdout) == 0, "\(initStatus)")
        #expect(s.berth(["delete", "--force", id]).status == 0)
    }
}
