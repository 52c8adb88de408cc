import BerthCgroups
import Testing

@Suite struct CgroupPathTests {
    @Test func absoluteIsUsedAsGiven() throws {
        #expect(try CgroupPath.resolve("/a/b", id: "c", parent: "/user.slice", systemd: false) == "/a/b")
    }

    @Test func relativeGoesUnderParent() throws {
        #expect(try CgroupPath.resolve("x/y", id: "c", parent: "/user.slice", systemd: false) == "/user.slice/x/y")
    }

    @Test func emptyIsIDUnderParent() throws {
        #expect(try CgroupPath.resolve(nil, id: "c1", parent: "/", systemd: false) == "/c1")
        #expect(try CgroupPath.resolve("", id: "c1", parent: "/p", systemd: false) == "/p/c1")
    }

    @Test func systemdSliceIsExpanded() throws {
        #expect(
            try CgroupPath.resolve("system.slice:docker:abc", id: "c", parent: "/", systemd: true)
                == "/system.slice/docker-abc.scope")
        #expect(
            try CgroupPath.resolve("a-b-c.slice:berth:x", id: "c", parent: "/", systemd: true)
                == "/a.slice/a-b.slice/a-b-c.slice/berth-x.scope")
    }

    @Test func invalidSystemdPathIsRejected() {
        #expect(throws: CgroupPathError.self) {
            try CgroupPath.resolve("nocolons", id: "c", parent: "/", systemd: true)
        }
        #expect(throws: CgroupPathError.self) {
            try CgroupPath.resolve("bad:berth:x", id: "c", parent: "/", systemd: true)
        }
    }
}
