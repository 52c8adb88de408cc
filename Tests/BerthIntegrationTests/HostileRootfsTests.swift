// Hostile root filesystems (issue 11, item 7), beyond the symlinks EscapeTests and
// InitLayerTests plant: fifos and device nodes where berth mounts or reads, /sys as a
// symlink, process.cwd as a symlink to a host path, a fifo or a device, a 100 MB
// /etc/passwd, a setuid /bin/sh. Nothing may reach the host, nothing may hang, and the
// container gets what the config says or a one-line error.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Hostile rootfs")
struct HostileRootfsTests {
    /// The init-layer files as a fifo or a device node: the generated file is mounted over
    /// them (no open of the fifo, no write to the device), and the run does not hang.
    @Test("/etc/hosts, resolv.conf and hostname as fifos or device nodes", arguments: ["fifo", "device"])
    func initLayerSpecialFiles(_ kind: String) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try s.privateRootfs()
        for name in ["hosts", "resolv.conf", "hostname"] {
            let path = rootfs + "/etc/" + name
            unlink(path)
            // A device node: the host's /dev/zero (char 1:5); writing to it would vanish,
            // reading would never end.
            #expect((kind == "fifo" ? mkfifo(path, 0o644) : mknod(path, S_IFCHR | 0o644, dev_t(1 << 8 | 5))) == 0)
        }
        s.bundle.config["hostname"] = "hostile"
        let r = try s.sh("cat /etc/hostname; grep -c localhost /etc/hosts; test -f /etc/resolv.conf && echo regular", timeout: 30)
        #expect(!r.timedOut, "\(r)")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.lines.first == "hostile", "\(r)")
        #expect(r.stdout.contains("regular"), "\(r)")
        // The image's files are as they were.
        var st = stat()
        for name in ["hosts", "resolv.conf", "hostname"] {
            #expect(lstat(rootfs + "/etc/" + name, &st) == 0 && (st.st_mode & S_IFMT) == (kind == "fifo" ? S_IFIFO : S_IFCHR))
        }
    }

    @Test("/sys as a symlink to a host directory is refused")
    func sysSymlink() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try s.privateRootfs()
        let sentinel = s.dir + "/host-sys"
        try FileManager.default.createDirectory(atPath: sentinel, withIntermediateDirectories: true)
        try FileManager.default.removeItem(atPath: rootfs + "/sys")
        try FileManager.default.createSymbolicLink(atPath: rootfs + "/sys", withDestinationPath: sentinel)
        let r = try s.sh("true")
        expectError(r, contains: ["must be mounted on ordinary directory"])
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: sentinel)) ?? ["?"]).isEmpty)
        #expect(Host.hostMounts(containing: sentinel).isEmpty)
    }

    /// The directories berth mounts filesystems on (proc, sysfs, the /dev tmpfs) as a fifo or
    /// a device node: refused as runc refuses a symlink there, before anything is opened,
    /// and nothing is left.
    @Test(
        "/proc, /sys and /dev as fifos or device nodes are refused",
        arguments: [("proc", "fifo"), ("proc", "device"), ("sys", "fifo"), ("sys", "device"), ("dev", "fifo"), ("dev", "device")])
    func specialDirectoryAsSpecialFile(_ dir: String, _ kind: String) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try s.privateRootfs()
        let path = rootfs + "/" + dir
        try FileManager.default.removeItem(atPath: path)
        #expect((kind == "fifo" ? mkfifo(path, 0o644) : mknod(path, S_IFCHR | 0o644, dev_t(1 << 8 | 5))) == 0)
        let r = try s.sh("true", timeout: 30)
        #expect(!r.timedOut, "\(r)")
        expectError(r, contains: ["(/\(dir))", "must be mounted on ordinary directory"])
        #expect(s.stateEntries().isEmpty)
        #expect(Host.hostMounts(containing: s.dir).isEmpty)
        var st = stat()
        #expect(lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == (kind == "fifo" ? S_IFIFO : S_IFCHR))
    }

    @Test("a mount destination that is a fifo or a device node: an error, no hang", arguments: ["fifo", "device"])
    func mountOnSpecialFile(_ kind: String) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try s.privateRootfs()
        let path = rootfs + "/mnt/target"
        #expect((kind == "fifo" ? mkfifo(path, 0o644) : mknod(path, S_IFCHR | 0o644, dev_t(1 << 8 | 5))) == 0)
        s.bundle.config.addMount("/mnt/target", type: "tmpfs", source: "tmpfs")
        let r = try s.sh("true", timeout: 30)
        expectError(r, contains: ["/mnt/target"])
        #expect(Host.hostMounts(containing: s.dir).isEmpty)
    }

    @Test("process.cwd as a symlink to a host path resolves inside the container")
    func cwdSymlinkToHost() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try s.privateRootfs()
        // On the host this would be the test's scratch directory; in the container it names nothing
        // until resolved there: /etc of the image.
        try FileManager.default.createSymbolicLink(atPath: rootfs + "/work", withDestinationPath: "/etc")
        s.bundle.config["process.cwd"] = "/work"
        let r = try s.sh("pwd -P; test -f hostname && echo image-etc")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.lines == ["/etc", "image-etc"], "\(r)")
        // And a link to a host-only path: it does not exist in the container.
        try FileManager.default.removeItem(atPath: rootfs + "/work")
        try FileManager.default.createSymbolicLink(atPath: rootfs + "/work", withDestinationPath: s.dir)
        let r2 = try s.sh("pwd -P")
        if r2.status == 0 {
            // Created inside the rootfs (a writable image), never the host's directory.
            #expect(r2.stdout.trimmed == s.dir, "\(r2)")
            #expect(FileManager.default.fileExists(atPath: rootfs + s.dir))
        } else {
            expectError(r2, contains: ["cwd"])
        }
    }

    @Test("process.cwd as a fifo or a device node: a one-line error", arguments: ["fifo", "device"])
    func cwdSpecialFile(_ kind: String) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try s.privateRootfs()
        let path = rootfs + "/work"
        #expect((kind == "fifo" ? mkfifo(path, 0o644) : mknod(path, S_IFCHR | 0o644, dev_t(1 << 8 | 5))) == 0)
        s.bundle.config["process.cwd"] = "/work"
        let r = try s.sh("true", timeout: 30)
        expectError(r, contains: ["not a directory"])
    }

    @Test("a 100 MB /etc/passwd: HOME from the first 1 MiB, no hang, no memory blow-up")
    func hugePasswd() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try s.privateRootfs()
        let path = rootfs + "/etc/passwd"
        guard let out = FileHandle(forWritingAtPath: path) else { throw TestSetupError("open \(path)") }
        out.truncateFile(atOffset: 0)
        out.write(Data("root:x:0:0:root:/root:/bin/sh\nearly:x:1001:1001::/home/early:/bin/sh\n".utf8))
        let filler = Data(String(repeating: "filler:x:5000:5000:padding padding padding padding:/nonexistent:/bin/false\n", count: 13_000).utf8)
        for _ in 0..<100 { out.write(filler) }
        out.write(Data("late:x:1002:1002::/home/late:/bin/sh\n".utf8))
        out.closeFile()
        s.bundle.config["linux.resources.memory"] = ["limit": 64 * 1024 * 1024]
        for (uid, home) in [(1001, "/home/early"), (1002, "/")] {
            s.bundle.config["process.user"] = ["uid": uid, "gid": uid]
            let r = try s.sh("echo $HOME", timeout: 60)
            #expect(r.status == 0 && !r.timedOut, "\(r)")
            #expect(r.stdout.trimmed == home, "uid \(uid): \(r)")
        }
    }

    @Test("a setuid /bin/sh: no_new_privileges keeps the user; without it, only the bounding set")
    func setuidShell() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try s.privateRootfs()
        // busybox drops a setuid bit itself: /bin/sh becomes a setuid program that reports
        // what it got.
        let source = s.dir + "/who.c"
        try Host.write(
            source,
            """
            #include <stdio.h>
            #include <string.h>
            #include <unistd.h>
            int main(void) {
                char line[256]; FILE *f = fopen("/proc/self/status", "r");
                printf("%d\\n", (int)geteuid());
                while (f && fgets(line, sizeof line, f)) if (strncmp(line, "CapEff:", 7) == 0) fputs(line + 8, stdout);
                return 0;
            }
            """)
        unlink(rootfs + "/bin/sh")
        try Host.compileStatic(source, to: rootfs + "/bin/sh", ioDir: s.io)
        #expect(chown(rootfs + "/bin/sh", 0, 0) == 0 && chmod(rootfs + "/bin/sh", 0o4755) == 0)
        s.bundle.config["process.user"] = ["uid": 1000, "gid": 1000]
        s.bundle.config["process.noNewPrivileges"] = true
        s.bundle.config.args = ["/bin/sh"]
        var r = try s.runContainer()
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.lines.first == "1000", "no_new_privileges must ignore the setuid bit: \(r)")
        s.bundle.config["process.noNewPrivileges"] = false
        r = try s.runContainer()
        #expect(r.status == 0, "\(r)")
        // Root in the container by the setuid bit, but with the bounding set's capabilities
        // only (CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE: 0x20000420).
        #expect(r.stdout.lines.first == "0", "\(r)")
        let capEff = r.stdout.lines.last.flatMap { UInt64($0.trimmed, radix: 16) } ?? UInt64.max
        #expect(capEff & ~UInt64(0x2000_0420) == 0, "capabilities beyond the bounding set: \(r)")
    }
}
