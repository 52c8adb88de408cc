// runc 1.2's command line where berth's used to differ: --pidfd-socket, ps options,
// kill 0, list of a missing --root, exec's exit status 255, the first error line of a
// failing execve, help for every command, and --debug's phase lines.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Command line")
struct CommandLineTests {
    /// A detached container running sleep; its id and init pid.
    func sleeper(_ s: Sandbox, extra: [String] = []) throws -> (String, Int32) {
        s.bundle.config.args = ["sleep", "1000"]
        try s.bundle.write()
        let id = s.newID()
        let pidFile = s.dir + "/pid-" + id
        let r = s.berth(["run", "-d", "--pid-file", pidFile, "--bundle", s.bundle.path] + extra + [id])
        try #require(r.status == 0, "\(r)")
        return (id, try #require(Int32(Host.readFile(pidFile) ?? "")))
    }

    /// The pid a pidfd refers to, from its fdinfo; nil when `fd` is no pidfd.
    func pidfdTarget(_ fd: Int32) -> Int32? {
        guard Host.readLink("/proc/self/fd/\(fd)") == "anon_inode:[pidfd]" else { return nil }
        let line = (Host.readFile("/proc/self/fdinfo/\(fd)") ?? "").lines.first { $0.hasPrefix("Pid:") }
        return line.flatMap { Int32($0.dropFirst(4).trimmingCharacters(in: .whitespaces)) }
    }

    /// True when the process behind a pidfd has exited (the pidfd turns readable).
    func pidfdExited(_ fd: Int32, timeout: Double = 10) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, Int32(timeout * 1000)) == 1
    }

    @Test("--pidfd-socket: create, run -d and exec -d send one pidfd of the init (or exec'd process), payload as runc's")
    func pidfdSocket() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["sleep", "1000"]
        try s.bundle.write()
        for command in ["create", "run"] {
            let sock = try ConsoleSocket(path: s.dir + "/pidfd-\(command).sock")
            defer { sock.close() }
            let id = s.newID()
            let pidFile = s.dir + "/pid-" + id
            let r = s.berth(
                [command] + (command == "run" ? ["-d"] : []) + [
                    "--pidfd-socket", sock.path, "--pid-file", pidFile,
                    "--bundle", s.bundle.path, id,
                ])
            #expect(r.status == 0, "\(r)")
            let hand = try #require(sock.accept(timeout: 10), "nothing arrived on the pidfd socket")
            #expect(hand.rightsMessages == 1 && hand.fds.count == 1, "\(hand)")
            #expect(hand.payloadString == "standard", "\(hand)")
            let fd = try #require(hand.fds.first)
            let pid = try #require(Int32(Host.readFile(pidFile) ?? ""))
            #expect(pidfdTarget(fd) == pid, "the pidfd refers to \(String(describing: pidfdTarget(fd))), the init is \(pid)")
            #expect(s.status(id) == (command == "create" ? "created" : "running"))
            #expect(!pidfdExited(fd, timeout: 0))
            #expect(s.berth(["kill", id, "KILL"]).status == 0)
            #expect(pidfdExited(fd), "the pidfd did not report the init's exit")
        }

        let (id, _) = try sleeper(s)
        let sock = try ConsoleSocket(path: s.dir + "/pidfd-exec.sock")
        defer { sock.close() }
        let pidFile = s.dir + "/exec.pid"
        let e = s.berth(["exec", "-d", "--pidfd-socket", sock.path, "--pid-file", pidFile, id, "sleep", "1000"])
        #expect(e.status == 0, "\(e)")
        let hand = try #require(sock.accept(timeout: 10))
        #expect(hand.rightsMessages == 1 && hand.fds.count == 1 && hand.payloadString == "setns", "\(hand)")
        let fd = try #require(hand.fds.first)
        let execPID = try #require(Int32(Host.readFile(pidFile) ?? ""))
        #expect(pidfdTarget(fd) == execPID)
        kill(execPID, SIGKILL)
        #expect(pidfdExited(fd))
        #expect(s.status(id) == "running")

        // A socket nobody listens on fails create before anything is made.
        let missing = s.newID()
        let f = s.berth(["create", "--pidfd-socket", s.dir + "/nobody.sock", "--bundle", s.bundle.path, missing])
        expectError(f, contains: ["pidfd socket", "nobody.sock"])
        #expect(!FileManager.default.fileExists(atPath: s.root + "/" + missing))
    }

    @Test("ps ID [ps options]: what follows the id goes to ps (ps ID -e -x)")
    func psOptions() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (id, pid) = try sleeper(s)
        let r = s.berth(["ps", id, "-e", "-x"])
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.lines
        #expect(lines.first?.range(of: #"^\s*PID\s+TTY\s+STAT\s+TIME\s+COMMAND"#, options: .regularExpression) != nil, "\(r)")
        #expect(lines.dropFirst().map { $0.split(separator: " ").first.map(String.init) } == ["\(pid)"], "\(r)")
        // ps's own flags after the id, --format before it.
        let o = s.berth(["ps", "--format", "table", id, "-o", "pid,comm"])
        #expect(o.status == 0 && o.stdout.lines.count == 2 && o.stdout.contains("sleep"), "\(o)")
    }

    @Test("kill ID 0 checks the container: 0 while it runs, 'container not running' after; kill -a ID 0 does not fail")
    func killZero() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (id, _) = try sleeper(s)
        let alive = s.berth(["kill", id, "0"])
        #expect(alive.status == 0 && alive.stderr.isEmpty, "\(alive)")
        #expect(s.status(id) == "running")
        #expect(s.berth(["kill", id, "KILL"]).status == 0)
        #expect(s.waitForStatus(id, "stopped"))
        expectError(s.berth(["kill", id, "0"]), contains: ["container not running"])
        let all = s.berth(["kill", "-a", id, "0"])
        #expect(all.status == 0, "\(all)")
    }

    /// Numbers out of range used to trap berth (SIGILL): RTMIN+2147483647 overflowed, an
    /// interval of `inf` or `1e300s` did not fit an Int, one past 71 minutes not usleep's
    /// argument. Now an unknown signal or an invalid interval, and a long interval sleeps.
    @Test("kill and events with numbers out of range: one line of error, or they work; never a trap")
    func numbersOutOfRange() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (id, _) = try sleeper(s)
        for signal in ["RTMIN+2147483647", "SIGRTMAX-2147483647", "RTMIN+31", "RTMAX--1"] {
            expectError(s.berth(["kill", id, signal]), contains: ["unknown signal \"\(signal)\""])
        }
        #expect(s.status(id) == "running")
        for interval in ["1e300s", "inf", "1e300", "3000000h", "-1s", "nan"] {
            expectError(s.berth(["events", "--interval", interval, id]), contains: ["invalid interval \"\(interval)\""])
        }
        let events = try s.spawnBerth(["events", "--interval", "2h", id])
        let reported = Host.waitUntil(timeout: 20) { !(Host.readFile(events.stdoutPath) ?? "").isEmpty || events.poll() != nil }
        #expect(reported && events.poll() == nil, "events --interval 2h: \(events.poll().map(\.description) ?? "still running")")
        events.signal(SIGKILL)
        #expect(events.wait().signal == SIGKILL)
        #expect(s.berth(["kill", id, "RTMAX-30"]).status == 0)
    }

    @Test("list --root DIR with a missing DIR fails with the path named")
    func listMissingRoot() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let missing = s.dir + "/no-such-root"
        let r = s.berthRaw(["--root", missing, "list"])
        expectError(r, contains: ["open \(missing): no such file or directory"])
        #expect(r.stdout.isEmpty, "\(r)")
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    @Test("exec that cannot start exits 255 (paused container, pid file in a missing directory, no container) and leaves no process")
    func execExitStatus() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (id, _) = try sleeper(s)
        #expect(s.berth(["pause", id]).status == 0)
        let paused = s.berth(["exec", id, "true"])
        #expect(paused.status == 255, "\(paused)")
        #expect(
            paused.stderr.lines == ["\(Host.binaryName): exec failed: cannot exec in a paused container (use --ignore-paused to override)"],
            "\(paused)")
        #expect(s.berth(["resume", id]).status == 0)

        let pidFile = s.dir + "/missing-dir/exec.pid"
        let r = s.berth(["exec", "-d", "--pid-file", pidFile, id, "sleep", "1000"])
        #expect(r.status == 255, "\(r)")
        #expect(r.stderr.lines.count == 1 && r.stderr.contains("exec failed:") && r.stderr.contains("missing-dir"), "\(r)")
        let ps = s.berth(["ps", "--format", "json", id])
        #expect((Host.parseJSON(ps.stdout) as? [Int] ?? []).count == 1, "the exec'd process was left running: \(ps)")

        let none = s.berth(["exec", "no-such-container", "true"])
        #expect(none.status == 255 && none.stderr.contains("exec failed: container does not exist"), "\(none)")
        // A usage error is not an exec failure.
        #expect(s.berth(["exec"]).status == 1)
    }

    @Test("a failing execve is the first and only line, as runc prints it: 'exec /srv/run.sh: no such file or directory'")
    func execveErrorLine() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.mountOut()
        // A script whose interpreter does not exist: found and executable, execve fails.
        try Host.write(s.out + "/run.sh", "#!/mmnnttbb foo bar\nsh\n")
        chmod(s.out + "/run.sh", 0o755)
        s.bundle.config.args = ["/srv/run.sh"]
        try s.bundle.write()
        let run = s.berth(["run", "--bundle", s.bundle.path, s.newID()])
        #expect(run.status == 255, "\(run)")
        #expect(run.stderr == "exec /srv/run.sh: no such file or directory\n", "\(run)")
        #expect(s.stateEntries().isEmpty, "\(s.stateEntries())")

        let (id, _) = try sleeper(s)
        for tty in [false, true] {
            let e = s.berth(["exec"] + (tty ? ["-t"] : []) + [id, "/srv/run.sh"])
            #expect(e.status == 255, "\(e)")
            #expect(e.stderr.lines.count == 1 && e.stderr.contains("exec /srv/run.sh: no such file or directory"), "\(e)")
        }
    }

    /// Every command berth has, with a flag each documents.
    static let commands: [(String, [String])] = [
        ("create", ["--bundle", "--pid-file", "--console-socket", "--pidfd-socket", "--no-pivot", "--preserve-fds"]),
        ("start", []), ("state", []), ("kill", ["--all"]), ("delete", ["--force"]),
        ("run", ["--detach", "--keep", "--pidfd-socket", "--console-socket"]), ("list", ["--format", "--quiet"]),
        ("spec", ["--bundle", "--rootless"]), ("pause", []), ("resume", []), ("ps", ["--format"]),
        ("features", []), ("update", ["--resources", "--memory", "--pids-limit"]), ("events", ["--stats", "--interval"]),
        ("exec", ["--process", "--tty", "--detach", "--pidfd-socket", "--user", "--env", "--cwd", "--ignore-paused"]),
    ]

    @Test("help: berth help, -h and --help list every command; COMMAND --help, -h and help COMMAND document its flags")
    func help() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        for args in [["help"], ["-h"], ["--help"]] {
            let r = s.berthRaw(args)
            #expect(r.status == 0, "\(r)")
            #expect(r.stdout.lines.first == "NAME:", "\(r)")
            for (name, _) in Self.commands {
                #expect(r.stdout.lines.contains { $0.hasPrefix("   \(name) ") }, "\(name) missing from \(args): \(r)")
            }
        }
        for (name, flags) in Self.commands {
            for args in [[name, "--help"], [name, "-h"], ["help", name]] {
                let r = s.berthRaw(args)
                #expect(r.status == 0, "\(r)")
                let lines = r.stdout.lines
                #expect(lines.count > 1 && lines[0] == "NAME:" && lines[1].hasPrefix("   berth \(name) - "), "\(r)")
                #expect(lines.contains("USAGE:"), "\(r)")
                for flag in flags {
                    #expect(lines.contains { $0.hasPrefix("   \(flag)") }, "\(flag) undocumented in \(args): \(r)")
                }
            }
        }
    }

    @Test("an unknown command says so, as runc: 'No help topic for' (berth foo, berth foo -h, berth help foo)")
    func unknownCommand() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        for args in [["foo"], ["foo", "-h"], ["help", "foo"]] {
            let r = s.berthRaw(args)
            #expect(r.status != 0 && r.status != 255, "\(r)")
            #expect(r.stderr.lines.count == 1 && r.stderr.contains("No help topic for 'foo'"), "\(r)")
            #expect(r.stdout.isEmpty, "\(r)")
        }
    }

    @Test("--debug: one line per phase of create (cgroup, namespaces, mounts, process) and of exec")
    func debugPhases() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let log = s.dir + "/debug.log"
        s.bundle.config.args = ["sleep", "1000"]
        try s.bundle.write()
        let id = s.newID()
        let r = s.berth(["--debug", "--log", log, "--log-format", "json", "create", "--bundle", s.bundle.path, id])
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r)")
        func messages() -> [String] {
            (Host.readFile(log) ?? "").lines.compactMap { Host.parseJSON($0) as? [String: Any] }
                .filter { $0["level"] as? String == "debug" }.compactMap { $0["msg"] as? String }
        }
        let create = messages()
        let phases = ["cgroup:", "namespaces:", "mounts:", "process:"]
        // Each phase is there, and they come in the order the init goes through them.
        let firsts = phases.map { p in create.firstIndex { $0.hasPrefix(p) } }
        #expect(firsts.allSatisfy { $0 != nil }, "\(create)")
        #expect(firsts.compactMap { $0 } == firsts.compactMap { $0 }.sorted(), "\(create)")
        #expect(create.contains { $0.hasPrefix("mounts: root switched (pivot_root)") }, "\(create)")
        #expect(create.contains { $0.hasPrefix("create \(id): state saved") }, "\(create)")
        #expect(s.berth(["start", id]).status == 0)

        let before = messages().count
        let e = s.berth(["--debug", "--log", log, "--log-format", "json", "exec", id, "true"])
        #expect(e.status == 0 && e.stderr.isEmpty, "\(e)")
        let exec = Array(messages().dropFirst(before))
        for p in ["exec \(id):", "cgroup:", "namespaces:", "process:"] {
            #expect(exec.contains { $0.hasPrefix(p) }, "\(p) missing: \(exec)")
        }
        // Without --debug, none of it.
        let quiet = s.dir + "/quiet.log"
        #expect(s.berth(["--log", quiet, "exec", id, "true"]).status == 0)
        #expect((Host.readFile(quiet) ?? "").isEmpty)
    }
}
