// The last steps before the container's process runs, as runc takes them, for the init
// and for exec: the environment (HOME, duplicates), the working directory entered while
// still privileged, the executable found with the process's effective capabilities, and
// RLIMIT_NOFILE.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Process set-up")
struct ProcessSetupTests {
    func runDetached(_ s: Sandbox, _ configure: (inout Config) -> Void = { _ in }) throws -> String {
        s.bundle.config.shell("sleep 1000")
        configure(&s.bundle.config)
        try s.bundle.write()
        let id = s.newID()
        let r = s.berth(["run", "-d", "--bundle", s.bundle.path, id])
        try #require(r.status == 0, "\(r)")
        return id
    }

    // MARK: - environment

    @Test("HOME comes from the user's /etc/passwd entry when unset or empty, a set one is kept; the last of duplicates wins, in its place")
    func home() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let base = ["PATH=/bin:/usr/bin"]
        let cases: [([String], UInt32, [String])] = [
            (base, 0, base + ["HOME=/root"]),
            (base + ["HOME="], 0, base + ["HOME=/root"]),
            (["HOME="] + base, 65534, base + ["HOME=/nonexistent"]),
            (base, 1000, base + ["HOME=/"]),
            (base + ["HOME=/custom"], 0, base + ["HOME=/custom"]),
            (["A=1"] + base + ["B=2", "A=3"], 0, base + ["B=2", "A=3", "HOME=/root"]),
        ]
        for (env, uid, expected) in cases {
            s.bundle.config.env = env
            s.bundle.config["process.user"] = ["uid": uid, "gid": uid]
            s.bundle.config.args = ["env"]
            let r = try s.runContainer()
            #expect(r.stdout.lines == expected, "\(env) uid \(uid): \(r)")
        }
    }

    @Test("exec: --env overrides (HOME= included), HOME follows --user, the order is runc's")
    func execEnvironment() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = try runDetached(s) { c in c.env = ["PATH=/bin:/usr/bin", "FOO=1", "HOME=/set"] }
        #expect(s.berth(["exec", id, "env"]).stdout.lines == ["PATH=/bin:/usr/bin", "FOO=1", "HOME=/set"])
        let overridden = s.berth(["exec", "-e", "FOO=2", "-e", "HOME=", id, "env"])
        #expect(overridden.stdout.lines == ["PATH=/bin:/usr/bin", "FOO=2", "HOME=/root"], "\(overridden)")
        let nobody = s.berth(["exec", "--user", "65534", "-e", "HOME=", id, "env"])
        #expect(nobody.stdout.lines.last == "HOME=/nonexistent", "\(nobody)")
    }

    @Test("an environment entry without '=' or with an empty name fails with runc's words")
    func badEnvironment() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("true")
        s.bundle.config.env = ["PATH=/bin", "JUSTNAME"]
        try s.expectCreateFails(["invalid environment variable: missing '='"])
        s.bundle.config.env = ["PATH=/bin", "=value"]
        try s.expectCreateFails(["invalid environment variable: name cannot be empty"])
    }

    // MARK: - working directory

    @Test("process.cwd is entered while berth is privileged: a directory the user cannot enter works (run, and exec --user)")
    func privilegedCwd() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        // /mnt: a tmpfs of mode 0700, owned by root (run) or by uid 42 (exec --user 0 without
        // CAP_DAC_OVERRIDE or CAP_DAC_READ_SEARCH, the runc spec's capabilities).
        s.bundle.config.addMount("/mnt", type: "tmpfs", source: "tmpfs", options: ["mode=0700"])
        s.bundle.config["process.cwd"] = "/mnt"
        s.bundle.config["process.user"] = ["uid": 42, "gid": 42]
        let r = try s.sh("pwd; ls /mnt >/dev/null 2>&1 || echo no-access")
        #expect(r.status == 0 && r.stdout.lines == ["/mnt", "no-access"], "\(r)")

        s.bundle.config.removeMount("/mnt")
        s.bundle.config.addMount("/mnt", type: "tmpfs", source: "tmpfs", options: ["mode=0700", "uid=42"])
        let id = try runDetached(s)
        let exec = s.berth(["exec", "--user", "0", id, "sh", "-c", "pwd; ls . >/dev/null 2>&1 || echo no-access"])
        #expect(exec.status == 0 && exec.stdout.lines == ["/mnt", "no-access"], "\(exec)")
        // A missing directory is still an error, with runc's words.
        let missing = s.berth(["exec", "--cwd", "/nonexistent", id, "true"])
        #expect(
            missing.status != 0 && missing.stderr.contains("chdir to cwd (\"/nonexistent\") set in config.json failed: no such file or directory"),
            "\(missing)")
    }

    // MARK: - executable lookup

    @Test("a user without execute permission on the binary but with CAP_DAC_OVERRIDE runs it, by path and through PATH (run and exec)")
    func dacOverrideExecutable() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        // A copy of busybox named `true`, mode 0700, owned by root, at /srv/true.
        let bin = s.dir + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Host.rootfsPath + "/bin/busybox", toPath: bin + "/true")
        chown(bin + "/true", 0, 0)
        chmod(bin + "/true", 0o700)
        s.bundle.config.addMount("/srv", type: "bind", source: bin, options: ["rbind", "ro"])
        s.bundle.config["process.user"] = ["uid": 1000, "gid": 1000]
        let caps = ["CAP_DAC_OVERRIDE"]
        for set in ["bounding", "effective", "permitted"] { s.bundle.config["process.capabilities.\(set)"] = caps }
        s.bundle.config.env = ["PATH=/srv:/bin"]
        for args in [["/srv/true"], ["true"]] {
            s.bundle.config.args = args
            let r = try s.runContainer()
            #expect(r.status == 0, "\(args): \(r)")
        }
        let id = try runDetached(s)
        #expect(s.berth(["exec", id, "/srv/true"]).status == 0)
        // Without the capability: runc's permission denied.
        s.bundle.config["process.capabilities"] = ["bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]]
        s.bundle.config.args = ["/srv/true"]
        try s.bundle.write()
        let refused = s.berth(["create", "--bundle", s.bundle.path, s.newID()])
        #expect(refused.status == 1 && refused.stderr.contains(#"exec: "/srv/true": permission denied"#), "\(refused)")
    }

    // MARK: - RLIMIT_NOFILE

    /// `prlimit --nofile=SOFT:HARD berth --root ROOT args...`: berth's caller's limits.
    func limited(_ s: Sandbox, soft: Int, hard: Int, _ args: [String]) -> ProcResult {
        Runner.run("/usr/bin/prlimit", ["--nofile=\(soft):\(hard)", Host.binary, "--root", s.root] + args, ioDir: s.io)
    }

    /// Raising a hard limit above the caller's needs CAP_SYS_RESOURCE, which the root of some
    /// machines lacks (the development VM's bounding set has no CAP_SYS_RESOURCE): there
    /// berth, like runc, refuses such a limit.
    static let canRaiseHardLimits: Bool = {
        let line = (Host.readFile("/proc/self/status") ?? "").lines.first { $0.hasPrefix("CapEff:") }
        let mask = line.flatMap { UInt64($0.split(separator: "\t").last ?? "", radix: 16) } ?? 0
        return mask & (1 << 24) != 0
    }()

    @Test(
        "RLIMIT_NOFILE: the caller's limits when none is configured; the configured ones equal to, above and below the hard limit (run, exec, user namespace)",
        arguments: [false, true])
    func nofile(userNamespace: Bool) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        if userNamespace {
            s.bundle.config.setNamespace("user")
            s.bundle.config["linux.uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            s.bundle.config["linux.gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
        }
        let (soft, hard) = (1000, 3000)
        s.bundle.config["process.rlimits"] = nil
        s.bundle.config.shell("ulimit -n; ulimit -H -n")
        try s.bundle.write()
        let inherited = limited(s, soft: soft, hard: hard, ["run", "--bundle", s.bundle.path, s.newID()])
        #expect(inherited.stdout.lines == ["\(soft)", "\(hard)"], "\(inherited)")

        for limit in [hard, hard + 1, hard - 1] {
            s.bundle.config["process.rlimits"] = [["type": "RLIMIT_NOFILE", "soft": limit, "hard": limit]]
            s.bundle.config.shell("ulimit -n; ulimit -H -n")
            try s.bundle.write()
            let run = limited(s, soft: soft, hard: hard, ["run", "--bundle", s.bundle.path, s.newID()])
            if limit > hard && !Self.canRaiseHardLimits {
                #expect(
                    run.status != 0 && run.stderr.contains("setrlimit RLIMIT_NOFILE (soft \(limit), hard \(limit)): operation not permitted"),
                    "\(run)")
                continue
            }
            #expect(run.status == 0 && run.stdout.lines == ["\(limit)", "\(limit)"], "\(limit): \(run)")

            s.bundle.config.shell("sleep 1000")
            try s.bundle.write()
            let id = s.newID()
            #expect(limited(s, soft: soft, hard: hard, ["run", "-d", "--bundle", s.bundle.path, id]).status == 0)
            let exec = limited(s, soft: soft, hard: hard, ["exec", id, "sh", "-c", "ulimit -n; ulimit -H -n"])
            #expect(exec.status == 0 && exec.stdout.lines == ["\(limit)", "\(limit)"], "exec \(limit): \(exec)")
            _ = s.berth(["delete", "--force", id])
        }
        // An exec without configured limits gets its caller's.
        s.bundle.config["process.rlimits"] = nil
        s.bundle.config.shell("sleep 1000")
        try s.bundle.write()
        let id = s.newID()
        #expect(s.berth(["run", "-d", "--bundle", s.bundle.path, id]).status == 0)
        let exec = limited(s, soft: 500, hard: 700, ["exec", id, "sh", "-c", "ulimit -n; ulimit -H -n"])
        #expect(exec.stdout.lines == ["500", "700"], "\(exec)")
    }

    /// berth takes its command line from glibc's start-up, not from a file the Swift
    /// runtime opens: with no descriptor to spare it still reads its arguments.
    @Test("RLIMIT_NOFILE 3: berth still reads its command line (--version answers)")
    func commandLineWithoutADescriptor() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let r = Runner.run("/usr/bin/prlimit", ["--nofile=3:3", Host.binary, "--version"], ioDir: s.io)
        #expect(r.status == 0 && r.stdout.hasPrefix("\(Host.binaryName) version "), "\(r)")
    }
}
