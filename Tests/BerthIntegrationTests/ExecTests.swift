// exec: a process joins a running container (namespaces, cgroup, security settings).
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("exec")
struct ExecTests {
    /// A detached container running `script` (default: sleep); returns its id and init pid.
    func startContainer(_ s: Sandbox, _ script: String = "sleep 1000", configure: (inout Config) -> Void = { _ in }) throws -> (String, Int32) {
        s.bundle.config.shell(script)
        configure(&s.bundle.config)
        try s.bundle.write()
        let id = s.newID()
        let pidFile = s.dir + "/pid-" + id
        let r = s.berth(["run", "-d", "--pid-file", pidFile, "--bundle", s.bundle.path, id])
        try #require(r.status == 0, "\(r)")
        let pid = try #require(Int32(Host.readFile(pidFile) ?? ""))
        return (id, pid)
    }

    @Test("exec runs in every namespace and the cgroup of the container, and returns the process's exit status")
    func joinsContainer() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (id, initPID) = try startContainer(s) { c in
            c.setNamespace("cgroup")
            c["hostname"] = "exec-box"
        }
        let r = s.berth([
            "exec", id, "sh", "-c",
            "for n in mnt net ipc uts pid cgroup; do readlink /proc/self/ns/$n; done; hostname; ps -o pid,comm | grep -c sleep; echo self $$; exit 7",
        ])
        #expect(r.status == 7, "\(r)")
        let lines = r.stdout.lines
        let expected = ["mnt", "net", "ipc", "uts", "pid", "cgroup"].map { Host.nsLink(pid: initPID, $0) ?? "?" }
        #expect(Array(lines.prefix(6)) == expected, "\(r)")
        #expect(expected.allSatisfy { $0 != "?" })
        #expect(lines.dropFirst(6).first == "exec-box", "\(r)")
        // It sees the container's sleep (pid 1 in its pid namespace) and has a small pid.
        #expect(lines.contains("1"), "\(r)")
        let selfPid = lines.first { $0.hasPrefix("self ") }.flatMap { Int($0.dropFirst(5)) } ?? 0
        #expect(selfPid > 1 && selfPid < 100, "\(r)")

        // A detached exec: same cgroups as the init, seen from the host.
        let pidFile = s.dir + "/exec.pid"
        let d = s.berth(["exec", "--detach", "--pid-file", pidFile, id, "sleep", "1000"])
        #expect(d.status == 0, "\(d)")
        let text = try #require(Host.readFile(pidFile))
        #expect(text.allSatisfy { $0.isNumber }, "pid file holds the bare pid: \(text.debugDescription)")
        let execPID = try #require(Int32(text))
        #expect(Host.isAlive(execPID))
        #expect(Host.readFile("/proc/\(execPID)/cgroup") == Host.readFile("/proc/\(initPID)/cgroup"))
        #expect(Host.readLink("/proc/\(execPID)/root") == Host.readLink("/proc/\(initPID)/root"))
        let ps = s.berth(["ps", "--format", "json", id])
        #expect((Host.parseJSON(ps.stdout) as? [Int] ?? []).contains(Int(execPID)), "\(ps)")
        // delete --force takes the exec'd process down with the container.
        #expect(s.berth(["delete", "--force", id]).status == 0)
        #expect(Host.waitUntil(timeout: 10) { !Host.isAlive(execPID) })
    }

    @Test("exec failures: runc's wording after \"exec failed:\", exit 255, no process left behind")
    func failures() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (id, _) = try startContainer(s)
        let cases: [([String], String)] = [
            (
                ["exec", id, "no-such-command"],
                #"exec failed: unable to start container process: exec: "no-such-command": executable file not found in $PATH"#
            ),
            (["exec", id, "/etc/passwd"], #"exec: "/etc/passwd": permission denied"#),
            (["exec", id, "/no/such/file"], "no such file or directory"),
            (["exec", "no-such-container", "true"], "exec failed: container does not exist"),
            (["exec", id], "process args cannot be empty"),
        ]
        for (args, message) in cases {
            let r = s.berth(args)
            #expect(r.status == 255, "\(args): \(r)")
            #expect(r.stderr.contains(message), "\(args): \(r)")
            #expect(r.stderr.lines.count == 1, "\(args): \(r)")
        }
        #expect(s.berth(["state", id]).stdout.contains("running"))
        let ps = s.berth(["ps", "--format", "json", id])
        #expect((Host.parseJSON(ps.stdout) as? [Int] ?? []).count == 1, "only the init remains: \(ps)")

        #expect(s.berth(["pause", id]).status == 0)
        let paused = s.berth(["exec", id, "true"])
        #expect(paused.status == 255 && paused.stderr.contains("cannot exec in a paused container (use --ignore-paused to override)"), "\(paused)")
        #expect(s.berth(["resume", id]).status == 0)

        #expect(s.berth(["kill", id, "KILL"]).status == 0)
        #expect(s.waitForStatus(id, "stopped"))
        let stopped = s.berth(["exec", id, "true"])
        #expect(stopped.status == 255 && stopped.stderr.contains("cannot exec in a stopped container"), "\(stopped)")
        #expect(s.leftoverProcesses().isEmpty)
    }

    @Test("process flags: --user, --additional-gids, --env overriding, --cwd, --cap, --no-new-privs")
    func processFlags() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (id, _) = try startContainer(s) { c in c["process.env"] = ["PATH=/bin:/usr/bin", "FOO=container", "KEEP=1"] }
        let r = s.berth([
            "exec", "--user", "1000:1001", "--additional-gids", "20", "-g", "30", "--env", "FOO=exec",
            "-e", "NEW=2", "--cwd", "/tmp", "--cap", "CAP_NET_RAW", "--no-new-privs", id,
            "sh", "-c", "id -u; id -g; id -G; echo $FOO $KEEP $NEW; env | grep -c ^FOO=; pwd; grep -E '^(CapBnd|NoNewPrivs)' /proc/self/status",
        ])
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.lines
        #expect(lines.count >= 8, "\(r)")
        guard lines.count >= 8 else { return }
        #expect(lines[0] == "1000" && lines[1] == "1001", "\(r)")
        #expect(lines[2].split(separator: " ").sorted() == ["1001", "20", "30"], "\(r)")
        #expect(lines[3] == "exec 1 2", "\(r)")
        #expect(lines[4] == "1", "one FOO in the environment: \(r)")
        #expect(lines[5] == "/tmp", "\(r)")
        // CAP_NET_RAW is bit 13, added to the runc default bounding set (0x20000420 | 0x2000... ).
        let bnd = UInt64(lines[6].split(separator: "\t").last ?? "", radix: 16) ?? 0
        #expect(bnd & (1 << 13) != 0, "\(r)")
        #expect(lines[7].hasSuffix("1"), "\(r)")
        // Without the flags: the container's own process settings.
        let plain = s.berth(["exec", id, "sh", "-c", "id -u; echo $FOO; pwd; grep NoNewPrivs /proc/self/status"])
        #expect(plain.stdout.lines == ["0", "container", "/", "NoNewPrivs:\t1"], "\(plain)")
    }

    @Test("--process takes a runtime-spec Process JSON as podman and containerd write it")
    func processFile() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (id, _) = try startContainer(s)
        let process: [String: Any] = [
            "terminal": false, "user": ["uid": 0, "gid": 0, "additionalGids": [10]],
            "args": ["sh", "-c", "echo $A; pwd; id -G; exit 3"], "env": ["PATH=/bin:/usr/bin", "A=from-json"],
            "cwd": "/etc", "capabilities": ["bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]],
            "noNewPrivileges": true,
        ]
        let path = s.dir + "/process.json"
        try JSONSerialization.data(withJSONObject: process).write(to: URL(fileURLWithPath: path))
        let r = s.berth(["exec", "--process", path, id])
        #expect(r.status == 3, "\(r)")
        #expect(r.stdout.lines == ["from-json", "/etc", "0 10"], "\(r)")
        try Host.write(path, "{\"args\": [\"true\"], \"cwd\": 5}")
        let bad = s.berth(["exec", "--process", path, id])
        #expect(bad.status == 255 && bad.stderr.contains("cwd"), "\(bad)")
    }

    @Test("the container's seccomp profile applies to exec'd processes")
    func seccompApplies() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (id, _) = try startContainer(s) { c in
            c["linux.seccomp"] = [
                "defaultAction": "SCMP_ACT_ALLOW",
                "syscalls": [["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1]],
            ]
        }
        let r = s.berth(["exec", id, "sh", "-c", "mkdir /tmp/x 2>&1; echo rc=$?"])
        #expect(r.stdout.contains("rc=1") && r.stdout.contains("not permitted"), "\(r)")
    }

    @Test("exec into a user-namespaced container runs under the mapped ids")
    func userNamespace() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (id, initPID) = try startContainer(s) { c in
            c.setNamespace("user")
            c["linux.uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            c["linux.gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
        }
        let pidFile = s.dir + "/exec.pid"
        let r = s.berth(["exec", "-d", "--pid-file", pidFile, "--user", "5:5", id, "sleep", "100"])
        #expect(r.status == 0, "\(r)")
        let pid = try #require(Int32(Host.readFile(pidFile) ?? ""))
        #expect(Host.nsLink(pid: pid, "user") == Host.nsLink(pid: initPID, "user"))
        let status = Host.readFile("/proc/\(pid)/status") ?? ""
        #expect(status.lines.contains { $0.hasPrefix("Uid:") && $0.contains("100005") }, "\(status)")
        let fg = s.berth(["exec", id, "id", "-u"])
        #expect(fg.stdout == "0\n", "\(fg)")
    }

    @Test("exec into a --no-pivot (chroot) container sees the container's root")
    func noPivot() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("sleep 1000")
        try s.bundle.write()
        try Host.write(Host.rootfsPath + "/.berth-exec-marker-\(getpid())", "x")
        defer { unlink(Host.rootfsPath + "/.berth-exec-marker-\(getpid())") }
        let id = s.newID()
        #expect(s.berth(["run", "-d", "--no-pivot", "--bundle", s.bundle.path, id]).status == 0)
        let r = s.berth(["exec", id, "ls", "-a", "/"])
        #expect(r.stdout.lines.contains(".berth-exec-marker-\(getpid())"), "\(r)")
    }

    @Test("--preserve-fds passes descriptors; nothing else of berth's reaches the process")
    func descriptors() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (id, _) = try startContainer(s)
        let path = s.dir + "/extra"
        try Host.write(path, "via-fd-3\n")
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        let r = s.berth(["exec", "--preserve-fds", "1", id, "sh", "-c", "cat <&3; ls /proc/self/fd"], extraFds: [fd])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.lines.first == "via-fd-3", "\(r)")
        // 0, 1, 2, the preserved 3, and ls's own directory fd.
        let fds = r.stdout.lines.dropFirst().compactMap { Int($0) }
        #expect(fds.filter { $0 > 3 }.count <= 1, "\(r)")
        let without = s.berth(["exec", id, "ls", "/proc/self/fd"], extraFds: [fd])
        #expect(without.stdout.lines.compactMap { Int($0) }.filter { $0 > 2 }.count <= 1, "\(without)")
    }

    @Test("--tty with a console socket hands over the pty; without one berth relays it")
    func terminal() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (id, _) = try startContainer(s)
        let sock = try ConsoleSocket(path: s.dir + "/console.sock")
        defer { sock.close() }
        let p = try s.spawnBerth(["exec", "--tty", "--detach", "--console-socket", sock.path, id, "sh", "-c", "tty; echo done"])
        let h = try #require(sock.accept(timeout: 30), "nobody connected to the console socket")
        #expect(h.fds.count == 1)
        let out = ConsoleSocket.readAll(h.fds[0], until: "done", timeout: 20)
        #expect(out.contains("/dev/pts/"), "\(out)")
        #expect(p.wait().status == 0)
        // Foreground without a socket: berth relays the pty to its own stdout.
        let r = s.berth(["exec", "-t", id, "sh", "-c", "test -t 0 && test -t 1 && echo is-a-tty"], stdin: "")
        #expect(r.status == 0 && r.stdout.contains("is-a-tty"), "\(r)")
        // --detach with --tty needs a console socket.
        let bad = s.berth(["exec", "-t", "-d", id, "true"])
        #expect(bad.status == 255 && bad.stderr.contains("cannot allocate tty"), "\(bad)")
    }

    @Test("a foreground exec forwards signals and exits 128+signal")
    func signals() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (id, _) = try startContainer(s)
        let p = try s.spawnBerth(["exec", id, "sh", "-c", "echo up; exec sleep 100"])
        #expect(Host.waitUntil(timeout: 20) { (Host.readFile(p.stdoutPath) ?? "").contains("up") })
        p.signal(SIGTERM)
        let r = p.wait()
        #expect(r.status == 143, "\(r)")
    }
}
