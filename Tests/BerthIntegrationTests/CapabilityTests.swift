// process.capabilities: all five sets seen from inside (/proc/self/status), for root and
// for another user, with and without no_new_privileges. The expected values follow the
// kernel's execve rules (and match runc 1.1.5 on the same config):
//   root:      Prm' = Eff' = Bnd | Inh | Amb   (no_new_privs: ∩ the permitted set before exec)
//   non-root:  Prm' = Eff' = Amb
//   always:    Inh' = Inh, Bnd' = Bnd, Amb' = the ambient caps that were both permitted and
//              inheritable when raised.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Capabilities")
struct CapabilityTests {
    // CAP_CHOWN 0, CAP_DAC_OVERRIDE 1, CAP_KILL 5, CAP_NET_BIND_SERVICE 10, CAP_NET_RAW 13,
    // CAP_AUDIT_WRITE 29.
    static let sets: [String: [String]] = [
        "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_AUDIT_WRITE"],
        "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
        "effective": ["CAP_CHOWN", "CAP_KILL"],
        "inheritable": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"],
        // CAP_NET_RAW is not inheritable, so it cannot become ambient (skipped, as runc).
        "ambient": ["CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
    ]

    static let bnd = "0000000020002423", inh = "0000000020000420", amb = "0000000000000400"

    /// Prints the five lines, then whether a listener could bind port 80
    /// (CAP_NET_BIND_SERVICE in the effective set, e.g. through ambient for a non-root user).
    static let script = """
        grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status
        nc -l -p 80 >/dev/null 2>&1 & p=$!; sleep 0.3
        if kill $p 2>/dev/null; then echo port80=bound; else echo port80=refused; fi
        """

    func run(uid: UInt32, noNewPrivileges: Bool, sets: [String: [String]] = Self.sets) throws -> [String: String] {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["process.user"] = ["uid": uid, "gid": uid]
        s.bundle.config["process.noNewPrivileges"] = noNewPrivileges
        for (name, caps) in sets { s.bundle.config["process.capabilities.\(name)"] = caps }
        let r = try s.sh(Self.script)
        #expect(r.status == 0, "\(r)")
        var values: [String: String] = [:]
        for line in r.stdout.lines {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { values[parts[0]] = parts[1] }
            if line.hasPrefix("port80=") { values["port80"] = String(line.dropFirst(7)) }
        }
        return values
    }

    @Test("root, no_new_privileges false: permitted and effective become bounding | inheritable | ambient")
    func rootWithoutNoNewPrivs() throws {
        let v = try run(uid: 0, noNewPrivileges: false)
        #expect(v["CapBnd"] == Self.bnd && v["CapInh"] == Self.inh && v["CapAmb"] == Self.amb, "\(v)")
        #expect(v["CapPrm"] == "0000000020002423" && v["CapEff"] == "0000000020002423", "\(v)")
        #expect(v["port80"] == "bound", "\(v)")
    }

    @Test("root, no_new_privileges true: no more than the permitted set from before exec")
    func rootWithNoNewPrivs() throws {
        let v = try run(uid: 0, noNewPrivileges: true)
        #expect(v["CapBnd"] == Self.bnd && v["CapInh"] == Self.inh && v["CapAmb"] == Self.amb, "\(v)")
        #expect(v["CapPrm"] == "0000000000002421" && v["CapEff"] == "0000000000002421", "\(v)")
    }

    @Test("non-root user: only the ambient capability is permitted and effective, and it works", arguments: [true, false])
    func nonRoot(noNewPrivileges: Bool) throws {
        let v = try run(uid: 1000, noNewPrivileges: noNewPrivileges)
        #expect(v["CapBnd"] == Self.bnd && v["CapInh"] == Self.inh && v["CapAmb"] == Self.amb, "\(v)")
        #expect(v["CapPrm"] == Self.amb && v["CapEff"] == Self.amb, "\(v)")
        #expect(v["port80"] == "bound", "CAP_NET_BIND_SERVICE through ambient: \(v)")
    }

    @Test("non-root user without ambient capabilities has none and cannot bind port 80")
    func nonRootWithoutAmbient() throws {
        var sets = Self.sets
        sets["ambient"] = []
        let v = try run(uid: 1000, noNewPrivileges: true, sets: sets)
        #expect(v["CapPrm"] == "0000000000000000" && v["CapEff"] == "0000000000000000" && v["CapAmb"] == "0000000000000000", "\(v)")
        #expect(v["CapInh"] == Self.inh && v["CapBnd"] == Self.bnd, "\(v)")
        #expect(v["port80"] == "refused", "\(v)")
    }

    @Test("a capability name nobody knows is skipped with runc's warning (create and exec --cap)")
    func unknownName() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("grep CapBnd /proc/self/status")
        s.bundle.config["process.capabilities.bounding"] = ["CAP_KILL", "CAP_BOGUS", "CAP_ALSO_BOGUS", "CAP_BOGUS"]
        let r = try s.runContainer()
        #expect(r.status == 0 && r.stdout == "CapBnd:\t0000000000000020\n", "\(r)")
        if Host.isBerth {
            #expect(r.stderr.lines == ["berth: warning: ignoring unknown or unavailable capabilities: [CAP_ALSO_BOGUS CAP_BOGUS]"], "\(r)")
        }
        s.bundle.config.shell("sleep 1000")
        s.bundle.config["process.capabilities.bounding"] = ["CAP_KILL"]
        try s.bundle.write()
        let id = s.newID()
        #expect(s.berth(["run", "-d", "--bundle", s.bundle.path, id]).status == 0)
        let exec = s.berth(["exec", "--cap", "CAP_NOPE", id, "true"])
        #expect(exec.status == 0, "\(exec)")
        if Host.isBerth {
            #expect(exec.stderr.lines == ["berth: warning: ignoring unknown or unavailable capabilities: [CAP_NOPE]"], "\(exec)")
        }
    }

    @Test("an ambient capability that is not inheritable: runc's warning, and the process runs without it")
    func ambientNotInheritable() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("grep CapAmb /proc/self/status")
        s.bundle.config["process.capabilities"] = [
            "bounding": ["CAP_KILL", "CAP_NET_RAW"], "effective": ["CAP_KILL", "CAP_NET_RAW"],
            "permitted": ["CAP_KILL", "CAP_NET_RAW"], "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL", "CAP_NET_RAW"],
        ]
        let r = try s.runContainer()
        #expect(r.status == 0 && r.stdout == "CapAmb:\t0000000000000020\n", "\(r)")
        if Host.isBerth {
            #expect(r.stderr.lines == ["berth: warning: can't raise ambient capability CAP_NET_RAW: operation not permitted"], "\(r)")
        }
    }

    /// The running kernel's newest capability is read from /proc/sys/kernel/cap_last_cap.
    /// To be a kernel that predates CAP_PERFMON, CAP_BPF and CAP_CHECKPOINT_RESTORE (38-40),
    /// berth runs in a private mount namespace where that file says 37.
    @Test("capabilities newer than the running kernel are skipped with one warning")
    func newerThanKernel() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let newer = ["CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"]
        for set in ["bounding", "effective", "permitted"] {
            s.bundle.config["process.capabilities.\(set)"] = ["CAP_KILL"] + newer
        }
        s.bundle.config.shell("grep -E '^Cap(Prm|Eff):' /proc/self/status")
        try s.bundle.write()
        let fake = s.dir + "/cap_last_cap"
        try Host.write(fake, "37\n")
        let id = s.newID("caps")
        let script = "mount --bind \(fake) /proc/sys/kernel/cap_last_cap && exec \(Host.binary) --root \(s.root) run --bundle \(s.bundle.path) \(id)"
        let r = Runner.run("/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c", script], ioDir: s.io)
        #expect(r.status == 0, "\(r)")
        // CAP_KILL only: 38-40 were left out of the sets.
        #expect(r.stdout.lines == ["CapPrm:\t0000000000000020", "CapEff:\t0000000000000020"], "\(r)")
        if Host.isBerth {
            #expect(
                r.stderr.lines == ["berth: warning: ignoring unknown or unavailable capabilities: [CAP_BPF CAP_CHECKPOINT_RESTORE CAP_PERFMON]"],
                "\(r)")
        }
    }
}
