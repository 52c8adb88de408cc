// Mounts from config.json, masked and read-only paths, the read-only root, and symlinked
// mount destinations that must not escape the rootfs.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The /proc/mounts line inside the container for `destination` (last one wins).
func mountLine(_ mounts: String, _ destination: String) -> String? {
    mounts.lines.last { $0.split(separator: " ").dropFirst().first.map(String.init) == destination }
}

func mountOptions(_ line: String?) -> Set<String> {
    guard let line else { return [] }
    let f = line.split(separator: " ")
    return f.count > 3 ? Set(f[3].split(separator: ",").map(String.init)) : []
}

@Suite("Mounts")
struct MountTests {
    @Test("tmpfs with size and mode options")
    func tmpfs() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.addMount("/mnt", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "size=1m", "mode=0710"])
        let r = try s.sh("cat /proc/mounts; echo ==; stat -c %a /mnt; echo data > /mnt/f && cat /mnt/f")
        #expect(r.status == 0, "\(r)")
        let parts = r.stdout.components(separatedBy: "==\n")
        let line = mountLine(parts.first ?? "", "/mnt")
        #expect(line?.hasPrefix("tmpfs /mnt tmpfs ") == true, "\(r)")
        let opts = mountOptions(line)
        #expect(opts.isSuperset(of: ["rw", "nosuid", "nodev", "size=1024k", "mode=710"]), "\(opts)")
        if Host.isBerth {
            #expect(parts.last?.lines == ["710", "data"], "\(r)")
        } else {
            // runc chmods a tmpfs to the mode of the directory it covers (755 here),
            // whatever mode= says; berth applies mode= as given.
            #expect(parts.last?.lines.last == "data", "\(r)")
        }
    }

    @Test("read-only bind mount of a host directory")
    func bindReadOnly() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let host = s.dir + "/hostdir"
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
        try Host.write(host + "/hello", "hello from host\n")
        s.bundle.config.addMount("/mnt", type: "bind", source: host, options: ["rbind", "ro"])
        let r = try s.sh("cat /mnt/hello; touch /mnt/new 2>&1; echo rc=$?; grep ' /mnt ' /proc/mounts")
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.lines
        #expect(lines.first == "hello from host", "\(r)")
        #expect(r.stdout.contains("Read-only file system"), "\(r)")
        #expect(lines.contains("rc=1"), "\(r)")
        #expect(mountOptions(lines.last).contains("ro"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: host + "/new"))
        // The host's mount is unaffected.
        #expect(Host.hostMounts(containing: host).isEmpty)
    }

    @Test("read-write bind mount: writes show up on the host")
    func bindReadWrite() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.mountOut()
        let r = try s.sh("echo written > /srv/from-container")
        #expect(r.status == 0, "\(r)")
        #expect(Host.readFile(s.out + "/from-container") == "written\n")
    }

    @Test("rbind carries submounts, bind does not")
    func rbindVersusBind() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let host = s.dir + "/tree"
        let sub = host + "/sub"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        #expect(mount("tmpfs", sub, "tmpfs", 0, "size=1m") == 0, "host tmpfs mount: \(String(cString: strerror(errno)))")
        s.onCleanup { umount2(sub, Int32(MNT_DETACH)) }
        try Host.write(sub + "/inner", "inner\n")

        s.bundle.config.addMount("/mnt", type: "bind", source: host, options: ["rbind", "ro"])
        let r = try s.sh("cat /mnt/sub/inner 2>&1; echo rc=$?")
        #expect(r.stdout.lines == ["inner", "rc=0"], "rbind: \(r)")

        s.bundle.config.removeMount("/mnt")
        s.bundle.config.addMount("/mnt", type: "bind", source: host, options: ["bind", "ro"])
        let r2 = try s.sh("ls -A /mnt/sub; echo rc=$?")
        #expect(r2.stdout.lines == ["rc=0"], "bind (non-recursive) must show the empty directory: \(r2)")
    }

    @Test("proc, sysfs, mqueue, devpts, /dev tmpfs and /dev/shm are mounted")
    func standardMounts() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let r = try s.sh("cat /proc/mounts")
        #expect(r.status == 0, "\(r)")
        let m = r.stdout
        for (dest, type) in [
            ("/proc", "proc"), ("/sys", "sysfs"), ("/dev/mqueue", "mqueue"), ("/dev/pts", "devpts"),
            ("/dev", "tmpfs"), ("/dev/shm", "tmpfs"),
        ] {
            let line = mountLine(m, dest)
            #expect(line?.split(separator: " ").dropFirst(2).first.map(String.init) == type, "\(dest): \(String(describing: line))")
        }
        #expect(mountOptions(mountLine(m, "/sys")).contains("ro"))
        #expect(mountOptions(mountLine(m, "/dev/pts")).isSuperset(of: ["nosuid", "noexec"]))
        // The root is the rootfs, read-only.
        #expect(mountOptions(mountLine(m, "/")).contains("ro"), "\(m)")
        // No host mount of the sandbox leaks into the container.
        #expect(!m.contains(s.root))
    }

    @Test("root.readonly: writing to / fails with Read-only file system")
    func readonlyRoot() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let r = try s.sh("touch /x 2>&1; echo rc=$?; touch /tmp/x 2>&1; echo rc=$?")
        #expect(r.stdout.contains("Read-only file system"), "\(r)")
        #expect(r.stdout.lines.filter { $0.hasPrefix("rc=") } == ["rc=1", "rc=1"], "\(r)")
        #expect(!FileManager.default.fileExists(atPath: Host.rootfsPath + "/x"))
    }

    @Test("maskedPaths: files read empty like /dev/null, directories are empty read-only tmpfs")
    func maskedPaths() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        var masked = (s.bundle.config["linux.maskedPaths"] as? [String]) ?? []
        masked += ["/proc/version", "/proc/driver"]
        s.bundle.config["linux.maskedPaths"] = masked
        // Paths of the default list that this kernel has.
        let files = ["/proc/kcore", "/proc/keys", "/proc/timer_list"].filter { FileManager.default.fileExists(atPath: $0) }
        let dirs = ["/sys/firmware", "/proc/acpi"].filter { FileManager.default.fileExists(atPath: $0) }
        var script = ""
        for f in ["/proc/version"] + files {
            script += "echo \(f) $(stat -c %F:%t:%T \(f)) $(wc -c < \(f));"
        }
        for d in ["/proc/driver"] + dirs {
            script += "echo \(d) $(ls -A \(d) | wc -l) $(grep ' \(d) ' /proc/mounts | cut -d' ' -f3,4);"
        }
        let r = try s.sh(script)
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.lines
        for f in ["/proc/version"] + files {
            #expect(lines.contains("\(f) character special file:1:3 0"), "\(f): \(r)")
        }
        for d in ["/proc/driver"] + dirs {
            let line = lines.first { $0.hasPrefix(d + " ") } ?? ""
            let fields = line.split(separator: " ")
            #expect(fields.count == 4, "\(d): \(line)")
            if fields.count == 4 {
                #expect(fields[1] == "0", "\(d) is not empty: \(line)")
                #expect(fields[2] == "tmpfs", "\(d): \(line)")
                #expect(fields[3].split(separator: ",").contains("ro"), "\(d): \(line)")
            }
        }
    }

    @Test("readonlyPaths: writes under /proc/sys fail")
    func readonlyPaths() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let r = try s.sh("(echo x > /proc/sys/kernel/domainname) 2>&1; echo rc=$?; grep ' /proc/sys ' /proc/mounts")
        #expect(r.stdout.contains("Read-only file system"), "\(r)")
        #expect(r.stdout.contains("rc=1"), "\(r)")
        #expect(mountOptions(r.stdout.lines.last).contains("ro"), "\(r)")
    }

    @Test("a mount destination that is a symlink in the image stays inside the rootfs")
    func symlinkDestinationDoesNotEscape() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = s.dir + "/rootfs-copy"
        let cp = Runner.run("/bin/cp", ["-a", Host.rootfsPath, rootfs], ioDir: s.io)
        #expect(cp.status == 0, "\(cp)")
        let tag = UUID().uuidString.prefix(8).lowercased()
        let targets = ["/", "../../..", "/tmp/../../../", "../../../tmp"]
        var names: [String] = []
        for (i, t) in targets.enumerated() {
            let link = "escape\(i)"
            try FileManager.default.createSymbolicLink(atPath: rootfs + "/" + link, withDestinationPath: t)
            names.append("\(link)/berth-escape-\(tag)-\(i)")
        }
        s.onCleanup {
            // Never follow these links when removing the copy; also undo any escape.
            for i in targets.indices { unlink(rootfs + "/escape\(i)") }
            for (i, _) in targets.enumerated() {
                for p in ["/berth-escape-\(tag)-\(i)", "/tmp/berth-escape-\(tag)-\(i)"] {
                    umount2(p, Int32(MNT_DETACH)); rmdir(p)
                }
            }
        }
        s.bundle.config["root.path"] = rootfs
        for n in names {
            s.bundle.config.addMount("/" + n, type: "tmpfs", source: "tmpfs", options: ["size=1m"])
        }
        let r = try s.sh("cat /proc/mounts")
        #expect(r.status == 0, "\(r)")
        for (i, _) in targets.enumerated() {
            let name = "berth-escape-\(tag)-\(i)"
            // Nothing appeared on the host outside the rootfs copy.
            for p in ["/\(name)", "/tmp/\(name)", "/work/\(name)"] {
                #expect(!FileManager.default.fileExists(atPath: p), "mount escaped the rootfs to \(p)")
            }
            #expect(Host.hostMounts(containing: name).isEmpty)
            // The mount happened inside the container, under the rootfs.
            #expect(r.stdout.lines.contains { $0.hasPrefix("tmpfs ") && $0.contains(name) }, "\(name): \(r)")
        }
    }

    @Test("a mount on a missing destination inside a tmpfs creates the mount point there")
    func nestedMountPoint() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let host = s.dir + "/hostdir"
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
        try Host.write(host + "/f", "nested\n")
        s.bundle.config.addMount("/mnt", type: "tmpfs", source: "tmpfs", options: ["size=1m"])
        s.bundle.config.addMount("/mnt/a/b", type: "bind", source: host, options: ["rbind", "ro"])
        let r = try s.sh("cat /mnt/a/b/f")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "nested\n")
    }
}
