// pivot_root, --no-pivot, and a rootfs on ramfs (where pivot_root is impossible).
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("pivot_root and chroot")
struct PivotTests {
    static let listing = "ls / | sort | tr '\\n' ' '; echo; grep ' / ' /proc/self/mountinfo | head -1; ls /work 2>&1 | head -1"

    @Test("--no-pivot runs the container with the rootfs as /")
    func noPivot() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell(PivotTests.listing)
        try s.bundle.write()
        let r = s.berth(["run", "--no-pivot", "--bundle", s.bundle.path, s.newID()])
        #expect(r.status == 0, "\(r)")
        let expected = try FileManager.default.contentsOfDirectory(atPath: Host.rootfsPath).sorted().joined(separator: " ") + " "
        #expect(r.stdout.lines.first == expected, "\(r)")
        #expect(r.stdout.contains("No such file or directory"), "the host's /work is visible: \(r)")
        // create --no-pivot too.
        let id = s.newID()
        #expect(s.berth(["create", "--no-pivot", "--bundle", s.bundle.path, id]).status == 0)
        #expect(s.berth(["start", id]).status == 0)
        #expect(s.waitForStatus(id, "stopped"))
    }

    @Test("a rootfs on ramfs works, with --no-pivot and without")
    func ramfsRootfs() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let ram = s.dir + "/ramfs"
        try FileManager.default.createDirectory(atPath: ram, withIntermediateDirectories: true)
        #expect(mount("ramfs", ram, "ramfs", 0, nil) == 0, "mount ramfs: \(errno)")
        s.onCleanup { umount2(ram, Int32(MNT_DETACH)) }
        let cp = Runner.run("/bin/sh", ["-c", "cp -a \(Host.shellQuote(Host.rootfsPath))/. \(Host.shellQuote(ram))/"], ioDir: s.io)
        #expect(cp.status == 0, "\(cp)")
        s.bundle.config["root.path"] = ram
        s.bundle.config.shell("echo ramfs-ok; " + PivotTests.listing)
        try s.bundle.write()

        let np = s.berth(["run", "--no-pivot", "--bundle", s.bundle.path, s.newID()])
        #expect(np.status == 0, "\(np)")
        #expect(np.stdout.lines.first == "ramfs-ok", "\(np)")

        // Without --no-pivot: pivot_root(2) fails on ramfs (EINVAL), so the runtime must
        // notice and fall back to MS_MOVE + chroot by itself (runc 1.1.5 does too).
        let auto = s.berth(["run", "--bundle", s.bundle.path, s.newID()])
        #expect(auto.status == 0, "the runtime must fall back to chroot on ramfs: \(auto)")
        #expect(auto.stdout.lines.first == "ramfs-ok", "\(auto)")
        #expect(auto.stdout.contains("No such file or directory"), "host /work visible: \(auto)")
        #expect(s.stateEntries().isEmpty, "\(s.stateEntries())")
    }
}
