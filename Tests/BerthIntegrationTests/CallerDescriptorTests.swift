// The caller's descriptors never reach a created container: only stdio, --preserve-fds
// and LISTEN_FDS ones do, from the moment the init is cloned (not only from execve on).
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Caller descriptors")
struct CallerDescriptorTests {
    /// Opens `path` for the caller side (close-on-exec in the test process; the runner
    /// dup2s it into berth).
    func openFile(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw TestSetupError("open \(path): \(String(cString: strerror(errno)))") }
        return fd
    }

    /// Every entry of /proc/<pid>/fd: number → link target.
    func descriptors(of pid: Int32) -> [Int: String] {
        var out: [Int: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? [] {
            if let n = Int(name) { out[n] = Host.readLink("/proc/\(pid)/fd/\(name)") ?? "?" }
        }
        return out
    }

    /// True when the read end reports end of file within `timeout` seconds (bounded wait).
    func seesEndOfFile(_ fd: Int32, timeout: Double = 10) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(timeout * 1000)) == 1 else { return false }
        var byte: UInt8 = 0
        return read(fd, &byte, 1) == 0
    }

    @Test("a created container's init holds no descriptor of its caller (fd 4, fd 10, a pipe): only stdio and --preserve-fds")
    func createdInit() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("sleep 1000")
        try s.bundle.write()
        let preserved = try openFile(s.dir + "/preserved-fd3")
        let four = try openFile(s.dir + "/caller-fd4")
        let ten = try openFile(s.dir + "/caller-fd10")
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        var pipeFDs: [Int32] = [-1, -1]
        #expect(pipe(&pipeFDs) == 0)
        for fd in pipeFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer { for fd in [preserved, four, ten, null, pipeFDs[0], pipeFDs[1]] { close(fd) } }
        var st = stat()
        fstat(pipeFDs[0], &st)
        let pipeName = "pipe:[\(st.st_ino)]"

        // In berth: 3 the preserved file, 4 a file, 5-9 /dev/null, 10 a file, 11 the
        // write end of a pipe whose read end the test holds.
        let extra = [preserved, four, null, null, null, null, null, ten, pipeFDs[1]]
        let id = s.newID("fds")
        let r = s.berth(["create", "--preserve-fds", "1", "--bundle", s.bundle.path, id], extraFds: extra)
        try #require(r.status == 0, "\(r)")
        close(pipeFDs[1])
        pipeFDs[1] = -1
        let statePID = s.state(id)?["pid"] as? Int
        let pid = Int32(try #require(statePID, "no pid in state"))

        let fds = descriptors(of: pid)
        #expect(fds[3] == s.dir + "/preserved-fd3", "fd 3 (--preserve-fds 1) must reach the container: \(fds)")
        for (n, target) in fds.sorted(by: { $0.key < $1.key }) where n > 3 {
            #expect(
                target != s.dir + "/caller-fd4" && target != s.dir + "/caller-fd10" && target != pipeName
                    && target != "/dev/null", "fd \(n) -> \(target) is the caller's: \(fds)")
            // What may remain is berth's own until start: its sync socket and the detached
            // clone of the state directory (exec.fifo).
            var st = stat()
            let isDirectory = stat("/proc/\(pid)/fd/\(n)", &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
            #expect(target.hasPrefix("socket:") || isDirectory, "fd \(n) -> \(target): \(fds)")
        }
        // The caller waiting for end of file on its pipe gets it once create has returned.
        #expect(seesEndOfFile(pipeFDs[0]), "the created container still holds the caller's pipe: \(fds)")

        #expect(s.berth(["start", id]).status == 0)
        let inside = s.berth(["exec", id, "sh", "-c", "ls /proc/1/fd"])
        #expect(inside.stdout.lines.compactMap(Int.init).sorted() == [0, 1, 2, 3], "\(inside)")
    }

    @Test("run -d and LISTEN_FDS: the passed descriptors reach the process, the caller's others do not")
    func listenFDs() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.mountOut()
        s.bundle.config.shell("ls /proc/self/fd > /srv/fds; echo $LISTEN_FDS > /srv/n.tmp; mv /srv/n.tmp /srv/n; sleep 1000")
        try s.bundle.write()
        let passed = try openFile(s.dir + "/listen-fd3")
        let other = try openFile(s.dir + "/caller-fd4")
        var pipeFDs: [Int32] = [-1, -1]
        #expect(pipe(&pipeFDs) == 0)
        for fd in pipeFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer { for fd in [passed, other, pipeFDs[0], pipeFDs[1]] where fd >= 0 { close(fd) } }
        let r = try Runner.spawn(
            "/bin/sh",
            ["-c", "LISTEN_PID=$$ LISTEN_FDS=1 exec \(Host.binary) --root \(s.root) run -d --bundle \(s.bundle.path) \(s.newID("listen"))"],
            ioDir: s.io, extraFds: [passed, other, pipeFDs[1]]
        ).wait()
        #expect(r.status == 0, "\(r)")
        close(pipeFDs[1])
        pipeFDs[1] = -1
        #expect(s.waitForOutFile("n")?.trimmed == "1")
        // ls's own directory descriptor is the one above 3.
        let fds = (s.waitForOutFile("fds") ?? "").lines.compactMap(Int.init)
        #expect(fds.filter { $0 <= 3 } == [0, 1, 2, 3] && fds.filter { $0 > 3 }.count <= 1, "\(fds)")
        #expect(seesEndOfFile(pipeFDs[0]), "the container holds the caller's pipe")
    }
}
