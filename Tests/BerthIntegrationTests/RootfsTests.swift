// How the rootfs is put together, as runc 1.2+ does it: tmpfs modes and tmpcopyup, a
// read-only /dev with mounts below it, destinations below missing directories, /proc,
// /sys and /dev that are symlinks, masked paths, rootfsPropagation and --no-pivot.
// Checked inside the container and on the host.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Rootfs set-up")
struct RootfsTests {
    @Test("a tmpfs without mode= takes the mode of the directory it covers (set-id and sticky bits too)")
    func tmpfsMode() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try s.copyRootfs()
        for (dir, mode) in [("d710", 0o710), ("d6777", 0o6777), ("d1777", 0o1777)] {
            try FileManager.default.createDirectory(atPath: rootfs + "/" + dir, withIntermediateDirectories: true)
            chmod(rootfs + "/" + dir, mode_t(mode))
        }
        s.bundle.config["root.path"] = rootfs
        s.bundle.config.addMount("/d710", type: "tmpfs", source: "tmpfs")
        s.bundle.config.addMount("/d6777", type: "tmpfs", source: "tmpfs", options: ["ro"])
        s.bundle.config.addMount("/d1777", type: "tmpfs", source: "tmpfs", options: ["mode=700"])
        // A new directory gets tmpfs's own default.
        s.bundle.config.addMount("/mnt/new", type: "tmpfs", source: "tmpfs")
        let r = try s.sh("stat -c '%n %A' /d710 /d6777 /d1777 /mnt/new")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.lines == ["/d710 drwx--x---", "/d6777 drwsrwsrwx", "/d1777 drwx------", "/mnt/new drwxrwxrwt"], "\(r)")
        // The rootfs's directories keep their modes.
        var st = stat()
        #expect(stat(rootfs + "/d710", &st) == 0 && st.st_mode & 0o7777 == 0o710)
    }

    @Test("tmpcopyup: the tmpfs starts with the directory's files, modes and owners; the rootfs is untouched")
    func tmpcopyup() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try s.copyRootfs()
        let dir = rootfs + "/dir1"
        try FileManager.default.createDirectory(atPath: dir + "/dir2/deep", withIntermediateDirectories: true)
        chmod(dir + "/dir2", 0o777)
        try Host.write(dir + "/file", "data\n")
        chown(dir + "/file", 5, 6)
        chmod(dir + "/file", 0o4755)
        try Host.write(dir + "/dir2/deep/inner", "inner\n")
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: "file")
        try FileManager.default.createSymbolicLink(atPath: dir + "/out", withDestinationPath: "/../../../etc/passwd")
        s.bundle.config["root.path"] = rootfs
        s.bundle.config.addMount("/dir1", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup", "ro"])
        let r = try s.sh(
            "stat -c '%n %A %u:%g' /dir1/dir2 /dir1/file; cat /dir1/link /dir1/dir2/deep/inner; readlink /dir1/out; "
                + "grep ' /dir1 ' /proc/self/mounts | cut -d' ' -f3; touch /dir1/new 2>&1")
        #expect(r.status != 0, "the copy is read-only: \(r)")
        #expect(
            r.stdout.lines.prefix(6) == [
                "/dir1/dir2 drwxrwxrwx 0:0", "/dir1/file -rwsr-xr-x 5:6", "data", "inner",
                "/../../../etc/passwd", "tmpfs",
            ], "\(r)")
        #expect(r.stdout.contains("Read-only file system"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/new"))
        #expect(Host.readFile(dir + "/file") == "data\n")
    }

    @Test("a read-only /dev with /dev/pts and /dev/shm below it")
    func readOnlyDev() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        var mounts = s.bundle.config.mounts
        for i in mounts.indices where (mounts[i]["destination"] as? String) == "/dev" {
            mounts[i]["options"] = ((mounts[i]["options"] as? [String]) ?? []) + ["ro"]
        }
        s.bundle.config.mounts = mounts
        let r = try s.sh(
            "grep -E ' /dev(/pts|/shm)? ' /proc/self/mounts | cut -d' ' -f2,4; touch /dev/x 2>&1; "
                + "echo ok > /dev/null && ls /dev/pts/ptmx /dev/null /dev/zero")
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.lines
        #expect(lines.first { $0.hasPrefix("/dev ") }?.hasPrefix("/dev ro,") == true, "\(r)")
        #expect(lines.first { $0.hasPrefix("/dev/pts ") }?.hasPrefix("/dev/pts rw,") == true, "\(r)")
        #expect(r.stdout.contains("Read-only file system"), "\(r)")
        #expect(lines.suffix(3) == ["/dev/null", "/dev/pts/ptmx", "/dev/zero"], "\(r)")
    }

    @Test(
        "destinations below several missing directories, also through symlinks to missing ones, also in a user namespace",
        arguments: [false, true])
    func missingParents(userns: Bool) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try s.copyRootfs()
        // Image symlinks to directories that do not exist yet: created where they point,
        // inside the rootfs (as runc does).
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: rootfs + "/opt", withDestinationPath: "/data")
        try fm.createSymbolicLink(atPath: rootfs + "/lnk", withDestinationPath: "var/missing")
        if userns {
            // The container's root owns its rootfs, as with spec-examples/userns, and can
            // reach it.
            chmod(s.dir, 0o755)
            let r = Runner.run("/bin/chown", ["-R", "-h", "100000:100000", rootfs], ioDir: s.io)
            #expect(r.status == 0, "\(r)")
            s.bundle.config.useUserNamespace()
        }
        let src = s.dir + "/src"
        try fm.createDirectory(atPath: src, withIntermediateDirectories: true)
        try Host.write(src + "/f", "bound\n")
        s.bundle.config["root.path"] = rootfs
        s.bundle.config.addMount("/mnt/x/y/z/x", type: "tmpfs", source: "tmpfs", options: ["size=1m"])
        s.bundle.config.addMount("/srv/a/b/c/d", type: "bind", source: src, options: ["rbind", "ro"])
        s.bundle.config.addMount("/opt/p/q/r/file", type: "bind", source: src + "/f", options: ["bind"])
        s.bundle.config.addMount("/lnk/a/b", type: "tmpfs", source: "tmpfs", options: ["size=1m"])
        let r = try s.sh("grep -c -E ' /(mnt/x/y/z/x|var/missing/a/b) tmpfs' /proc/self/mounts; cat /srv/a/b/c/d/f /opt/p/q/r/file")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.lines == ["2", "bound", "bound"], "\(r)")
        // The directories were made inside the rootfs, nowhere else.
        for p in ["/mnt/x/y/z/x", "/srv/a/b/c/d", "/data/p/q/r/file", "/var/missing/a/b"] {
            #expect(fm.fileExists(atPath: rootfs + p), "\(p) not in the rootfs")
        }
        #expect(!fm.fileExists(atPath: "/data/p/q/r"))
        #expect(Host.hostMounts(containing: rootfs).isEmpty)
    }

    @Test("a rootfs whose /proc, /sys or /dev is a symlink is refused", arguments: ["proc", "sys", "dev"])
    func symlinkedSpecialDirectory(dir: String) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try s.copyRootfs()
        try FileManager.default.removeItem(atPath: rootfs + "/" + dir)
        try FileManager.default.createDirectory(atPath: rootfs + "/elsewhere", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: rootfs + "/" + dir, withDestinationPath: "/elsewhere")
        s.bundle.config["root.path"] = rootfs
        let r = try s.sh("true", timeout: 20)
        #expect(!r.timedOut && r.status == 1, "\(r)")
        #expect(r.stderr.contains("must be mounted on ordinary directory"), "\(r)")
        #expect(r.stderr.lines.count == 1, "\(r)")
        #expect(s.stateEntries().isEmpty)
        // Nothing was mounted where the link points.
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: rootfs + "/elsewhere")) ?? ["?"]).isEmpty)
    }

    @Test("maskedPaths: an entry listed twice is masked once; masked directories share one read-only tmpfs")
    func maskedPathsShared() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try s.copyRootfs()
        for d in ["testdir", "testdir2"] {
            try FileManager.default.createDirectory(atPath: rootfs + "/" + d + "/inside", withIntermediateDirectories: true)
        }
        try Host.write(rootfs + "/testfile", "Forbidden information!\n")
        s.bundle.config["root.path"] = rootfs
        let base = (s.bundle.config["linux.maskedPaths"] as? [String]) ?? []
        s.bundle.config["linux.maskedPaths"] = base + ["/testdir", "/testfile", "/testdir2", "/testdir", "/testfile", "/testdir2/"]
        let r = try s.sh(
            "for p in /testdir /testdir2 /testfile /sys/firmware; do grep \" $p \" /proc/self/mountinfo | cut -d' ' -f3,5,6; done; "
                + "ls -A /testdir /testdir2; cat /testfile; touch /testdir/x 2>&1")
        #expect(r.status != 0, "\(r)")
        let lines = r.stdout.lines
        let dirs = lines.filter {
            ["/testdir", "/testdir2", "/sys/firmware"].contains($0.split(separator: " ").dropFirst().first.map(String.init) ?? "")
        }
        #expect(dirs.count == 3, "each directory masked once: \(r)")
        // One superblock (the same device number) for every masked directory, each read-only.
        #expect(Set(dirs.map { $0.split(separator: " ")[0] }).count == 1, "\(dirs)")
        #expect(dirs.allSatisfy { ($0.split(separator: " ").dropFirst(2).first ?? "").split(separator: ",").contains("ro") }, "\(dirs)")
        #expect(lines.filter { $0.contains(" /testfile ") }.count == 1, "\(r)")
        #expect(!r.stdout.contains("Forbidden") && !r.stdout.contains("inside"), "\(r)")
        #expect(r.stdout.contains("Read-only file system"), "\(r)")
    }

    @Test(
        "rootfsPropagation shared, slave and unbindable apply to the container's root",
        arguments: ["shared", "slave", "unbindable", "private", "rslave"])
    func rootfsPropagation(mode: String) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        // The rootfs on a shared mount of its own, as a host with systemd has. (A runtime
        // that lets the container's mounts propagate back stacks them here: every one is
        // taken off again at the end.)
        let rootfs = try s.copyRootfs()
        #expect(mount(rootfs, rootfs, nil, UInt(MS_BIND), nil) == 0)
        s.onCleanup {
            for _ in 0..<50 where !Host.hostMounts(containing: rootfs).isEmpty { umount2(rootfs, Int32(MNT_DETACH)) }
        }
        #expect(mount(nil, rootfs, nil, UInt(MS_PRIVATE), nil) == 0 && mount(nil, rootfs, nil, UInt(MS_SHARED), nil) == 0)
        s.bundle.config["root.path"] = rootfs
        s.bundle.config["linux.rootfsPropagation"] = mode
        s.bundle.config.shell("grep -E '^[0-9]+ [0-9]+ [^ ]+ [^ ]+ / ' /proc/self/mountinfo; mkdir -p /tmp/seen; sleep 30")
        s.bundle.config["root.readonly"] = false
        try s.bundle.write()
        let id = s.newID()
        let c = s.berth(["run", "-d", "--bundle", s.bundle.path, id])
        #expect(c.status == 0, "\(c)")
        #expect(Host.waitUntil(timeout: 10) { c.stdoutNow.contains("\n") }, "\(c.stdoutNow)")
        let root = c.stdoutNow.lines.first ?? ""
        let optional = (root.split(separator: " - ").first ?? "").split(separator: " ").dropFirst(6).map(String.init)
        switch mode {
        case "shared": #expect(optional.contains { $0.hasPrefix("shared:") }, "\(root)")
        case "slave", "rslave": #expect(optional.contains { $0.hasPrefix("master:") } && !optional.contains { $0.hasPrefix("shared:") }, "\(root)")
        case "unbindable": #expect(optional == ["unbindable"], "\(root)")
        default: #expect(optional.isEmpty, "\(root)")
        }
        // Mounts in the container never reach the host's shared rootfs mount.
        let pid = try #require(s.state(id)?["pid"] as? Int)
        let seen = rootfs + "/tmp/seen"
        #expect(Host.waitUntil(timeout: 10) { FileManager.default.fileExists(atPath: seen) })
        let inside = Runner.run("/usr/bin/nsenter", ["-t", String(pid), "-m", "mount", "-t", "tmpfs", "tmpfs", "/tmp/seen"], ioDir: s.io)
        #expect(inside.status == 0, "\(inside)")
        #expect(Host.hostMounts(containing: seen).isEmpty, "a container mount propagated to the host")
        // A host mount below the rootfs reaches a slave (and a shared one's peer), not the others.
        let hostMount = rootfs + "/mnt"
        #expect(mount("tmpfs", hostMount, "tmpfs", 0, "size=1m") == 0)
        s.onCleanup { umount2(hostMount, Int32(MNT_DETACH)) }
        let view = Host.readFile("/proc/\(pid)/mountinfo") ?? ""
        let receives = mode == "slave" || mode == "rslave" || mode == "shared"
        #expect(view.lines.contains { $0.split(separator: " ").dropFirst(4).first == "/mnt" } == receives, "\(mode): \(view)")
    }

    @Test("--no-pivot: a process in the container cannot mount a fresh procfs over the host's view")
    func noPivotProc() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        var caps = (s.bundle.config["process.capabilities"] as? [String: [String]]) ?? [:]
        for k in ["bounding", "permitted"] { caps[k, default: []].append("CAP_SETFCAP") }
        s.bundle.config["process.capabilities"] = caps
        s.bundle.config.addMount("/mnt", type: "tmpfs", source: "tmpfs", options: ["size=1m"])
        s.bundle.config.args = ["unshare", "-mrpf", "sh", "-c", "mount -t proc none /mnt && echo mounted && ls /mnt/sysrq-trigger"]
        let r = try s.runContainer(extra: ["--no-pivot"])
        #expect(r.status != 0, "\(r)")
        #expect(!r.stdout.contains("mounted"), "\(r)")
        #expect(r.stderr.contains("mount: permission denied"), "\(r)")
        // The host's /proc and /sys are still mounted (only the container's view lost them).
        #expect(FileManager.default.fileExists(atPath: "/proc/self/mountinfo"))
        #expect(FileManager.default.fileExists(atPath: "/sys/kernel"))
        // Private propagation without pivot_root is refused, as runc does.
        s.bundle.config["linux.rootfsPropagation"] = "rprivate"
        let refused = try s.runContainer(extra: ["--no-pivot"])
        #expect(refused.status == 1 && refused.stderr.contains("rootfsPropagation of [r]private is not safe without pivot_root"), "\(refused)")
    }
}
