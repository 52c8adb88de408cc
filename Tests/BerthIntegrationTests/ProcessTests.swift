// process.*: env, cwd, user, umask, rlimits, capabilities, noNewPrivileges, oomScoreAdj,
// hostname/domainname, sysctl, PATH lookup.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Process")
struct ProcessTests {
    @Test("env is passed as given")
    func env() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.env += ["FOO=bar baz", "EMPTY="]
        let r = try s.sh("env")
        #expect(r.status == 0, "\(r)")
        let lines = Set(r.stdout.lines)
        #expect(lines.contains("FOO=bar baz"), "\(r)")
        #expect(lines.contains("EMPTY="), "\(r)")
        #expect(lines.contains("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), "\(r)")
        #expect(!r.stdout.contains("BERTH_ITEST_TOKEN"), "the runtime's environment leaked into the container")
    }

    @Test("args are passed verbatim")
    func args() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["sh", "-c", "for a in \"$@\"; do echo \"[$a]\"; done", "sh", "a b", "", "*", "$HOME"]
        let r = try s.runContainer()
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.lines == ["[a b]", "[]", "[*]", "[$HOME]"], "\(r)")
    }

    @Test("cwd")
    func cwd() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["process.cwd"] = "/etc"
        let r = try s.sh("pwd")
        #expect(r.stdout == "/etc\n", "\(r)")
    }

    @Test("uid, gid and additionalGids")
    func user() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["process.user"] = ["uid": 65534, "gid": 65534, "additionalGids": [5, 100]]
        let r = try s.sh("id -u; id -g; id -G; grep -E '^(Uid|Gid|Groups):' /proc/self/status")
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.lines
        #expect(lines.prefix(3) == ["65534", "65534", "65534 5 100"], "\(r)")
        #expect(
            lines.contains { $0.hasPrefix("Uid:") && $0.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().allSatisfy { $0 == "65534" } },
            "\(r)")
        #expect(lines.contains { $0.hasPrefix("Groups:") && $0.contains("5") && $0.contains("100") && !$0.contains(" 0") }, "\(r)")
    }

    @Test("umask")
    func umask() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["process.user.umask"] = 0o027
        let r = try s.sh("umask")
        #expect(r.stdout == "0027\n", "\(r)")
    }

    @Test("rlimits")
    func rlimits() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        // Stay at or below the caller's hard limit: raising it needs CAP_SYS_RESOURCE.
        var lim = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
        let n = min(1000, Int(lim.rlim_max))
        s.bundle.config["process.rlimits"] = [
            ["type": "RLIMIT_NOFILE", "soft": n, "hard": n],
            ["type": "RLIMIT_CORE", "soft": 0, "hard": 0],
        ]
        let r = try s.sh("ulimit -n; ulimit -Hn; ulimit -c")
        #expect(r.stdout.lines == ["\(n)", "\(n)", "0"], "\(r)")
    }

    @Test("capabilities from the config, as root")
    func capabilities() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let r = try s.sh("grep -E '^Cap(Eff|Prm|Bnd):' /proc/self/status")
        #expect(r.status == 0, "\(r)")
        // CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10).
        for key in ["CapEff", "CapPrm", "CapBnd"] {
            #expect(r.stdout.lines.contains { $0.hasPrefix(key + ":") && $0.hasSuffix("0000000020000420") }, "\(key): \(r)")
        }
        // Without CAP_SYS_ADMIN, mount fails.
        let m = try s.sh("mount -t tmpfs tmpfs /mnt 2>&1; echo rc=$?")
        #expect(m.stdout.contains("rc=") && !m.stdout.contains("rc=0"), "\(m)")
    }

    @Test("noNewPrivileges true and false")
    func noNewPrivileges() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let on = try s.sh("grep NoNewPrivs /proc/self/status")
        #expect(on.stdout.contains("NoNewPrivs:\t1"), "\(on)")
        s.bundle.config["process.noNewPrivileges"] = false
        let off = try s.sh("grep NoNewPrivs /proc/self/status")
        #expect(off.stdout.contains("NoNewPrivs:\t0"), "\(off)")
    }

    @Test("oomScoreAdj")
    func oomScoreAdj() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["process.oomScoreAdj"] = 123
        let r = try s.sh("cat /proc/self/oom_score_adj")
        #expect(r.stdout == "123\n", "\(r)")
    }

    @Test("hostname and domainname")
    func hostnameDomainname() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["hostname"] = "proc-host"
        s.bundle.config["domainname"] = "example.org"
        let r = try s.sh("hostname; cat /proc/sys/kernel/hostname /proc/sys/kernel/domainname")
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.lines
        #expect(lines.prefix(2) == ["proc-host", "proc-host"], "\(r)")
        if Host.isBerth {
            #expect(lines.last == "example.org", "\(r)")
        }
        // (runc 1.1.5 ignores `domainname`; the runtime spec has it since 1.0.2.)
    }

    @Test("sysctl in a new network namespace; the host is untouched")
    func sysctl() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let hostValue = Host.readFile("/proc/sys/net/ipv4/ip_forward")
        let hostPing = Host.readFile("/proc/sys/net/ipv4/ping_group_range")
        s.bundle.config["linux.sysctl"] = ["net.ipv4.ip_forward": "1", "net.ipv4.ping_group_range": "0 0"]
        let r = try s.sh("cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/ping_group_range")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.lines.first == "1", "\(r)")
        #expect(r.stdout.lines.last?.split(whereSeparator: { $0 == " " || $0 == "\t" }) == ["0", "0"], "\(r)")
        #expect(Host.readFile("/proc/sys/net/ipv4/ip_forward") == hostValue)
        #expect(Host.readFile("/proc/sys/net/ipv4/ping_group_range") == hostPing)
    }

    @Test("args[0] is looked up in the container's PATH")
    func pathLookup() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["echo", "hi"]
        let r = try s.runContainer()
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "hi\n", "\(r)")
        // The lookup uses process.env's PATH, not the runtime's.
        s.bundle.config.env = ["PATH=/nowhere"]
        s.bundle.config.args = ["echo", "hi"]
        try s.bundle.write()
        let id = s.newID()
        let f = s.berth(["create", "--bundle", s.bundle.path, id])
        expectError(f, contains: ["executable file not found in $PATH"])
    }
}
