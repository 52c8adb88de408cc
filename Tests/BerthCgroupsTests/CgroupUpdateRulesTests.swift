import BerthSpec
import Testing

@testable import BerthCgroups

/// v1 device rules as minimal transitions, and exec --cgroup paths.
@Suite struct CgroupUpdateRulesTests {
    static let denyAll = LinuxDeviceCgroup(allow: false, access: "rwm")

    @Test func freshCgroupGetsDenyAllThenTheRules() {
        let current = DeviceState.parseList("a *:* rwm\n")
        let lines = current.transition(to: DeviceRules.target([Self.denyAll]))
        #expect(lines.first.map { $0.0 == false && $0.1 == "a" } == true)
        #expect(lines.dropFirst().allSatisfy { $0.0 })
        #expect(lines.contains { $0 == (true, "c 1:3 rwm") })
    }

    @Test func sameRulesAgainWriteNothing() {
        let target = DeviceRules.target([Self.denyAll])
        let list = DeviceRules.always.joined(separator: "\n") + "\n"
        #expect(DeviceState.parseList(list).transition(to: target).isEmpty)
    }

    @Test func onlyTheDifferenceIsWritten() {
        let fuse = LinuxDeviceCgroup(allow: true, type: "c", major: 10, minor: 229, access: "rw")
        let before = DeviceState.parseList(DeviceRules.always.joined(separator: "\n") + "\nc 10:200 rwm\n")
        let lines = before.transition(to: DeviceRules.target([Self.denyAll, fuse]))
        #expect(lines.count == 2)
        #expect(lines[0] == (false, "c 10:200 rwm"))
        #expect(lines[1] == (true, "c 10:229 rw"))
    }

    @Test func laterRulesOverrideEarlierOnes() {
        let allowRW = LinuxDeviceCgroup(allow: true, type: "c", major: 10, minor: 229, access: "rw")
        let denyW = LinuxDeviceCgroup(allow: false, type: "c", major: 10, minor: 229, access: "w")
        let state = DeviceRules.target([Self.denyAll, allowRW, denyW])
        #expect(state.access(DeviceState.Key(type: "c", major: 10, minor: 229)) == DeviceState.Access("r"))
    }

    @Test func subCgroupPaths() throws {
        let set = CgroupSet(paths: ["/sys/fs/cgroup/cpu/ct", "/sys/fs/cgroup/memory/ct"], unified: false)
        let layout = CgroupLayout(
            mode: .legacy,
            hierarchies: [
                .init(mountPoint: "/sys/fs/cgroup/cpu", root: "/", controllers: ["cpu"]),
                .init(mountPoint: "/sys/fs/cgroup/memory", root: "/", controllers: ["memory"]),
            ])
        #expect(
            try set.directories(subCgroups: ["": "a/b"], layout: layout)
                == ["/sys/fs/cgroup/cpu/ct/a/b", "/sys/fs/cgroup/memory/ct/a/b"])
        #expect(
            try set.directories(subCgroups: ["memory": "m"], layout: layout)
                == ["/sys/fs/cgroup/cpu/ct", "/sys/fs/cgroup/memory/ct/m"])
        #expect(try set.directories(subCgroups: ["": "/"], layout: layout) == set.paths)
        #expect(
            try set.directories(subCgroups: ["": "x/../y"], layout: layout)
                == ["/sys/fs/cgroup/cpu/ct/y", "/sys/fs/cgroup/memory/ct/y"])
        for bad in ["..", "../ct-sibling", "a/../../b"] {
            #expect(throws: CgroupPathError.self) { try set.directories(subCgroups: ["": bad], layout: layout) }
        }
        #expect(throws: CgroupPathError.self) { try set.directories(subCgroups: ["blkio": "x"], layout: layout) }
    }
}
