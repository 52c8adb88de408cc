// Faults from the host (issue 11, item 6): each a clear one-line error, exit status 1, and
// nothing left behind (state root, cgroups under the test's parent, processes, mounts).
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension Sandbox {
    /// The bundle runs `script`, in this sandbox's own cgroup parent, carrying its token.
    func faultBundle(_ script: String, id: String) throws {
        bundle.config.shell(script)
        bundle.config.env += [token]
        bundle.config["linux.cgroupsPath"] = cgroupParent + "/" + id
        try bundle.write()
    }

    /// A private copy of the busybox rootfs (for tests that change it), writable.
    func privateRootfs() throws -> String {
        let copy = dir + "/rootfs"
        let r = Runner.run("/bin/cp", ["-a", Host.rootfsPath, copy], ioDir: io, timeout: 60)
        guard r.status == 0 else { throw TestSetupError("cp rootfs: \(r)") }
        bundle.config["root.path"] = copy
        bundle.config["root.readonly"] = false
        return copy
    }
}

/// Pids whose command line contains `needle`.
func pidsWithCommandLine(containing needle: String) -> [Int32] {
    Host.allPids().filter { pid in
        guard let d = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: d.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(needle) && Host.isAlive(pid)
    }
}

@Suite("Faults from the host")
struct FaultTests {
    @Test("state root on a full 1 MiB tmpfs")
    func fullStateRoot() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let parent = s.useOwnCgroupParent()
        let root = s.dir + "/full"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        #expect(Runner.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", root], ioDir: s.io).status == 0)
        s.onCleanup { umount2(root, Int32(MNT_DETACH)) }
        // Fill it up.
        _ = Runner.run("/bin/dd", ["if=/dev/zero", "of=" + root + "/filler", "bs=64k"], ioDir: s.io)
        for command in ["create", "run"] {
            let id = s.newID(command)
            try s.faultBundle("sleep 1000", id: id)
            let r = s.berthRaw(["--root", root, command] + (command == "run" ? ["-d"] : []) + ["--bundle", s.bundle.path, id])
            expectError(r, contains: ["no space left on device"])
            #expect(
                ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []) == ["filler"],
                "\(command): state root holds \((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])")
        }
        s.expectHostClean(cgroupParent: parent, "after creates on a full state root", ignoringMounts: [root])
    }

    @Test("a low RLIMIT_NOFILE for berth: every limit either works or fails cleanly")
    func lowFileLimit() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let parent = s.useOwnCgroupParent()
        var failed = 0
        var hard = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &hard)
        for limit in [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 20, 24, 32] {
            let id = s.newID("nofile\(limit)")
            try s.faultBundle("sleep 1000", id: id)
            // The soft limit only: the container's own RLIMIT_NOFILE (1024) stays within the hard one.
            let r = Runner.run(
                "/usr/bin/prlimit",
                [
                    "--nofile=\(limit):\(hard.rlim_max)", Host.binary, "--root", s.root, "run", "-d",
                    "--bundle", s.bundle.path, id,
                ], ioDir: s.io, env: [String(s.token.split(separator: "=")[0]): String(s.token.split(separator: "=")[1])])
            #expect(!r.timedOut, "limit \(limit): \(r)")
            if r.status == 0 {
                #expect(s.status(id) == "running", "limit \(limit)")
                #expect(s.berth(["delete", "--force", id]).status == 0)
            } else {
                failed += 1
                expectError(r, contains: [])
                #expect(r.stderr.contains("too many open files"), "limit \(limit): \(r)")
                #expect(!s.stateEntries().contains(id), "limit \(limit): state left")
            }
            s.expectHostClean(cgroupParent: parent, "with RLIMIT_NOFILE \(limit)")
        }
        #expect(failed > 0, "some limit should be too low")
    }

    @Test("the pids limit reached during set-up (a createContainer hook cannot be forked)")
    func pidsLimitDuringSetUp() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let parent = s.useOwnCgroupParent()
        let id = s.newID("pids")
        try s.faultBundle("sleep 1000", id: id)
        s.bundle.config["linux.resources.pids"] = ["limit": 1]
        s.bundle.config["hooks"] = ["createContainer": [["path": "/bin/true"]]]
        try s.bundle.write()
        let r = s.berth(["create", "--bundle", s.bundle.path, id])
        expectError(r, contains: ["resource temporarily unavailable"])
        #expect(s.stateEntries().isEmpty)
        s.expectHostClean(cgroupParent: parent, "after the pids limit stopped a create")
    }

    @Test("a memory limit that OOM-kills the init during set-up")
    func oomDuringSetUp() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let parent = s.useOwnCgroupParent()
        let id = s.newID("oom")
        try s.faultBundle("sleep 1000", id: id)
        // One page: the init is killed as soon as it touches memory in its cgroup.
        s.bundle.config["linux.resources.memory"] = ["limit": 4096]
        try s.bundle.write()
        let r = s.berth(["create", "--bundle", s.bundle.path, id])
        expectError(r, contains: ["memory"])
        #expect(s.stateEntries().isEmpty)
        s.expectHostClean(cgroupParent: parent, "after the init was OOM-killed during set-up")
    }

    @Test("a hook that hangs past its timeout is killed; create fails cleanly")
    func hangingHook() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let parent = s.useOwnCgroupParent()
        let id = s.newID("hook")
        try s.faultBundle("sleep 1000", id: id)
        let marker = "987654\(Int.random(in: 100...999))"
        s.bundle.config["hooks"] = ["createRuntime": [["path": "/bin/sleep", "args": ["sleep", marker], "timeout": 1]]]
        try s.bundle.write()
        let r = s.berth(["create", "--bundle", s.bundle.path, id], timeout: 30)
        expectError(r, contains: ["createRuntime hook", "timeout"])
        #expect(s.stateEntries().isEmpty)
        s.expectHostClean(cgroupParent: parent, "after a hook timed out")
        #expect(Host.waitUntil(timeout: 10) { pidsWithCommandLine(containing: "sleep " + marker).isEmpty }, "the hook is still running")
    }

    @Test("a console socket that never accepts: create does not hang")
    func consoleSocketNeverAccepts() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let parent = s.useOwnCgroupParent()
        let path = s.dir + "/console.sock"
        // A listener with a backlog of 0 that never accepts, and one connection already
        // waiting in it: the next connect finds no room.
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        let len = socklen_t(MemoryLayout<sa_family_t>.size + path.utf8.count + 1)
        #expect(withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, len) } } == 0)
        #expect(listen(listener, 0) == 0)
        var waiting: [Int32] = []
        for _ in 0..<2 {
            let c = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(c, $0, len) } }
            waiting.append(c)
        }
        defer { for c in waiting { close(c) } }
        let id = s.newID("console")
        try s.faultBundle("sleep 1000", id: id)
        s.bundle.config["process.terminal"] = true
        try s.bundle.write()
        let r = s.berth(["create", "--console-socket", path, "--bundle", s.bundle.path, id], timeout: 30)
        expectError(r, contains: ["console socket", "accepted no connection"])
        #expect(s.stateEntries().isEmpty)
        s.expectHostClean(cgroupParent: parent, "after a console socket accepted nothing")
    }

    @Test("the bundle deleted between create and start")
    func bundleDeletedBeforeStart() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let parent = s.useOwnCgroupParent()
        _ = try s.privateRootfs()
        let id = s.newID("gone")
        s.mountOut()
        try s.faultBundle("echo started > /srv/started; sleep 1000", id: id)
        #expect(s.berth(["create", "--bundle", s.bundle.path, id]).status == 0)
        try FileManager.default.removeItem(atPath: s.bundle.path)
        try FileManager.default.removeItem(atPath: s.dir + "/rootfs")
        // The init holds its root and its checked executable: start works, or says why not.
        let r = s.berth(["start", id])
        if r.status == 0 {
            #expect(s.status(id) == "running" || s.status(id) == "stopped")
        } else {
            expectError(r, contains: [])
        }
        let st = s.berth(["state", id])
        #expect(st.status == 0, "\(st)")
        #expect(s.berth(["delete", "--force", id]).status == 0)
        s.expectHostClean(cgroupParent: parent, "after the bundle was deleted under a container")
    }

    /// Found by reviewing number conversions after the fuzz pass found one: with
    /// `--preserve-fds 4294967299` the init died of SIGILL (a descriptor number out of
    /// Int32) after the state directory and cgroups were made. Descriptors that are not
    /// open are refused first, as runc's exec of its init refuses them.
    @Test("--preserve-fds naming descriptors berth does not have: one line, nothing made (create, run, exec)")
    func preserveFDsNotOpen() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let parent = s.useOwnCgroupParent()
        s.bundle.config.shell("sleep 1000")
        s.bundle.config.env += [s.token]
        s.bundle.config["linux.cgroupsPath"] = parent + "/pf"
        try s.bundle.write()
        let file = s.dir + "/passed"
        try Host.write(file, "")
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        for (count, closed) in [("4294967299", "3"), ("9223372036854775807", "3"), ("2", "4")] {
            for command in ["create", "run"] {
                let id = s.newID("pf")
                let extra: [String] = command == "run" ? ["-d"] : []
                let r = s.berth(
                    [command] + extra + ["--preserve-fds", count, "--bundle", s.bundle.path, id],
                    extraFds: closed == "4" ? [fd] : [])
                expectError(r, contains: ["preserve-fds \(count): descriptor \(closed) is not open"])
                #expect(!s.stateEntries().contains(id), "\(command) --preserve-fds \(count) left its state directory")
            }
        }
        s.expectHostClean(cgroupParent: parent, "after --preserve-fds named closed descriptors")
        let id = s.newID("pfexec")
        #expect(s.berth(["run", "-d", "--bundle", s.bundle.path, id]).status == 0)
        let r = s.berth(["exec", "--preserve-fds", "4294967299", id, "true"])
        #expect(r.status != 0 && r.stderr.lines.count == 1 && r.stderr.contains("preserve-fds 4294967299: descriptor 3 is not open"), "\(r)")
        let kept = s.berth(["exec", "--preserve-fds", "1", id, "sh", "-c", "readlink /proc/self/fd/3"], extraFds: [fd])
        #expect(kept.status == 0 && kept.stdout.trimmed == file, "\(kept)")
        #expect(s.berth(["delete", "--force", id]).status == 0)
        s.expectHostClean(cgroupParent: parent, "after exec --preserve-fds")
    }
}
