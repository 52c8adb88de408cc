// Id-mapped mounts (`idmap`, `ridmap`, per-mount uidMappings/gidMappings), with runc's
// semantics and its tests' fixtures (tests/integration/idmap.bats): a mount's mappings
// are host ids, with or without a user namespace in the container; the owners a file
// shows inside follow from its owner on disk through the mapping, then through the
// container's user namespace when there is one.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Id-mapped mounts")
struct IDMapTests {
    /// runc's source directories: owners by file.
    static func sources(_ s: Sandbox) throws -> String {
        let src = s.dir + "/src"
        let owners: [String: [(String, UInt32, UInt32)]] = [
            "source-1": [("foo.txt", 0, 0)],
            "source-2": [("foo.txt", 1, 1)],
            "multi1": [("foo.txt", 100, 211), ("bar.txt", 101, 222), ("baz.txt", 102, 233)],
            "multi2": [("foo.txt", 200, 211), ("bar.txt", 201, 222), ("baz.txt", 202, 233)],
            "multi3": [("foo.txt", 5000528, 6000491), ("bar.txt", 5000133, 6000337), ("baz.txt", 5000999, 6000444)],
        ]
        for (dir, files) in owners {
            try FileManager.default.createDirectory(atPath: src + "/" + dir, withIntermediateDirectories: true)
            for (name, uid, gid) in files { try s.ownedFile(src + "/" + dir + "/" + name, uid, gid) }
        }
        return src
    }

    static func idmapped(
        _ source: String, _ destination: String, uid: [[String: Any]]?, gid: [[String: Any]]?,
        options: [String] = ["bind"]
    ) -> [String: Any] {
        var m: [String: Any] = ["source": source, "destination": destination, "options": options]
        if let uid { m["uidMappings"] = uid }
        if let gid { m["gidMappings"] = gid }
        return m
    }

    /// The bundle's config: a tmpfs on /mnt for the mount points (never made in the
    /// shared rootfs), and the runc tests' user namespace when asked for.
    static func configure(_ s: Sandbox, userns: Bool) {
        s.bundle.config.addMount("/mnt", type: "tmpfs", source: "tmpfs", options: ["size=1m"])
        if userns { s.bundle.config.useUserNamespace() }
    }

    @Test("an id-mapped mount beside a plain bind of the same directory, read and written", arguments: [false, true])
    func simple(userns: Bool) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let src = try Self.sources(s)
        Self.configure(s, userns: userns)
        s.bundle.config.addMount(
            Self.idmapped(
                src + "/source-1/", "/mnt/mount-1",
                uid: idMap((0, 100000, 65536)), gid: idMap((0, 100000, 65536))))
        s.bundle.config.addMount("/mnt/bind-mount-1", source: src + "/source-1", options: ["bind"])
        let r = try s.sh(
            "stat -c =%n:%u=%g= /mnt/mount-1/foo.txt /mnt/bind-mount-1/foo.txt; "
                + "touch /mnt/mount-1/bar 2>&1 && stat -c =%n:%u=%g= /mnt/mount-1/bar; true")
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.lines
        if userns {
            #expect(lines == ["=/mnt/mount-1/foo.txt:0=0=", "=/mnt/bind-mount-1/foo.txt:65534=65534=", "=/mnt/mount-1/bar:0=0="], "\(r)")
            // Root of the container is host uid 100000, which the mapping writes as 0.
            var st = stat()
            #expect(stat(src + "/source-1/bar", &st) == 0 && st.st_uid == 0 && st.st_gid == 0, "owner on the host")
        } else {
            #expect(lines.first == "=/mnt/mount-1/foo.txt:100000=100000=", "\(r)")
            #expect(lines.dropFirst().first == "=/mnt/bind-mount-1/foo.txt:0=0=", "\(r)")
            // The container's root (host root) is not in the mapping: it cannot write.
            #expect(r.stdout.contains("Value too large for defined data type"), "\(r)")
            #expect(!FileManager.default.fileExists(atPath: src + "/source-1/bar"))
        }
        #expect(Host.hostMounts(containing: src).isEmpty, "a mount of the source is left on the host")
    }

    @Test(
        "several mounts: one directory with two mappings, two directories with the same, others with their own, multi-range mappings, a relative source",
        arguments: [false, true])
    func several(userns: Bool) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let src = try Self.sources(s)
        Self.configure(s, userns: userns)
        // Host ids base+N show as N inside: with the container's user namespace mapping
        // 0 → 100000, and without one the base is 0.
        let b = userns ? 100000 : 0
        let mounts: [[String: Any]] = [
            Self.idmapped(src + "/multi1", "/mnt/m1", uid: idMap((100, b, 100)), gid: idMap((200, b, 100))),
            Self.idmapped(src + "/multi1", "/mnt/m1-alt", uid: idMap((100, b + 1000, 100)), gid: idMap((200, b + 2000, 100))),
            // Relative to the bundle directory.
            Self.idmapped("../src/multi2", "/mnt/m2", uid: idMap((200, b + 2200, 3)), gid: idMap((200, b + 2900, 100))),
            Self.idmapped(src + "/multi3", "/mnt/m3", uid: idMap((5000000, b + 3000, 1000)), gid: idMap((6000000, b + 3000, 500))),
            // The same mappings as m1 (one user namespace for both): ids outside them show
            // as the overflow id.
            Self.idmapped(src + "/multi2", "/mnt/m2-same", uid: idMap((100, b, 100)), gid: idMap((200, b, 100))),
            Self.idmapped(
                src + "/multi1", "/mnt/ranges",
                uid: idMap((100, b + 1000, 1), (101, b + 2000, 1), (102, b + 3000, 1)),
                gid: idMap((210, b + 1100, 10), (220, b + 2200, 10), (230, b + 3300, 10))),
        ]
        for m in mounts { s.bundle.config.addMount(m) }
        var script = ""
        for d in ["m1", "m1-alt", "m2", "m3", "m2-same", "ranges"] {
            script += "stat -c %u=%g /mnt/\(d)/foo.txt /mnt/\(d)/bar.txt /mnt/\(d)/baz.txt; "
        }
        let r = try s.sh(script)
        #expect(r.status == 0, "\(r)")
        #expect(
            r.stdout.lines == [
                "0=11", "1=22", "2=33",
                "1000=2011", "1001=2022", "1002=2033",
                "2200=2911", "2201=2922", "2202=2933",
                "3528=3491", "3133=3337", "3999=3444",
                "65534=11", "65534=22", "65534=33",
                "1000=1101", "2000=2202", "3000=3303",
            ], "\(r)")
        #expect(Host.hostMounts(containing: src).isEmpty)
    }

    @Test("rbind with idmap maps the top mount, with ridmap every mount below it too", arguments: [false, true])
    func recursive(userns: Bool) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let tree = s.dir + "/tree"
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        try s.ownedFile(tree + "/top.txt", 0, 0)
        let sub = try s.hostTmpfs("tree/sub")
        try s.ownedFile(sub + "/inner.txt", 0, 0)
        Self.configure(s, userns: userns)
        let b = userns ? 100000 : 0
        s.bundle.config.addMount(
            Self.idmapped(
                tree, "/mnt/top", uid: idMap((0, b + 1000, 1)), gid: idMap((0, b + 1000, 1)),
                options: ["rbind", "idmap"]))
        s.bundle.config.addMount(
            Self.idmapped(
                tree, "/mnt/all", uid: idMap((0, b + 1000, 1)), gid: idMap((0, b + 1000, 1)),
                options: ["rbind", "ridmap"]))
        let r = try s.sh("stat -c %u=%g /mnt/top/top.txt /mnt/top/sub/inner.txt /mnt/all/top.txt /mnt/all/sub/inner.txt")
        #expect(r.status == 0, "\(r)")
        // Unmapped, a host root file shows as 0 without a user namespace, as the
        // overflow id inside one.
        let plain = userns ? "65534=65534" : "0=0"
        #expect(r.stdout.lines == ["1000=1000", plain, "1000=1000", "1000=1000"], "\(r)")
        #expect(Host.hostMounts(containing: tree).count == 1, "only the host's own tmpfs: \(Host.hostMounts(containing: tree))")
    }

    @Test("idmap without mappings takes the container's user namespace; propagation options apply")
    func containerMapping() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let src = try Self.sources(s)
        Self.configure(s, userns: true)
        s.bundle.config.addMount(Self.idmapped(src + "/source-1", "/mnt/mount-1", uid: nil, gid: nil, options: ["bind", "idmap", "shared"]))
        s.bundle.config.addMount(Self.idmapped(src + "/multi1", "/mnt/multi", uid: nil, gid: nil, options: ["rbind", "ridmap"]))
        let r = try s.sh("stat -c %u=%g /mnt/mount-1/foo.txt /mnt/multi/foo.txt; grep ' /mnt/mount-1 ' /proc/self/mountinfo")
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.lines
        // Host 0 is written as container 0's host id, 100000: root inside; 100 is not mapped back.
        #expect(lines.prefix(2) == ["0=0", "100=211"], "\(r)")
        #expect(lines.last?.contains(" shared:") == true, "\(r)")
    }

    @Test("no mount source or mapping namespace stays open in the container's process", arguments: [false, true])
    func descriptorsClosed(userns: Bool) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let src = try Self.sources(s)
        // The descriptors of a container without bind mounts are the reference.
        func openDescriptors(_ config: Config) throws -> [String] {
            let b = try s.newBundle("b-\(s.ids.count)", config: config)
            let id = s.newID()
            let c = s.berth(["create", "--bundle", b.path, id])
            #expect(c.status == 0, "\(c)")
            let pid = try #require(s.state(id)?["pid"] as? Int)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
            let links = names.compactMap { Host.readLink("/proc/\(pid)/fd/\($0)") }
                .map { $0.hasPrefix("socket:") ? "socket" : $0.hasPrefix(s.io + "/") ? "stdio file" : $0 }.sorted()
            _ = s.berth(["delete", "--force", id])
            return links
        }
        var plain = Config.base()
        plain.addMount("/mnt", type: "tmpfs", source: "tmpfs", options: ["size=1m"])
        if userns { plain.useUserNamespace() }
        var mapped = plain
        mapped.addMount(Self.idmapped(src + "/source-1", "/mnt/a", uid: idMap((0, 100000, 65536)), gid: idMap((0, 100000, 65536))))
        mapped.addMount(
            Self.idmapped(
                src + "/multi1", "/mnt/b", uid: idMap((0, 200000, 1000)), gid: idMap((0, 200000, 1000)),
                options: ["rbind", "ridmap"]))
        mapped.addMount("/mnt/c", source: src + "/source-2", options: ["bind", "ro"])
        let reference = try openDescriptors(plain)
        let links = try openDescriptors(mapped)
        #expect(!links.contains { $0.hasPrefix("user:") || $0.hasPrefix("mnt:") || $0.contains(src) }, "\(links)")
        #expect(links == reference, "descriptors beyond a plain container's: \(links) vs \(reference)")
    }

    @Test("id-mapped mounts berth refuses, with runc's wording; nothing is left behind")
    func refused() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let src = try Self.sources(s)
        let cases: [([String: Any], Bool, String)] = [
            (
                Self.idmapped("tmpfs", "/mnt/x", uid: idMap((0, 100000, 10)), gid: idMap((0, 100000, 10)), options: ["idmap"])
                    .merging(["type": "tmpfs"]) { $1 }, false,
                "id-mapped mounts are only supported for bind-mounts"
            ),
            (
                Self.idmapped(src + "/source-1", "/mnt/x", uid: idMap((0, 100000, 10)), gid: nil), false,
                "id-mapped mounts must have both uid and gid mappings specified"
            ),
            (
                Self.idmapped(src + "/source-1", "/mnt/x", uid: nil, gid: idMap((0, 100000, 10))), true,
                "id-mapped mounts must have both uid and gid mappings specified"
            ),
            (
                Self.idmapped(src + "/source-1", "/mnt/x", uid: nil, gid: nil, options: ["bind", "idmap"]), false,
                "id-mapped mounts must have both uid and gid mappings specified"
            ),
        ]
        for (mount, userns, wording) in cases {
            var c = Config.base()
            c.addMount("/mnt", type: "tmpfs", source: "tmpfs")
            c.addMount(mount)
            if userns { c.useUserNamespace() }
            let b = try s.newBundle("b-\(s.ids.count)", config: c)
            let r = s.berth(["run", "--bundle", b.path, s.newID()])
            #expect(r.status == 1 && r.stderr.contains(wording), "\(r)")
            #expect(r.stderr.lines.count == 1, "one line: \(r)")
        }
        #expect(s.stateEntries().isEmpty, "\(s.stateEntries())")
    }

    @Test("features reports id-mapped mounts and the mount options berth applies")
    func features() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let r = s.berth(["features"])
        #expect(r.status == 0, "\(r)")
        let doc = try #require(Host.parseJSON(r.stdout) as? [String: Any], "\(r)")
        let idmap = ((doc["linux"] as? [String: Any])?["mountExtensions"] as? [String: Any])?["idmap"] as? [String: Any]
        #expect(idmap?["enabled"] as? Bool == true, "\(r.stdout)")
        let options = Set((doc["mountOptions"] as? [String]) ?? [])
        for o in [
            "idmap", "ridmap", "rro", "rrw", "rnoatime", "rstrictatime", "rnosymfollow", "tmpcopyup", "nosymfollow",
            "symfollow", "bind", "rbind", "unbindable",
        ] {
            #expect(options.contains(o), "mountOptions lacks \(o)")
        }
    }
}
