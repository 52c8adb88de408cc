// systemd integration as runc does it: NOTIFY_SOCKET proxied, LISTEN_FDS passed on.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A bound unix datagram socket standing in for systemd's notify socket.
final class DatagramListener {
    let path: String
    let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, r == 0 else { throw TestSetupError("cannot bind \(path): errno \(errno)") }
    }

    /// The next datagram, or nil after `timeout` seconds.
    func receive(timeout: Double) -> String? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buf, buf.count, 0)
        return n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : nil
    }

    deinit { close(fd); unlink(path) }
}

@Suite("NOTIFY_SOCKET and LISTEN_FDS")
struct ActivationTests {
    /// A static sd_notify(3) stand-in, built into the sandbox's out dir (/srv inside).
    func buildNotifier(_ s: Sandbox) throws -> String {
        let source = s.dir + "/notify.c"
        try Host.write(
            source,
            """
            #include <stdlib.h>
            #include <string.h>
            #include <sys/socket.h>
            #include <sys/un.h>
            int main(int argc, char **argv) {
                const char *path = getenv("NOTIFY_SOCKET");
                if (!path || argc < 2) return 2;
                struct sockaddr_un a = { .sun_family = AF_UNIX };
                strncpy(a.sun_path, path, sizeof a.sun_path - 1);
                int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
                return sendto(fd, argv[1], strlen(argv[1]), 0, (struct sockaddr *)&a, sizeof a) < 0 ? 1 : 0;
            }
            """)
        try Host.compileStatic(source, to: s.out + "/sd-notify", ioDir: s.io)
        return Sandbox.outInside + "/sd-notify"
    }

    @Test("run -d with NOTIFY_SOCKET returns once the container is ready and passes READY=1 and MAINPID on")
    func notifyRunDetached() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let notifier = try buildNotifier(s)
        let listener = try DatagramListener(path: s.dir + "/host-notify.sock")
        s.mountOut()
        s.bundle.config.shell("echo $NOTIFY_SOCKET > /srv/env; sleep 0.5; touch /srv/before-ready; \(notifier) 'STATUS=up\nREADY=1'; sleep 100")
        try s.bundle.write()
        let id = s.newID()
        let pidFile = s.dir + "/pid"
        let r = s.berth(
            ["run", "-d", "--pid-file", pidFile, "--bundle", s.bundle.path, id],
            env: ["NOTIFY_SOCKET": listener.path])
        #expect(r.status == 0, "\(r)")
        // run -d returned only after the container said READY=1.
        #expect(FileManager.default.fileExists(atPath: s.out + "/before-ready"))
        let pid = try #require(Int32(Host.readFile(pidFile) ?? ""))
        let message = try #require(listener.receive(timeout: 10), "nothing reached the host's notify socket")
        #expect(message.lines.contains("READY=1"), "\(message)")
        #expect(message.lines.contains("MAINPID=\(pid)"), "\(message)")
        #expect(Host.readFile(s.out + "/env") == "/run/notify/notify.sock\n")
    }

    @Test("create + start: start waits for READY=1; a foreground run forwards it while it waits")
    func notifyCreateStartAndForeground() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let notifier = try buildNotifier(s)
        let listener = try DatagramListener(path: s.dir + "/host-notify.sock")
        s.mountOut()
        s.bundle.config.shell("\(notifier) READY=1; sleep 100")
        try s.bundle.write()
        let id = s.newID()
        let env = ["NOTIFY_SOCKET": listener.path]
        #expect(s.berth(["create", "--bundle", s.bundle.path, id], env: env).status == 0)
        #expect(listener.receive(timeout: 0.3) == nil, "nothing before start")
        #expect(s.berth(["start", id], env: env).status == 0)
        #expect(listener.receive(timeout: 10)?.contains("READY=1") == true)

        s.bundle.config.shell("\(notifier) READY=1; echo after-ready")
        try s.bundle.write()
        let fg = s.berth(["run", "--bundle", s.bundle.path, s.newID()], env: env)
        #expect(fg.status == 0 && fg.stdout == "after-ready\n", "\(fg)")
        #expect(listener.receive(timeout: 10)?.contains("READY=1") == true)
    }

    @Test("a container that exits without READY=1 does not hang start")
    func notifyNeverReady() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let listener = try DatagramListener(path: s.dir + "/host-notify.sock")
        s.bundle.config.shell("true")
        try s.bundle.write()
        let r = s.berth(["run", "-d", "--bundle", s.bundle.path, s.newID()], timeout: 20, env: ["NOTIFY_SOCKET": listener.path])
        #expect(r.status == 0 && !r.timedOut, "\(r)")
        #expect(listener.receive(timeout: 0.2) == nil)
    }

    @Test("LISTEN_FDS for berth's own pid passes fds 3.. to the container with LISTEN_FDS and LISTEN_PID=1")
    func listenFds() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let path = s.dir + "/socket-stand-in"
        try Host.write(path, "activated\n")
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        s.bundle.config.shell("echo $LISTEN_FDS $LISTEN_PID; cat <&3")
        try s.bundle.write()
        // The shell's pid is the one berth gets after exec, as systemd sets it.
        let command = "LISTEN_PID=$$ LISTEN_FDS=1 exec \(Host.binary) --root \(s.root) run --bundle \(s.bundle.path) \(s.newID())"
        let r = Runner.run("/bin/sh", ["-c", command], ioDir: s.io, extraFds: [fd])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "1 1\nactivated\n", "\(r)")
        // For another pid, LISTEN_FDS is not berth's: nothing is passed.
        let other = "LISTEN_PID=1 LISTEN_FDS=1 exec \(Host.binary) --root \(s.root) run --bundle \(s.bundle.path) \(s.newID())"
        let r2 = Runner.run("/bin/sh", ["-c", other], ioDir: s.io, extraFds: [fd])
        #expect(!r2.stdout.contains("activated"), "\(r2)")
    }
}
