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
        let middle = s.dir + "/middle"
        let bottom = s.dir + "/bottom"
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
        // (A directory the rootfs has, such as /data if another test made one in the shared
        // rootfs, is only copied up: not berth's, not marked.)
        for path in ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/data", "/data/cache"]
        where entries.contains(path) && !FileManager.default.fileExists(atPath: rootfs + path) {
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
            (
                [:], ["--overlay", "relative/dir"], false,
                #"--overlay: must be "volatile" or an absolute directory to keep the layer in, not "relative/dir""#
            ),
            (
                ["org.berth.rootfs.overlay": "tmpfs"], [], false,
                #"annotations["org.berth.rootfs.overlay"]: must be "volatile" or an absolute directory to keep the layer in, not "tmpfs""#
            ),
            (
                ["org.berth.rootfs.lower": "/tmp"], [], false,
                #"annotations["org.berth.rootfs.lower"]: needs org.berth.rootfs.overlay (volatile or a directory): lower layers are only used under a writable layer"#
            ),
            (
                ["org.berth.rootfs.overlay": "volatile", "org.berth.rootfs.lower": "/tmp::/var"], [], false,
                #"annotations["org.berth.rootfs.lower"]: an empty entry in "/tmp::/var""#
            ),
            (
                ["org.berth.rootfs.overlay": "volatile", "org.berth.rootfs.lower": "lib"], [], false,
                #"annotations["org.berth.rootfs.lower"]: "lib" is not an absolute directory"#
            ),
            (
                ["org.berth.rootfs.overlay": "volatile", "org.berth.rootfs.lower": s.dir + "/missing"], [], false,
                #"annotations["org.berth.rootfs.lower"]: \#(s.dir)/missing is not a directory"#
            ),
            ([:], ["--overlay", file], false, "org.berth.rootfs.overlay: \(file) is not a directory"),
            (
                [:], ["--overlay", "volatile"], true,
                "org.berth.rootfs.overlay: a copy-on-write layer needs a mount namespace of the container's own"
            ),
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

@Suite("layer diff", .enabled(if: Host.isBerth, "berth's own rootfs layers"))
struct LayerDiffTests {
    /// The changes the script below makes, as `diff` lists them.
    static let expected = [
        "A /added",
        "C /bin",
        "D /bin/vi",
        "C /etc/passwd",
        "C /od",
        "D /od/gone",
        "C /od/keep",
        "A /od/sub",
        "A /od/sub/new",
        "C /tmp",
        "A /tmp/new-dir",
        "A /tmp/new-dir/f",
    ]
    static let script = """
        echo new > /added; echo x >> /etc/passwd; rm /bin/vi; \
        rm -rf /od; mkdir -p /od/sub; echo k > /od/keep; echo n > /od/sub/new; \
        mkdir /tmp/new-dir; echo f > /tmp/new-dir/f; \
        echo 10.1.1.1 x >> /etc/hosts; echo y > /data/cache/y
        """

    @Test(
        "diff lists additions, changes, deletions and an opaque directory, running, paused, stopped, and of the kept directory; never berth's own mount points"
    )
    func diffLines() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try LayerFixture.rootfsCopy(s)
        try FileManager.default.createDirectory(atPath: rootfs + "/od", withIntermediateDirectories: true)
        try Host.write(rootfs + "/od/keep", "old\n")
        try Host.write(rootfs + "/od/gone", "old\n")
        // Mount points the rootfs lacks: berth makes them in the layer; they are not changes.
        for p in ["etc/hosts", "etc/hostname", "etc/resolv.conf"] { unlink(rootfs + "/" + p) }
        let keep = s.dir + "/kept"
        s.bundle.config["root.path"] = rootfs
        s.bundle.config["root.readonly"] = false
        s.bundle.config.addMount("/data/cache", type: "tmpfs", source: "tmpfs")
        s.bundle.config.shell(Self.script + "; echo ready; sleep 1000")
        try s.bundle.write()
        let id = s.newID("diff")
        let r = s.berth(["run", "-d", "--overlay", keep, "--bundle", s.bundle.path, id])
        try #require(r.status == 0, "\(r)")
        #expect(Host.waitUntil { (Host.readFile(r.stdoutPath) ?? "").contains("ready") }, "\(r)")

        let running = s.berth(["diff", id])
        #expect(running.status == 0 && running.stdout.lines == Self.expected, "\(running)")
        #expect(s.berth(["pause", id]).status == 0)
        let paused = s.berth(["diff", id])
        #expect(paused.stdout.lines == Self.expected, "\(paused)")
        #expect(s.berth(["resume", id]).status == 0)
        #expect(s.berth(["kill", id, "KILL"]).status == 0)
        #expect(s.waitForStatus(id, "stopped"))
        let stopped = s.berth(["diff", id])
        #expect(stopped.stdout.lines == Self.expected, "\(stopped)")
        #expect(s.berth(["delete", id]).status == 0)
        let directory = s.berth(["diff", keep])
        #expect(directory.status == 0 && directory.stdout.lines == Self.expected, "\(directory)")
    }

    @Test("diff of a volatile layer, and of nothing changed")
    func volatileAndEmpty() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["root.readonly"] = false
        s.bundle.config.setAnnotation("org.berth.rootfs.overlay", "volatile")
        s.bundle.config.shell("sleep 1000")
        try s.bundle.write()
        let id = s.newID("diff")
        try #require(s.berth(["run", "-d", "--bundle", s.bundle.path, id]).status == 0)
        let empty = s.berth(["diff", id])
        #expect(empty.status == 0 && empty.stdout == "", "\(empty)")
        #expect(s.berth(["exec", id, "sh", "-c", "echo x > /root/x"]).status == 0)
        let one = s.berth(["diff", id])
        #expect(one.stdout.lines == ["C /root", "A /root/x"], "\(one)")
    }

    @Test("diff refuses a container without a layer and a directory that is not a layer, in one line")
    func diffRefusals() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("sleep 1000")
        try s.bundle.write()
        let id = s.newID("plain")
        try #require(s.berth(["run", "-d", "--bundle", s.bundle.path, id]).status == 0)
        let plain = s.berth(["diff", id])
        #expect(
            plain.status == 1
                && plain.stderr.lines == [
                    "berth: container \(id) has no copy-on-write layer (create it with --overlay or the annotation org.berth.rootfs.overlay)"
                ], "\(plain)")
        let missing = s.berth(["diff", "no-such-container"])
        #expect(missing.status == 1 && missing.stderr.lines == ["berth: container does not exist"], "\(missing)")
        let notLayer = s.berth(["diff", s.io])
        #expect(
            notLayer.status == 1
                && notLayer.stderr.lines == ["berth: \(s.io) is not a layer directory (no layer.json; made by create --overlay DIR)"], "\(notLayer)")
    }
}

@Suite("layer commit", .enabled(if: Host.isBerth, "berth's own rootfs layers"))
struct LayerCommitTests {
    /// Sets an xattr on a host path (lsetxattr, through dlsym: sys/xattr.h is not in Glibc's module).
    static func setXattr(_ path: String, _ name: String, _ value: String) -> Bool {
        typealias SetXattr = @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeRawPointer?, Int, Int32) -> Int32
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "lsetxattr") else { return false }
        let f = unsafeBitCast(sym, to: SetXattr.self)
        return Array(value.utf8).withUnsafeBytes { f(path, name, $0.baseAddress, $0.count, 0) } == 0
    }

    @Test(
        "commit writes the layer as an OCI tarball: whiteouts as .wh. entries, an opaque directory's .wh..wh..opq, xattrs and owners kept, the same bytes every time"
    )
    func commitTarball() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try LayerFixture.rootfsCopy(s)
        try FileManager.default.createDirectory(atPath: rootfs + "/od", withIntermediateDirectories: true)
        try Host.write(rootfs + "/od/gone", "old\n")
        for p in ["etc/hosts", "etc/hostname", "etc/resolv.conf"] { unlink(rootfs + "/" + p) }
        let keep = s.dir + "/kept"
        s.bundle.config["root.path"] = rootfs
        s.bundle.config["root.readonly"] = false
        s.bundle.config.addMount("/data/cache", type: "tmpfs", source: "tmpfs")
        s.bundle.config.shell(
            """
            echo new > /added; rm /bin/vi; rm -rf /od; mkdir /od; echo k > /od/keep; \
            ln -s /added /link; echo h > /hard1; ln /hard1 /hard2; echo ready; sleep 1000
            """)
        try s.bundle.write()
        let id = s.newID("commit")
        let r = s.berth(["run", "-d", "--overlay", keep, "--bundle", s.bundle.path, id])
        try #require(r.status == 0, "\(r)")
        #expect(Host.waitUntil { (Host.readFile(r.stdoutPath) ?? "").contains("ready") }, "\(r)")
        #expect(Self.setXattr(keep + "/upper/added", "user.berth-test", "value-1"))
        #expect(chown(keep + "/upper/added", 1000, 1001) == 0)

        let first = s.berth(["commit", "-o", s.dir + "/one.tar", id])
        #expect(first.status == 0, "\(first)")
        let digest = first.stdout.trimmed
        #expect(digest.hasPrefix("sha256:") && digest.count == 71, "\(first)")
        let sum = Runner.run("/usr/bin/sha256sum", [s.dir + "/one.tar"], ioDir: s.io)
        #expect(sum.stdout.split(separator: " ").first.map { "sha256:" + $0 } == digest, "the diff id is the tarball's sha256")

        let list = Runner.run("/bin/tar", ["-tvf", s.dir + "/one.tar"], ioDir: s.io)
        #expect(list.status == 0, "\(list)")
        let names = Runner.run("/bin/tar", ["-tf", s.dir + "/one.tar"], ioDir: s.io).stdout.lines
        #expect(names == ["added", "bin/", "bin/.wh.vi", "hard1", "hard2", "link", "od/", "od/.wh..wh..opq", "od/keep"], "\(list)")
        let verbose = list.stdout.lines
        #expect(verbose.contains { $0.hasPrefix("-rw-r--r-- 1000/1001") && $0.hasSuffix(" added") }, "\(list)")
        #expect(verbose.contains { $0.hasPrefix("lrwxrwxrwx") && $0.hasSuffix("link -> /added") }, "\(list)")
        #expect(verbose.contains { $0.hasPrefix("hrw-r--r--") && $0.hasSuffix("hard2 link to hard1") }, "\(list)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: s.dir + "/one.tar"))
        #expect(bytes.range(of: Data("SCHILY.xattr.user.berth-test=value-1\n".utf8)) != nil)
        #expect(bytes.range(of: Data("overlay".utf8)) == nil, "no overlayfs xattrs")
        #expect(bytes.range(of: Data("berth.mountpoint".utf8)) == nil, "no marks")

        // Running or stopped, through the id or the kept directory: the same bytes.
        #expect(s.berth(["kill", id, "KILL"]).status == 0)
        #expect(s.waitForStatus(id, "stopped"))
        let second = s.berth(["commit", "-o", s.dir + "/two.tar", id])
        #expect(second.stdout.trimmed == digest, "\(second)")
        #expect(s.berth(["delete", id]).status == 0)
        let third = s.berth(["commit", "--output", s.dir + "/three.tar", keep])
        #expect(third.stdout.trimmed == digest, "\(third)")
        let two = try Data(contentsOf: URL(fileURLWithPath: s.dir + "/two.tar"))
        let three = try Data(contentsOf: URL(fileURLWithPath: s.dir + "/three.tar"))
        #expect(two == bytes && three == bytes)
    }

    @Test("commit --compress gzip|zstd: the same bytes every time, the diff id of the tarball inside, unpacked as it is")
    func compressed() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let keep = s.dir + "/kept"
        s.bundle.config["root.readonly"] = false
        s.bundle.config.shell("echo new > /added; rm /bin/vi; seq 1 20000 > /numbers")
        let r = try s.runContainer(extra: ["--overlay", keep])
        #expect(r.status == 0, "\(r)")
        let plain = s.berth(["commit", "-o", s.dir + "/plain.tar", keep])
        #expect(plain.status == 0, "\(plain)")
        let plainSize = (try? FileManager.default.attributesOfItem(atPath: s.dir + "/plain.tar")[.size] as? Int) ?? 0
        for (kind, magic) in [("gzip", [0x1f, 0x8b] as [UInt8]), ("zstd", [0x28, 0xb5, 0x2f, 0xfd])] {
            let a = s.berth(["commit", "--compress", kind, "-o", s.dir + "/a." + kind, keep])
            let b = s.berth(["commit", "--compress", kind, "-o", s.dir + "/b." + kind, keep])
            #expect(a.status == 0 && a.stdout == plain.stdout && b.stdout == plain.stdout, "\(kind): \(a) \(b)")
            let first = try Data(contentsOf: URL(fileURLWithPath: s.dir + "/a." + kind))
            let second = try Data(contentsOf: URL(fileURLWithPath: s.dir + "/b." + kind))
            #expect(first == second, "\(kind): the same bytes twice")
            #expect(Array(first.prefix(magic.count)) == magic, "\(kind)")
            #expect(first.count < plainSize / 2, "\(kind): compressed (\(first.count) of \(plainSize) bytes)")
            let u = s.berth(["layers", "unpack", s.dir + "/a." + kind, s.dir + "/unpacked-" + kind])
            #expect(u.status == 0 && u.stdout == plain.stdout, "\(kind): \(u)")
            #expect(Host.readFile(s.dir + "/unpacked-" + kind + "/added") == "new\n")
        }
        let bad = s.berth(["commit", "--compress", "lz4", "-o", s.dir + "/x", keep])
        #expect(bad.status != 0 && bad.stderr.contains(#"--compress: "lz4" is not gzip or zstd"#), "\(bad)")
    }

    @Test("commit of a container without a layer, or without -o: one line, nothing written")
    func commitRefusals() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("sleep 1000")
        try s.bundle.write()
        let id = s.newID("plain")
        try #require(s.berth(["run", "-d", "--bundle", s.bundle.path, id]).status == 0)
        let out = s.dir + "/x.tar"
        let plain = s.berth(["commit", "-o", out, id])
        #expect(
            plain.status == 1
                && plain.stderr.lines == [
                    "berth: container \(id) has no copy-on-write layer (create it with --overlay or the annotation org.berth.rootfs.overlay)"
                ], "\(plain)")
        #expect(!FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: out + ".berth-tmp"))
        let noOutput = s.berth(["commit", id])
        #expect(noOutput.status != 0 && noOutput.stderr.contains("commit needs -o FILE"), "\(noOutput)")
    }
}

/// A tarball built by hand (ustar), for layers a test controls byte by byte.
struct TarBuilder {
    private(set) var bytes: [UInt8] = []

    mutating func add(
        _ name: String, type: Character = "0", content: String = "", link: String = "", mode: Int = 0o644,
        major: Int = 0, minor: Int = 0
    ) {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, _ at: Int) { for (i, b) in s.utf8.enumerated() { h[at + i] = b } }
        func octal(_ v: Int, _ at: Int, _ width: Int) {
            let t = String(v, radix: 8)
            put(String(repeating: "0", count: width - 1 - t.count) + t, at)
        }
        let data = Array(content.utf8)
        put(name, 0)
        octal(mode, 100, 8); octal(0, 108, 8); octal(0, 116, 8)
        octal(data.count, 124, 12); octal(1_700_000_000, 136, 12)
        put("        ", 148)
        h[156] = UInt8(ascii: type.unicodeScalars.first!)
        put(link, 157)
        put("ustar", 257); h[262] = 0; put("00", 263)
        octal(major, 329, 8); octal(minor, 337, 8)
        let sum = h.reduce(0) { $0 + Int($1) }
        let t = String(sum, radix: 8)
        put(String(repeating: "0", count: 6 - t.count) + t, 148)
        h[154] = 0; h[155] = 0x20
        bytes += h + data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    func write(_ path: String) throws {
        try Data(bytes + [UInt8](repeating: 0, count: 1024)).write(to: URL(fileURLWithPath: path))
    }
}

@Suite("layer round trip", .enabled(if: Host.isBerth, "berth's own rootfs layers"))
struct LayerRoundTripTests {
    @Test("commit, unpack, and a new bundle on top: the committed changes, deletions and an opaque directory included")
    func roundTrip() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try LayerFixture.rootfsCopy(s)
        try FileManager.default.createDirectory(atPath: rootfs + "/od", withIntermediateDirectories: true)
        try Host.write(rootfs + "/od/gone", "old\n")
        let before = LayerFixture.fingerprint(rootfs)
        s.bundle.config["root.path"] = rootfs
        s.bundle.config["root.readonly"] = false
        s.bundle.config.shell("echo committed > /etc/motd; rm /bin/vi; rm -rf /od; mkdir /od; echo k > /od/keep")
        let keep = s.dir + "/kept"
        let run = try s.runContainer(extra: ["--overlay", keep])
        #expect(run.status == 0, "\(run)")
        let commit = s.berth(["commit", "-o", s.dir + "/layer.tar", keep])
        #expect(commit.status == 0, "\(commit)")

        let unpacked = s.dir + "/layer"
        let unpack = s.berth(["layers", "unpack", s.dir + "/layer.tar", unpacked])
        #expect(unpack.status == 0 && unpack.stdout == commit.stdout, "the diff id read back: \(unpack)")

        // A new bundle: the committed layer on top, the old rootfs beneath it.
        var config = Config.base(rootfs: unpacked)
        config["root.readonly"] = false
        config.setAnnotation("org.berth.rootfs.overlay", "volatile")
        config.setAnnotation("org.berth.rootfs.lower", rootfs)
        config.shell("cat /etc/motd; ls /bin/vi 2>/dev/null || echo no-vi; ls /od; ls /bin/sh")
        let next = try s.newBundle("next", config: config)
        let r = try s.runContainer(next)
        #expect(r.status == 0 && r.stdout.lines == ["committed", "no-vi", "keep", "/bin/sh"], "\(r)")
        // A container on the new bundle starts with nothing changed.
        config.shell("sleep 1000")
        let sleeper = try s.newBundle("next2", config: config)
        let id = s.newID("next")
        try #require(s.berth(["run", "-d", "--bundle", sleeper.path, id]).status == 0)
        let diff = s.berth(["diff", id])
        #expect(diff.status == 0 && diff.stdout == "", "\(diff)")
        #expect(LayerFixture.fingerprint(rootfs) == before)
    }

    @Test(
        "hostile layer tarballs are refused in one line and leave nothing: .., absolute names, writing through a symlink, hard links out of the layer, device nodes for a non-root berth"
    )
    func hostileTarballs() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let outside = s.dir + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        var cases: [(String, TarBuilder, String)] = []
        var t = TarBuilder(); t.add("ok", content: "x"); t.add("../escape", content: "x")
        cases.append(("dotdot", t, #"entry "../escape": ".." in a path (it would leave the layer)"#))
        t = TarBuilder(); t.add("/etc/evil", content: "x")
        cases.append(("absolute", t, #"entry "/etc/evil": an absolute path (a layer holds relative names only)"#))
        t = TarBuilder(); t.add("link", type: "2", link: outside); t.add("link/evil", content: "x")
        cases.append(("symlink", t, #"entry "link/evil": link on its way is not a directory (a symlink is never followed)"#))
        t = TarBuilder(); t.add("hard", type: "1", link: "../../etc/passwd")
        cases.append(("hardlink-out", t, #"entry "hard": ".." in a hard link target (it would leave the layer)"#))
        t = TarBuilder(); t.add("hard", type: "1", link: "/etc/passwd")
        cases.append(("hardlink-abs", t, #"entry "hard": an absolute hard link target (a layer holds relative names only)"#))
        t = TarBuilder(); t.add("lnk", type: "2", link: "/etc"); t.add("hard", type: "1", link: "lnk/passwd")
        cases.append(("hardlink-via-symlink", t, #"entry "hard": lnk on its way is not a directory (a symlink is never followed)"#))
        for (name, tar, message) in cases {
            let file = s.dir + "/" + name + ".tar"
            try tar.write(file)
            let dir = s.dir + "/unpacked-" + name
            let r = s.berth(["layers", "unpack", file, dir])
            #expect(r.status == 1 && r.stderr.lines == ["berth: \(file): \(message)"], "\(name): \(r)")
            #expect(!FileManager.default.fileExists(atPath: dir), "\(name): nothing left")
        }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: outside)) ?? ["?"]).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: s.dir + "/escape"))

        // A device node: a root berth makes it, a non-root one refuses the layer.
        var dev = TarBuilder(); dev.add("null", type: "3", mode: 0o666, major: 1, minor: 3)
        try dev.write(s.dir + "/dev.tar")
        let root = s.berth(["layers", "unpack", s.dir + "/dev.tar", s.dir + "/dev-root"])
        #expect(root.status == 0, "\(root)")
        let (uid, gid) = try RootlessUser.ids.get()
        chmod(s.dir, 0o777)
        let r = Runner.run(
            "/usr/bin/setpriv",
            [
                "--reuid", String(uid), "--regid", String(gid), "--clear-groups",
                Host.binary, "layers", "unpack", s.dir + "/dev.tar", s.dir + "/dev-user",
            ], ioDir: s.io)
        #expect(
            r.status == 1
                && r.stderr.lines == ["berth: \(s.dir)/dev.tar: entry \"null\": a device node: a layer with device nodes needs a root berth"], "\(r)")
        #expect(!FileManager.default.fileExists(atPath: s.dir + "/dev-user"))

        // A non-root berth unpacks whiteouts (0/0 character devices, allowed since Linux
        // 5.8) and marks opaque directories in the user.overlay namespace its overlays use.
        var rootlessLayer = TarBuilder()
        rootlessLayer.add("d/", type: "5", mode: 0o755)
        rootlessLayer.add("d/.wh..wh..opq")
        rootlessLayer.add("d/.wh.gone")
        try rootlessLayer.write(s.dir + "/rootless.tar")
        let ok = Runner.run(
            "/usr/bin/setpriv",
            [
                "--reuid", String(uid), "--regid", String(gid), "--clear-groups",
                Host.binary, "layers", "unpack", s.dir + "/rootless.tar", s.dir + "/rootless-layer",
            ], ioDir: s.io)
        #expect(ok.status == 0, "\(ok)")
        var st = stat()
        #expect(lstat(s.dir + "/rootless-layer/d/gone", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR && st.st_rdev == 0)
        #expect(LayerFixture.xattrNames(s.dir + "/rootless-layer/d").contains("user.overlay.opaque"))

        // Not a tarball at all.
        try Host.write(s.dir + "/garbage.tar", String(repeating: "garbage ", count: 100))
        let garbage = s.berth(["layers", "unpack", s.dir + "/garbage.tar", s.dir + "/g"])
        #expect(garbage.status == 1 && garbage.stderr.lines == ["berth: \(s.dir)/garbage.tar: not a tar archive (bad header checksum)"], "\(garbage)")
        #expect(!FileManager.default.fileExists(atPath: s.dir + "/g"))
    }
}

/// An OCI image layout written by a test: blobs under blobs/sha256, index.json, oci-layout.
struct OCILayoutBuilder {
    let dir: String
    let io: String

    init(dir: String, io: String) throws {
        self.dir = dir
        self.io = io
        try FileManager.default.createDirectory(atPath: dir + "/blobs/sha256", withIntermediateDirectories: true)
        try Host.write(dir + "/oci-layout", #"{"imageLayoutVersion":"1.0.0"}"#)
    }

    static func sha256(_ path: String, io: String) -> String {
        let r = Runner.run("/usr/bin/sha256sum", [path], ioDir: io)
        return "sha256:" + (r.stdout.split(separator: " ").first.map(String.init) ?? "")
    }

    /// Stores the file as a blob; returns its descriptor's JSON.
    func add(file path: String, mediaType: String) throws -> String {
        let digest = Self.sha256(path, io: io)
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let target = dir + "/blobs/sha256/" + digest.dropFirst(7)
        try? FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: path, toPath: target)
        return #"{"mediaType":"\#(mediaType)","digest":"\#(digest)","size":\#(size)}"#
    }

    func add(json: String, mediaType: String, name: String) throws -> String {
        let path = io + "/" + name
        try Host.write(path, json)
        return try add(file: path, mediaType: mediaType)
    }
}

@Suite("OCI images as shared layers", .enabled(if: Host.isBerth, "berth's own rootfs layers"))
struct ImageLayerTests {
    /// A two-layer image: the busybox rootfs (gzip) and a layer with a user, a config
    /// file and a whiteout of /bin/vi. Returns the layout directory.
    static func makeImage(_ s: Sandbox, tamper: Bool = false, hostileUpper: Bool = false) throws -> (String, [String]) {
        let rootfs = try LayerFixture.rootfsCopy(s, name: "image-rootfs")
        let base = s.dir + "/base.tar"
        let t = Runner.run("/bin/tar", ["--numeric-owner", "-C", rootfs, "-cf", base, "."], ioDir: s.io)
        try #require(t.status == 0, "\(t)")
        let baseDiff = OCILayoutBuilder.sha256(base, io: s.io)
        let z = Runner.run("/bin/gzip", ["-n", "-k", base], ioDir: s.io)
        try #require(z.status == 0, "\(z)")
        var upper = TarBuilder()
        upper.add("etc/", type: "5", mode: 0o755)
        upper.add("etc/passwd", content: "root:x:0:0:root:/root:/bin/sh\napp:x:1234:1235::/home/app:/bin/sh\n")
        upper.add("etc/group", content: "root:x:0:\napp:x:1235:\nextra:x:2000:app\n")
        upper.add("etc/app.conf", content: "configured\n")
        upper.add("bin/.wh.vi")
        upper.add("opt/", type: "5", mode: 0o777)
        if hostileUpper { upper.add("../../escaped", content: "x") }
        let upperPath = s.dir + "/upper.tar"
        try upper.write(upperPath)
        let upperDiff = OCILayoutBuilder.sha256(upperPath, io: s.io)
        let layout = try OCILayoutBuilder(dir: s.dir + "/layout", io: s.io)
        let l1 = try layout.add(file: base + ".gz", mediaType: "application/vnd.oci.image.layer.v1.tar+gzip")
        let l2 = try layout.add(file: upperPath, mediaType: "application/vnd.oci.image.layer.v1.tar")
        let config = #"""
            {"architecture":"amd64","os":"linux","config":{"Entrypoint":["/bin/sh","-c"],
            "Cmd":["id -u; id -g; id -G; cat /etc/app.conf; ls /bin/vi 2>/dev/null || echo no-vi; pwd; echo $GREETING; touch /opt/written && echo wrote"],
            "Env":["PATH=/bin:/usr/bin","GREETING=hi"],"WorkingDir":"/opt","User":"app","Labels":{"org.example.label":"v"}},
            "rootfs":{"type":"layers","diff_ids":["\#(baseDiff)","\#(upperDiff)"]}}
            """#
        let c = try layout.add(json: config, mediaType: "application/vnd.oci.image.config.v1+json", name: "config.json")
        let manifest = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":\#(c),"layers":[\#(l1),\#(l2)]}"#
        let m = try layout.add(json: manifest, mediaType: "application/vnd.oci.image.manifest.v1+json", name: "manifest.json")
        let entry = m.dropLast() + #","annotations":{"org.opencontainers.image.ref.name":"v1"}}"#
        try Host.write(layout.dir + "/index.json", #"{"schemaVersion":2,"manifests":[\#(entry)]}"#)
        if tamper {
            // One byte of the upper layer's blob changed: its digest no longer matches.
            let blob = layout.dir + "/blobs/sha256/" + upperDiff.dropFirst(7)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: blob))
            bytes[bytes.count - 2000] ^= 0xff
            try bytes.write(to: URL(fileURLWithPath: blob))
        }
        return (layout.dir, [baseDiff, upperDiff])
    }

    @Test(
        "an image layout built by the test becomes two bundles sharing every layer directory, runs with the image's user, env, cwd and whiteout; prune keeps what a bundle uses"
    )
    func imageBundles() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (layout, diffs) = try Self.makeImage(s)
        let store = s.dir + "/store"
        let one = s.berth(["bundle", "--image", layout + ":v1", "--store", store, s.dir + "/b1"])
        #expect(one.status == 0, "\(one)")
        let two = s.berth(["bundle", "--image", layout, "--store", store, s.dir + "/b2"])
        #expect(two.status == 0, "\(two)")
        let layerDirs = diffs.reversed().map { store + "/" + $0.dropFirst(7) }
        #expect(Host.readFile(s.dir + "/b1/layers")?.lines == layerDirs)
        #expect(Host.readFile(s.dir + "/b2/layers")?.lines == layerDirs)
        // Shared on disk: one directory per layer in the store, whatever the bundles.
        let inStore = ((try? FileManager.default.contentsOfDirectory(atPath: store)) ?? []).filter { $0.count == 64 }.sorted()
        #expect(inStore == diffs.map { String($0.dropFirst(7)) }.sorted())
        let du = Runner.run("/usr/bin/du", ["-sk", store], ioDir: s.io)
        let duBundles = Runner.run("/usr/bin/du", ["-sk", s.dir + "/b1", s.dir + "/b2"], ioDir: s.io)
        // Measured: the layers are in the store once; each bundle holds config.json and
        // its layers file only.
        let storeKB = Int(du.stdout.split(separator: "\t").first ?? "") ?? 0
        let bundleKB = duBundles.stdout.lines.map { Int($0.split(separator: "\t").first ?? "") ?? Int.max }
        #expect(du.status == 0 && storeKB > 500, "\(du)")
        #expect(bundleKB.count == 2 && bundleKB.allSatisfy { $0 <= 16 }, "bundles hold only config.json and layers: \(duBundles)")
        let config = Host.readFile(s.dir + "/b1/config.json") ?? ""
        #expect(config.contains(#""org.example.label": "v""#) || config.contains(#""org.example.label":"v""#), "\(config)")
        let before = LayerFixture.fingerprint(layerDirs[0])

        for b in ["b1", "b2"] {
            let r = s.berth(["run", "--bundle", s.dir + "/" + b, s.newID("img")])
            #expect(r.status == 0, "\(r)")
            let lines = r.stdout.lines
            #expect(lines.count == 8 && lines[0] == "1234" && lines[1] == "1235" && lines[2].split(separator: " ").contains("2000"), "\(r)")
            #expect(Array(lines.dropFirst(3)) == ["configured", "no-vi", "/opt", "hi", "wrote"], "\(r)")
        }
        #expect(LayerFixture.fingerprint(layerDirs[0]) == before, "the store's layers are never written")
        #expect(!FileManager.default.fileExists(atPath: layerDirs[0] + "/opt/written"))

        // prune: nothing while a bundle uses the layers; everything once none does.
        #expect(s.berth(["layers", "prune", "--store", store]).stdout == "")
        try FileManager.default.removeItem(atPath: s.dir + "/b2")
        #expect(s.berth(["layers", "prune", "--store", store]).stdout == "")
        try FileManager.default.removeItem(atPath: s.dir + "/b1")
        let pruned = s.berth(["layers", "prune", "--store", store])
        #expect(pruned.status == 0 && pruned.stdout.lines.sorted() == layerDirs.map { "removed " + $0 }.sorted(), "\(pruned)")
    }

    @Test("bad image layouts: one line naming what and why, exit 1, nothing written outside the store")
    func badLayouts() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let store = s.dir + "/store"
        // Not a layout.
        let empty = s.dir + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let r1 = s.berth(["bundle", "--image", empty, "--store", store, s.dir + "/x1"])
        #expect(r1.status == 1 && r1.stderr.lines == ["berth: \(empty): not an OCI image layout (no oci-layout file)"], "\(r1)")
        // A layout whose index.json is not JSON.
        let (layout, _) = try Self.makeImage(s)
        let index = Host.readFile(layout + "/index.json") ?? ""
        try Host.write(layout + "/index.json", "{not json")
        let r2 = s.berth(["bundle", "--image", layout, "--store", store, s.dir + "/x2"])
        #expect(r2.status == 1 && r2.stderr.lines.count == 1 && r2.stderr.contains("\(layout): index.json: not JSON"), "\(r2)")
        try Host.write(layout + "/index.json", index)
        // A name the index does not have.
        let r3 = s.berth(["bundle", "--image", layout + ":v2", "--store", store, s.dir + "/x3"])
        #expect(r3.status == 1 && r3.stderr.lines == ["berth: \(layout): no image named \"v2\" (names: v1)"], "\(r3)")
        for x in ["x1", "x2", "x3"] { #expect(!FileManager.default.fileExists(atPath: s.dir + "/" + x)) }

        // A blob that does not match its digest.
        let s2 = try Sandbox(); defer { s2.cleanup() }
        let (tampered, diffs) = try Self.makeImage(s2, tamper: true)
        let r4 = s2.berth(["bundle", "--image", tampered, "--store", s2.dir + "/store", s2.dir + "/x4"])
        #expect(r4.status == 1 && r4.stderr.lines == ["berth: \(tampered): blob \(diffs[1]) does not match its digest"], "\(r4)")
        #expect(!FileManager.default.fileExists(atPath: s2.dir + "/store/" + diffs[1].dropFirst(7)))
        #expect(!FileManager.default.fileExists(atPath: s2.dir + "/x4"))

        // A layer that would write outside the store.
        let s3 = try Sandbox(); defer { s3.cleanup() }
        let (hostile, hostileDiffs) = try Self.makeImage(s3, hostileUpper: true)
        let r5 = s3.berth(["bundle", "--image", hostile, "--store", s3.dir + "/store", s3.dir + "/x5"])
        #expect(
            r5.status == 1 && r5.stderr.lines.count == 1 && r5.stderr.contains(#"entry "../../escaped": ".." in a path (it would leave the layer)"#),
            "\(r5)")
        #expect(!FileManager.default.fileExists(atPath: s3.dir + "/escaped") && !FileManager.default.fileExists(atPath: s3.dir + "/store/escaped"))
        #expect(!FileManager.default.fileExists(atPath: s3.dir + "/store/" + hostileDiffs[1].dropFirst(7)))
        let leftovers = ((try? FileManager.default.contentsOfDirectory(atPath: s3.dir + "/store")) ?? []).filter { $0.hasPrefix(".unpacking") }
        #expect(leftovers.isEmpty)
    }
}
