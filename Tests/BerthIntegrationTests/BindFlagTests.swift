// The flags of bind mounts, as runc 1.2+ gives them (tests/integration/mounts_sshfs.bats,
// mounts_recursive.bats): a bind keeps its source's flags unless the options name any;
// then it gets exactly the flags named, except that in a container with a user namespace
// the flags the kernel locked on the source (ro, nodev, nosuid, noexec, the access-time
// setting) are kept, and a bind that asks to clear one of them, or for another
// access-time setting, fails. Recursive attributes (rro, rnoatime, ...) reach every
// mount below an rbind. Each case is checked inside (/proc/self/mounts) and on the host
// (the source keeps its own flags; nothing is left mounted).
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Bind mount flags")
struct BindFlagTests {
    struct Case: CustomStringConvertible {
        var source: UInt
        var options: [String]
        /// Flags the bind must show (or, with `fails`, nil).
        var has: Set<String>
        var lacks: Set<String>
        var description: String { "\(options.joined(separator: ",")) over \(MountFlagNames.names(source))" }
    }

    enum MountFlagNames {
        static func names(_ flags: UInt) -> String {
            let table: [(UInt, String)] = [
                (UInt(MS_RDONLY), "ro"), (UInt(MS_NODEV), "nodev"), (UInt(MS_NOSUID), "nosuid"),
                (UInt(MS_NOEXEC), "noexec"), (UInt(MS_NOATIME), "noatime"),
                (UInt(MS_NODIRATIME), "nodiratime"), (UInt(MS_RELATIME), "relatime"),
                (UInt(256), "nosymfollow"),
            ]
            return table.filter { flags & $0.0 != 0 }.map(\.1).joined(separator: ",")
        }
    }

    static let ro = UInt(MS_RDONLY), nodev = UInt(MS_NODEV), nosuid = UInt(MS_NOSUID), noexec = UInt(MS_NOEXEC)
    static let noatime = UInt(MS_NOATIME), nodiratime = UInt(MS_NODIRATIME), relatime = UInt(MS_RELATIME)
    static let nosymfollow = UInt(256)

    /// Runs a container with one bind of a host tmpfs carrying `source` flags at /mnt;
    /// returns the bind's options inside, or nil when the run failed (with its result).
    func run(_ s: Sandbox, userns: Bool, source: UInt, options: [String]) throws -> (Set<String>?, ProcResult) {
        let name = "src-\(s.ids.count)"
        let path = try s.hostTmpfs(name, flags: source)
        let hostBefore = hostOptionsOf(path)
        var c = Config.base()
        if userns { c.useUserNamespace() }
        c.addMount("/mnt", type: "bind", source: path, options: options)
        c.shell("grep ' /mnt ' /proc/self/mounts")
        let b = try s.newBundle("b-\(s.ids.count)", config: c)
        let r = s.berth(["run", "--bundle", b.path, s.newID()])
        // The host's source is untouched and nothing of the container stays mounted.
        #expect(hostOptionsOf(path) == hostBefore, "host flags changed: \(hostOptionsOf(path)) vs \(hostBefore)")
        #expect(Host.hostMounts(containing: path).count == 1, "\(Host.hostMounts(containing: path))")
        guard r.status == 0 else { return (nil, r) }
        return (optionsOf(r.stdout, "/mnt"), r)
    }

    func check(_ s: Sandbox, userns: Bool, _ source: UInt, _ options: [String], has: Set<String>, lacks: Set<String>) throws {
        let (got, r) = try run(s, userns: userns, source: source, options: options)
        let what = "\(options.joined(separator: ",")) over \(MountFlagNames.names(source))\(userns ? " (userns)" : "")"
        guard let got else {
            Issue.record("\(what) failed: \(r)")
            return
        }
        #expect(got.isSuperset(of: has), "\(what): \(got) lacks some of \(has)")
        #expect(got.isDisjoint(with: lacks), "\(what): \(got) has some of \(lacks)")
    }

    func fails(_ s: Sandbox, _ source: UInt, _ options: [String]) throws {
        let (got, r) = try run(s, userns: true, source: source, options: options)
        let what = "\(options.joined(separator: ",")) over \(MountFlagNames.names(source)) (userns)"
        #expect(got == nil && r.stderr.contains("operation not permitted"), "\(what) must fail: \(r)")
        #expect(r.stderr.lines.count == 1, "\(r)")
    }

    @Test("ro, nodev, nosuid, noexec and nosymfollow: kept, set and cleared as runc does", arguments: [false, true])
    func flags(userns: Bool) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        // mount(8)'s --bind with no options: every flag of the source is kept.
        try check(
            s, userns: userns, Self.ro | Self.noexec | Self.nosymfollow | Self.nodiratime, ["bind"],
            has: ["ro", "noexec", "nosymfollow", "nodiratime"], lacks: ["rw"])
        // An implied-rw bind of a read-only source: rw without a user namespace; with one
        // the locked ro stays.
        try check(
            s, userns: userns, Self.ro, ["bind", "nosuid", "nodev", "rprivate"],
            has: userns ? ["ro", "nosuid", "nodev"] : ["rw", "nosuid", "nodev"], lacks: userns ? ["rw"] : ["ro"])
        // A clearing flag: the unnamed flags go too, except locked ones in a user namespace;
        // nosymfollow is never locked.
        try check(
            s, userns: userns, Self.ro | Self.noexec | Self.nosymfollow | Self.nodiratime, ["bind", "dev"],
            has: userns ? ["ro", "noexec", "nodiratime"] : ["rw", "nodiratime"],
            lacks: userns ? ["nosymfollow", "rw"] : ["ro", "noexec", "nosymfollow"])
        // ro over nodev,nosuid,noexec,noatime: the union in a user namespace.
        try check(
            s, userns: userns, Self.nodev | Self.nosuid | Self.noexec | Self.noatime, ["bind", "ro"],
            has: userns ? ["ro", "nodev", "nosuid", "noexec"] : ["ro"],
            lacks: userns ? ["rw"] : ["nodev", "nosuid", "noexec"])
        // ro,symfollow over nodev,nosymfollow.
        try check(
            s, userns: userns, Self.nodev | Self.nosymfollow, ["bind", "ro", "symfollow"],
            has: userns ? ["ro", "nodev"] : ["ro"], lacks: userns ? ["nosymfollow"] : ["nodev", "nosymfollow"])
        try check(
            s, userns: userns, Self.nodev | Self.nosymfollow, ["bind", "rw"],
            has: userns ? ["rw", "nodev"] : ["rw"], lacks: ["nosymfollow"])
        // dev,exec,suid,atime over nodev,nosuid,noexec,noatime: cleared without a user
        // namespace (an atime cleared the "naive" way is kept, as with mount(8)).
        if !userns {
            try check(
                s, userns: false, Self.nodev | Self.nosuid | Self.noexec | Self.noatime, ["bind", "dev", "suid", "exec", "atime"],
                has: ["rw", "noatime"], lacks: ["nodev", "nosuid", "noexec"])
            try check(s, userns: false, Self.ro, ["bind", "rw", "nosuid", "nodev", "rprivate"], has: ["rw", "nosuid", "nodev"], lacks: ["ro"])
        }
    }

    @Test("a bind that asks to clear a flag the kernel locked fails, in a user namespace")
    func lockedFlagsFail() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        try fails(s, Self.ro, ["bind", "rw", "nosuid", "nodev", "rprivate"])
        try fails(s, Self.nodev | Self.nosuid | Self.noexec | Self.noatime, ["bind", "dev", "suid", "exec", "atime"])
        #expect(s.stateEntries().isEmpty, "\(s.stateEntries())")
    }

    @Test("noatime, relatime and strictatime on binds", arguments: [false, true])
    func atime(userns: Bool) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        if userns {
            // Unnamed, the source's setting is inherited.
            try check(s, userns: true, Self.relatime, ["bind"], has: ["relatime"], lacks: ["noatime"])
            try check(s, userns: true, Self.noatime | Self.nodiratime, ["bind"], has: ["noatime", "nodiratime"], lacks: [])
            try check(s, userns: true, Self.noatime | Self.nodiratime, ["bind", "norelatime"], has: ["noatime", "nodiratime"], lacks: [])
            // Another setting asked for: the locked one cannot change.
            try fails(s, Self.nodiratime, ["bind", "strictatime"])
            try fails(s, Self.relatime, ["bind", "noatime"])
            try fails(s, 0, ["bind", "relatime"])
            try fails(s, Self.noatime, ["bind", "relatime"])
        } else {
            try check(s, userns: false, Self.noatime, ["bind"], has: ["noatime"], lacks: ["relatime"])
            try check(s, userns: false, Self.noatime, ["bind", "atime"], has: ["noatime"], lacks: ["relatime"])
            try check(s, userns: false, Self.noatime, ["bind", "relatime"], has: ["relatime"], lacks: ["noatime"])
            try check(s, userns: false, Self.noatime, ["bind", "nodiratime"], has: ["nodiratime", "relatime"], lacks: ["noatime"])
            try check(s, userns: false, Self.nodiratime, ["bind", "strictatime"], has: [], lacks: ["noatime", "relatime", "nodiratime"])
            try check(s, userns: false, Self.noatime, ["bind", "nodiratime", "strictatime"], has: ["nodiratime"], lacks: ["noatime", "relatime"])
        }
    }

    @Test("rro and r*atime reach every mount below an rbind; ro alone only the top one")
    func recursiveAttributes() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let tree = s.dir + "/tree"
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        let sub = try s.hostTmpfs("tree/sub")
        for (dest, options) in [("/mnt", ["rbind", "rro"]), ("/srv", ["rbind", "ro"])] {
            s.bundle.config.addMount(dest, type: "bind", source: tree, options: options)
        }
        s.bundle.config.addMount("/tmp", type: "bind", source: tree, options: ["rbind", "ro", "rro", "rnoatime", "rnosuid"])
        let r = try s.sh(
            "for f in /mnt /mnt/sub /srv /srv/sub /tmp/sub; do touch $f/new 2>/dev/null && echo $f:rw || echo $f:ro; done; cat /proc/self/mounts")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.lines.prefix(5) == ["/mnt:ro", "/mnt/sub:ro", "/srv:ro", "/srv/sub:rw", "/tmp/sub:ro"], "\(r)")
        #expect(optionsOf(r.stdout, "/tmp/sub").isSuperset(of: ["ro", "noatime", "nosuid"]), "\(r)")
        // The host's submount stays writable; the file the container wrote is there.
        #expect(hostOptionsOf(sub).contains("rw"))
        #expect(FileManager.default.fileExists(atPath: sub + "/new"))
        #expect(!FileManager.default.fileExists(atPath: tree + "/new"))
        try FileManager.default.removeItem(atPath: sub + "/new")
        #expect(FileManager.default.isWritableFile(atPath: sub))
    }

    @Test("mounts appear in the container's mountinfo in config order, after / and /proc", arguments: [false, true])
    func mountinfoOrder(userns: Bool) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        if userns { s.bundle.config.useUserNamespace() }
        let src = s.dir + "/src"
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        s.bundle.config.addMount("/tmp", type: "tmpfs", source: "tmpfs", options: ["size=1m"])
        s.bundle.config.addMount("/mnt", type: "bind", source: src, options: ["bind"])
        s.bundle.config.addMount("/tmp/x", type: "tmpfs", source: "tmpfs", options: ["size=1m"])
        s.bundle.config.addMount("/srv", type: "bind", source: src, options: ["rbind", "ro"])
        let r = try s.sh("cut -d' ' -f5 /proc/self/mountinfo")
        #expect(r.status == 0, "\(r)")
        let points = r.stdout.lines
        let configured = s.bundle.config.mounts.compactMap { $0["destination"] as? String }
        // Where each config mount first appears (the cgroup mount is several lines).
        let positions = configured.compactMap { points.firstIndex(of: $0) }
        #expect(positions.count == configured.count, "\(points)")
        #expect(positions == positions.sorted(), "config order \(configured), mountinfo \(points)")
        #expect(points.prefix(2) == ["/", "/proc"], "\(points)")
    }
}
