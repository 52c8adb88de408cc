import Foundation
import Testing

@testable import BerthCgroups

/// `isEffectivelyFrozen` on directories laid out like v1 and v2 cgroups: which files it
/// takes as "frozen", and that a directory `create` just made is judged by its events
/// alone (its own cgroup.freeze is 0 then; the kernel marks it frozen in cgroup.events
/// under a freezing ancestor).
@Suite struct FrozenCheckTests {
    private func directory(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("berth-frz-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: Data(text.utf8)) }
        return dir
    }

    @Test func v2EventsAndFreezeFile() throws {
        let frozen = try directory(["cgroup.events": "populated 0\nfrozen 1\n", "cgroup.freeze": "0\n"])
        let freezing = try directory(["cgroup.events": "populated 1\nfrozen 0\n", "cgroup.freeze": "1\n"])
        let thawed = try directory(["cgroup.events": "populated 0\nfrozen 0\n", "cgroup.freeze": "0\n"])
        defer { for d in [frozen, freezing, thawed] { try? FileManager.default.removeItem(atPath: d) } }
        #expect(CgroupSet(paths: [frozen], created: [], unified: true).isEffectivelyFrozen())
        #expect(CgroupSet(paths: [frozen], created: [frozen], unified: true).isEffectivelyFrozen())
        // An existing cgroup whose freeze is still in progress counts as frozen.
        #expect(CgroupSet(paths: [freezing], created: [], unified: true).isEffectivelyFrozen())
        // A directory just made is never in that state: its cgroup.freeze is not read.
        #expect(!CgroupSet(paths: [freezing], created: [freezing], unified: true).isEffectivelyFrozen())
        #expect(!CgroupSet(paths: [thawed], created: [], unified: true).isEffectivelyFrozen())
    }

    @Test func v1FreezerState() throws {
        let frozen = try directory(["freezer.state": "FROZEN\n"])
        let thawed = try directory(["freezer.state": "THAWED\n"])
        defer { for d in [frozen, thawed] { try? FileManager.default.removeItem(atPath: d) } }
        // A v1 directory just made under a frozen parent says FROZEN itself: still read.
        #expect(CgroupSet(paths: [frozen], created: [frozen], unified: false).isEffectivelyFrozen())
        #expect(!CgroupSet(paths: [thawed], created: [], unified: false).isEffectivelyFrozen())
    }
}
