import Testing

@testable import BerthCgroups

/// The mountinfo pre-filter of `CgroupLayout.detect`: the lines of cgroup mounts go on to
/// the full parse, the others are skipped before they are split.
@Suite struct CgroupLayoutTests {
    static func line(_ text: String) -> ArraySlice<UInt8> { ArraySlice(Array(text.utf8)) }

    @Test(arguments: [
        "30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid shared:11 - cgroup cgroup rw,memory",
        "27 25 0:23 / /sys/fs/cgroup/unified rw,nosuid shared:8 - cgroup2 cgroup2 rw,nsdelegate",
        "40 30 0:26 /docker/x /sys/fs/cgroup/memory ro - cgroup cgroup ro,memory",
        "50 1 0:30 / /mnt/a\\040-\\040cgroup rw - cgroup none rw,name=systemd",
    ])
    func cgroupLinesPass(_ text: String) {
        #expect(CgroupLayout.hasCgroupType(Self.line(text)))
    }

    @Test(arguments: [
        "22 27 0:21 / /proc rw,relatime - proc proc rw",
        "23 27 0:22 / /sys rw - sysfs sysfs rw",
        "60 27 0:40 / /mnt/cgroup rw - tmpfs cgroup rw",
        "61 27 0:41 / /mnt/x rw - cgroupfs x rw",
        "",
        " - cgrou",
    ])
    func otherLinesDoNot(_ text: String) {
        #expect(!CgroupLayout.hasCgroupType(Self.line(text)))
    }

    @Test func thisHostsLayoutIsFound() {
        // Every host berth's tests run on has cgroups mounted.
        #expect(!CgroupLayout.detect().hierarchies.isEmpty)
    }
}
