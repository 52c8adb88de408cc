import BerthCgroups
import BerthSpec
import Glibc
import Testing

/// The cgroup v2 device program must pass the kernel's verifier (loading needs root but
/// no cgroup v2 host; attaching and enforcement are tested on a v2 kernel).
@Suite struct DeviceProgramTests {
    @Test func programLoads() throws {
        try #require(getuid() == 0, "loading a BPF program needs root")
        let rules = [
            LinuxDeviceCgroup(allow: false, type: nil, major: nil, minor: nil, access: "rwm"),
            LinuxDeviceCgroup(allow: true, type: "c", major: 10, minor: 229, access: "rw"),
            LinuxDeviceCgroup(allow: false, type: "b", major: 7, minor: nil, access: "r"),
        ]
        let fd = try DeviceProgram.load(rules)
        #expect(fd >= 0)
        close(fd)
    }
}
