// The copy-on-write container layer (org.berth.rootfs.overlay, org.berth.rootfs.lower,
// --overlay): the rootfs is a read-only overlayfs lower layer, each container writes into
// its own upper layer, volatile (gone with the container) or kept in a directory.
// berth-only: runc and crun know neither the annotations nor the flag.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Layer tests: on their own copy of the busybox rootfs, so that nothing else touching
/// the shared one can change the checksum they compare.
enum LayerFixture {
    /// A private copy of the test rootfs at `dir/rootfs`.
    static func rootfsCopy(_ s: Sandbox, name: String = "rootfs") throws -> String {
        let path = s.dir + "/" + name
        let r = Runner.run("/bin/cp", ["-a", Host.rootfsPath, path], ioDir: s.io)
        try #require(r.status == 0, "\(r)")
        return path
    }

    /// Every entry below `root`: path, type and mode, owner, size, mtime, and a file's
    /// contents (a checksum of the tree, readable in a failure message).
    static func fingerprint(_ root: String) -> [String] {
        var out: [String] = []
        func walk(_ rel: String) {
            let path = root + rel
            var st = stat()
            guard lstat(path, &st) == 0 else { out.append("\(rel) <gone>"); return }
            var line = "\(rel) \(String(st.st_mode, radix: 8)) \(st.st_uid):\(st.st_gid) \(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
            if (st.st_mode & S_IFMT) == S_IFREG, let data = FileManager.default.contents(atPath: path) {
                var h: UInt64 = 1469598103934665603
                for b in data { h = (h ^ UInt64(b)) &* 1099511628211 }
                line += " \(h)"
            }
            out.append(line)
            if (st.st_mode & S_IFMT) == S_IFDIR {
                for name in ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() {
                    walk(rel + "/" + name)
                }
            }
        }
        walk("")
        return out
    }

    /// The paths below `root`, relative, sorted.
    static func entries(_ root: String) -> [String] {
        fingerprint(root).map { String($0.split(separator: " ")[0]) }.filter { !$0.isEmpty }
    }

    /// The names of the extended attributes of `path` (the symlink itself, not followed).
    static func xattrNames(_ path: String) -> [String] {
        // llistxattr is not in Swift's Glibc module (sys/xattr.h is left out).
        typealias ListXattr = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int) -> Int
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "llistxattr") else { return [] }
        let llistxattr = unsafeBitCast(sym, to: ListXattr.self)
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = llistxattr(path, &buffer, buffer.count)
        guard n > 0 else { return [] }
        return buffer[0..<n].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    }
}

@Suite("copy-on-write layer", .enabled(if: Host.isBerth, "berth's own rootfs layers"))
struct LayerTests {
    @Test("five containers of one bundle run side by side, each sees only its own changes, the rootfs is never written")
    func parallelContainers() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try LayerFixture.rootfsCopy(s)
        let before = LayerFixture.fingerprint(rootfs)
        s.bundle.config["root.path"] = rootfs
        s.bundle.config["root.readonly"] = false
        s.bundle.config.setAnnotation("org.berth.rootfs.overlay", "volatile")
        s.bundle.config.shell("sleep 1000")
        try s.bundle.write()
        var ids: [String] = []
        for _ in 0..<5 {
            let id = s.newID("layer")
            let r = s.berth(["run", "-d", "--bundle", s.bundle.path, id])
            try #require(r.status == 0, "\(r)")
            ids.append(id)
        }
        for id in ids {
            let w = s.berth(["exec", id, "sh", "-c", "echo \(id) > /mine && echo \(id) >> /etc/passwd && rm /bin/vi && mkdir -p /usr/new/\(id)"])
            #expect(w.status == 0, "\(w)")
        }
        for id in ids {
            let r = s.berth(["exec", id, "sh", "-c", "cat /mine; grep -c layer- /etc/passwd; ls /usr/new; ls /bin/vi 2>/dev/null || echo no-vi"])
            #expect(r.stdout.lines == [id, "1", id, "no-vi"], "\(id): \(r)")
        }
        // The rootfs is not a mount point on the host, and nothing of it changed.
        #expect(Host.hostMounts(containing: rootfs).isEmpty)
        #expect(LayerFixture.fingerprint(rootfs) == before)
        for id in ids {
            #expect(FileManager.default.fileExists(atPath: s.root + "/.layers/" + id + "/upper/mine"), "\(id)")
            let d = s.berth(["delete", "--force", id])
            #expect(d.status == 0, "\(d)")
            // A volatile layer goes with its container.
            #expect(!FileManager.default.fileExists(atPath: s.root + "/.layers/" + id), "\(id)")
        }
        #expect(LayerFixture.fingerprint(rootfs) == before)
    }

    @Test("--overlay DIR keeps the layer: a later container sees the changes, a second one at a time is refused")
    func keptLayer() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try LayerFixture.rootfsCopy(s)
        let before = LayerFixture.fingerprint(rootfs)
        let keep = s.dir + "/kept/layer"
        s.bundle.config["root.path"] = rootfs
        s.bundle.config["root.readonly"] = false
        s.bundle.config.shell("echo one > /kept; rm /etc/group")
        let first = try s.runContainer(extra: ["--overlay", keep])
        #expect(first.status == 0, "\(first)")
        #expect(Host.readFile(keep + "/upper/kept") == "one\n")
        #expect(LayerFixture.fingerprint(rootfs) == before)
        // The layer is free again once its container is deleted.
        #expect(!FileManager.default.fileExists(atPath: keep + "/container"))

        s.bundle.config.shell("cat /kept; ls /etc/group 2>/dev/null || echo no-group; sleep 1000")
        try s.bundle.write()
        let id = s.newID("kept")
        let second = s.berth(["run", "-d", "--overlay", keep, "--bundle", s.bundle.path, id])
        try #require(second.status == 0, "\(second)")
        #expect(Host.waitUntil { (Host.readFile(second.stdoutPath) ?? "").lines.count >= 2 })
        #expect((Host.readFile(second.stdoutPath) ?? "").lines == ["one", "no-group"])

        // One container per kept layer: overlayfs refuses an upper directory in use twice.
        let other = s.newID("kept")
        let refused = s.berth(["create", "--overlay", keep, "--bundle", s.bundle.path, other])
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("the layer \(keep) is in use by container \(id)"), "\(refused)")
        #expect(!s.stateEntries().contains(other))

        #expect(s.berth(["delete", "--force", id]).status == 0)
        #expect(FileManager.default.fileExists(atPath: keep + "/upper/kept"), "a kept layer survives delete")
        s.bundle.config.shell("cat /kept")
        let third = try s.runContainer(extra: ["--overlay", keep])
        #expect(third.status == 0 && third.stdout == "one\n", "\(third)")
        #expect(LayerFixture.fingerprint(rootfs) == before)
    }

    @Test("the annotation asks for the layer as --overlay does; the flag wins over it")
    func annotationAndFlag() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try LayerFixture.rootfsCopy(s)
        let keep = s.dir + "/by-annotation"
        s.bundle.config["root.path"] = rootfs
        s.bundle.config["root.readonly"] = false
        s.bundle.config.setAnnotation("org.berth.rootfs.overlay", keep)
        s.bundle.config.shell("echo x > /written; grep -o 'upperdir=[^,]*' /proc/self/mountinfo | head -1")
        let r = try s.runContainer()
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.trimmed == "upperdir=\(keep)/upper", "\(r)")
        #expect(FileManager.default.fileExists(atPath: keep + "/upper/written"))
        let flag = try s.runContainer(extra: ["--overlay", "volatile"])
        #expect(flag.status == 0, "\(flag)")
        #expect(flag.stdout.trimmed.hasPrefix("upperdir=\(s.root)/.layers/"), "\(flag)")
        #expect(!FileManager.default.fileExists(atPath: rootfs + "/written"))
    }

    @Test("org.berth.rootfs.lower stacks read-only layers beneath the rootfs, top first")
    func lowerLayers() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try LayerFixture.rootfsCopy(s)
        let middle = s.dir + "/middle", bottom = s.dir + "/bottom"
        for d in [middle + "/opt", bottom + "/opt"] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        try Host.write(middle + "/opt/both", "middle\n")
        try Host.write(bottom + "/opt/both", "bottom\n")
        try Host.write(bottom + "/opt/deep", "deep\n")
        try Host.write(bottom + "/etc-hostname-shadowed", "x\n")
        try Host.write(rootfs + "/opt-marker", "rootfs\n")
        let before = [LayerFixture.fingerprint(middle), LayerFixture.fingerprint(bottom)]
        s.bundle.config["root.path"] = rootfs
        s.bundle.config["root.readonly"] = false
        s.bundle.config.setAnnotation("org.berth.rootfs.overlay", "volatile")
        s.bundle.config.setAnnotation("org.berth.rootfs.lower", middle + ":" + bottom)
        s.bundle.config.shell("cat /opt/both /opt/deep /opt-marker; echo changed > /opt/deep; cat /opt/deep")
        let r = try s.runContainer()
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.lines == ["middle", "deep", "rootfs", "changed"], "\(r)")
        #expect([LayerFixture.fingerprint(middle), LayerFixture.fingerprint(bottom)] == before)
    }

    @Test("root.readonly with a layer: a read-only overlay")
    func readonlyRoot() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["root.readonly"] = true
        s.bundle.config.shell("touch /x 2>&1; grep ' / ' /proc/mounts | cut -d' ' -f3,4 | cut -c1-10")
        let r = try s.runContainer(extra: ["--overlay", "volatile"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.lines == ["touch: /x: Read-only file system", "overlay ro"], "\(r)")
    }

    @Test("the init layer's files and berth's mount points stay out of the container's layer")
    func initLayerOutOfUpper() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try LayerFixture.rootfsCopy(s)
        // Mount points the rootfs lacks: berth creates them in the upper layer, marked.
        for p in ["etc/hosts", "etc/hostname", "etc/resolv.conf"] { unlink(rootfs + "/" + p) }
        let keep = s.dir + "/kept"
        s.bundle.config["root.path"] = rootfs
        s.bundle.config["root.readonly"] = false
        s.bundle.config.addMount("/data/cache", type: "tmpfs", source: "tmpfs")
        s.bundle.config.shell("echo 10.0.0.9 extra >> /etc/hosts; echo x > /etc/hostname; echo y > /data/cache/z; echo mine > /mine")
        let r = try s.runContainer(extra: ["--overlay", keep])
        #expect(r.status == 0, "\(r)")
        let upper = keep + "/upper"
        let entries = LayerFixture.entries(upper)
        #expect(entries.contains("/mine"), "\(entries)")
        #expect(!entries.contains("/data/cache/z"), "\(entries)")
        // What berth made in the layer carries its mark; the container's own file does not.
        for path in ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/data", "/data/cache"] where entries.contains(path) {
            #expect(LayerFixture.xattrNames(upper + path).contains("trusted.berth.mountpoint"), "\(path): \(entries)")
        }
        #expect(!LayerFixture.xattrNames(upper + "/mine").contains("trusted.berth.mountpoint"))
        // The init layer's files are on its own tmpfs: the writes did not reach the layer.
        for path in ["/etc/hosts", "/etc/hostname"] where entries.contains(path) {
            var st = stat()
            #expect(lstat(upper + path, &st) == 0 && st.st_size == 0, "\(path)")
        }
    }

    @Test("a user namespace with mapped ids: the layer is written as the mapped root")
    func mappedRoot() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = s.dir + "/mapped-rootfs"
        let cp = Runner.run("/bin/cp", ["-a", Host.repoRoot + "/spec-examples/userns/rootfs", rootfs], ioDir: s.io)
        try #require(cp.status == 0, "\(cp)")
        let before = LayerFixture.fingerprint(rootfs)
        let keep = s.dir + "/mapped-layer"
        s.bundle.config["root.path"] = rootfs
        s.bundle.config["root.readonly"] = false
        s.bundle.config.setNamespace("user")
        s.bundle.config["linux.uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
        s.bundle.config["linux.gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
        s.bundle.config.shell("echo hi > /mine && rm /bin/vi && id -u")
        // The mapped root resolves the layers' paths: it needs search permission on the way.
        let refused = try s.runContainer(extra: ["--overlay", keep])
        #expect(refused.status == 1 && refused.stderr.contains("overlay lowerdir \(rootfs): permission denied"), "\(refused)")
        chmod(s.dir, 0o755)
        let r = try s.runContainer(extra: ["--overlay", keep])
        #expect(r.status == 0 && r.stdout == "0\n", "\(r)")
        var st = stat()
        #expect(lstat(keep + "/upper/mine", &st) == 0 && st.st_uid == 100000, "owned by the mapped root")
        // The deleted file is a whiteout (a 0/0 character device) in the layer.
        #expect(lstat(keep + "/upper/bin/vi", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR && st.st_rdev == 0)
        #expect(LayerFixture.fingerprint(rootfs) == before)
    }

    @Test("rootless: a volatile layer in the user's namespace (overlayfs in a user namespace, Linux 5.11+)")
    func rootless() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try LayerFixture.rootfsCopy(s)
        let before = LayerFixture.fingerprint(rootfs)
        let u = try RootlessTests().setUp(s)
        try RootlessTests().rootlessBundle(u, "echo hi > /mine; cat /mine; grep -c userxattr /proc/self/mountinfo") { json in
            var root = json["root"] as? [String: Any] ?? [:]
            root["path"] = rootfs
            root["readonly"] = false
            json["root"] = root
        }
        let id = s.newID("rl")
        let r = u.berth(["run", "--overlay", "volatile", "--bundle", s.bundle.path, id])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.lines == ["hi", "1"], "\(r)")
        #expect(LayerFixture.fingerprint(rootfs) == before)
        #expect(!FileManager.default.fileExists(atPath: u.runtimeDir + "/berth/.layers/" + id), "the volatile layer is gone")
    }

    @Test("bad layer requests: one line naming what and why, exit 1, nothing left behind")
    func badInput() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let file = s.dir + "/plain-file"
        try Host.write(file, "x")
        let cases: [(annotations: [String: String], flags: [String], removeMountNS: Bool, message: String)] = [
            ([:], ["--overlay", "relative/dir"], false,
             #"--overlay: must be "volatile" or an absolute directory to keep the layer in, not "relative/dir""#),
            (["org.berth.rootfs.overlay": "tmpfs"], [], false,
             #"annotations["org.berth.rootfs.overlay"]: must be "volatile" or an absolute directory to keep the layer in, not "tmpfs""#),
            (["org.berth.rootfs.lower": "/tmp"], [], false,
             #"annotations["org.berth.rootfs.lower"]: needs org.berth.rootfs.overlay (volatile or a directory): lower layers are only used under a writable layer"#),
            (["org.berth.rootfs.overlay": "volatile", "org.berth.rootfs.lower": "/tmp::/var"], [], false,
             #"annotations["org.berth.rootfs.lower"]: an empty entry in "/tmp::/var""#),
            (["org.berth.rootfs.overlay": "volatile", "org.berth.rootfs.lower": "lib"], [], false,
             #"annotations["org.berth.rootfs.lower"]: "lib" is not an absolute directory"#),
            (["org.berth.rootfs.overlay": "volatile", "org.berth.rootfs.lower": s.dir + "/missing"], [], false,
             #"annotations["org.berth.rootfs.lower"]: \#(s.dir)/missing is not a directory"#),
            ([:], ["--overlay", file], false, "org.berth.rootfs.overlay: \(file) is not a directory"),
            ([:], ["--overlay", "volatile"], true,
             "org.berth.rootfs.overlay: a copy-on-write layer needs a mount namespace of the container's own"),
        ]
        for c in cases {
            var config = Config.base()
            for (k, v) in c.annotations { config.setAnnotation(k, v) }
            if c.removeMountNS {
                config.removeNamespace("mount")
                config["linux.maskedPaths"] = nil
                config["linux.readonlyPaths"] = nil
            }
            let b = try s.newBundle("b-\(s.ids.count)", config: config)
            let id = s.newID("bad")
            let r = s.berth(["create"] + c.flags + ["--bundle", b.path, id])
            #expect(r.status == 1, "\(r)")
            #expect(r.stderr.lines == ["berth: " + c.message] || r.stderr.lines.last?.hasSuffix(c.message) == true, "\(r)")
            #expect(r.stderr.lines.count == 1, "\(r)")
            #expect(!s.stateEntries().contains(id), "\(r)")
            #expect(!FileManager.default.fileExists(atPath: s.root + "/.layers/" + id))
        }
    }
}
