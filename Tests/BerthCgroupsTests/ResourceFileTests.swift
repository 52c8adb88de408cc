import BerthSpec
import Foundation
import Testing

@testable import BerthCgroups

/// `linux.resources` written into temporary directories laid out like a v2 cgroup, a
/// set of v1 hierarchies, and a hybrid host (v1 controllers beside a controller-less v2
/// tree), checked file by file. The files exist empty beforehand, as a kernel offers them.
@Suite struct ResourceFileTests {
    final class Tree {
        let root: URL
        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("berth-cgfix-\(UInt32.random(in: 0...UInt32.max))")
        }
        deinit { try? FileManager.default.removeItem(at: root) }

        /// A directory `name` holding empty `files`.
        func hierarchy(_ name: String, _ files: [String]) throws -> String {
            let dir = root.appendingPathComponent(name).path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for file in files { _ = FileManager.default.createFile(atPath: dir + "/" + file, contents: Data()) }
            return dir
        }

        func read(_ dir: String, _ file: String) -> String {
            (try? String(contentsOfFile: dir + "/" + file, encoding: .utf8)) ?? "<missing>"
        }
    }

    static let resources = LinuxResources(
        memory: LinuxMemory(limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20),
        cpu: LinuxCPU(shares: 1024, quota: 50_000, period: 100_000, cpus: "0"),
        pids: LinuxPids(limit: 10))

    @Test func unified() throws {
        let tree = try Tree()
        let dir = try tree.hierarchy(
            "c",
            [
                "memory.max", "memory.swap.max", "memory.low", "pids.max", "cpu.max",
                "cpu.weight", "cpuset.cpus", "memory.current",
            ])
        try ResourceWriter(set: CgroupSet(paths: [dir], unified: true)).apply(Self.resources)
        #expect(tree.read(dir, "memory.max") == "67108864")
        // memory+swap in the spec, swap alone in the file.
        #expect(tree.read(dir, "memory.swap.max") == "67108864")
        #expect(tree.read(dir, "memory.low") == "33554432")
        #expect(tree.read(dir, "pids.max") == "10")
        #expect(tree.read(dir, "cpu.max") == "50000 100000")
        // shares 1024 as runc converts them: 1 + (1024 - 2) * 9999 / 262142.
        #expect(tree.read(dir, "cpu.weight") == "39")
        #expect(tree.read(dir, "cpuset.cpus") == "0")
    }

    @Test func v1Hierarchies() throws {
        let tree = try Tree()
        let memory = try tree.hierarchy(
            "memory/c",
            [
                "memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
                "memory.soft_limit_in_bytes",
            ])
        let cpu = try tree.hierarchy("cpu,cpuacct/c", ["cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us"])
        let pids = try tree.hierarchy("pids/c", ["pids.max"])
        let cpuset = try tree.hierarchy("cpuset/c", ["cpuset.cpus"])
        let set = CgroupSet(paths: [memory, cpu, pids, cpuset], unified: false)
        try ResourceWriter(set: set).apply(Self.resources)
        #expect(tree.read(memory, "memory.limit_in_bytes") == "67108864")
        #expect(tree.read(memory, "memory.memsw.limit_in_bytes") == "134217728")
        #expect(tree.read(memory, "memory.soft_limit_in_bytes") == "33554432")
        #expect(tree.read(cpu, "cpu.shares") == "1024")
        #expect(tree.read(cpu, "cpu.cfs_quota_us") == "50000")
        #expect(tree.read(cpu, "cpu.cfs_period_us") == "100000")
        #expect(tree.read(pids, "pids.max") == "10")
        #expect(tree.read(cpuset, "cpuset.cpus") == "0")
    }

    @Test func hybridWritesTheV1ControllersOnly() throws {
        let tree = try Tree()
        let memory = try tree.hierarchy("memory/c", ["memory.limit_in_bytes"])
        let pids = try tree.hierarchy("pids/c", ["pids.max"])
        // The controller-less v2 tree of a hybrid host holds only cgroup.* files.
        let unified = try tree.hierarchy("unified/c", ["cgroup.procs"])
        let set = CgroupSet(paths: [memory, pids, unified], unified: false)
        try ResourceWriter(set: set).apply(LinuxResources(memory: LinuxMemory(limit: 1 << 30), pids: LinuxPids(limit: -1)))
        #expect(tree.read(memory, "memory.limit_in_bytes") == "1073741824")
        #expect(tree.read(pids, "pids.max") == "max")
        #expect(try FileManager.default.contentsOfDirectory(atPath: unified) == ["cgroup.procs"])
        #expect(tree.read(unified, "cgroup.procs") == "")
    }

    @Test func unsetAndZeroFieldsLeaveFilesAlone() throws {
        let tree = try Tree()
        let dir = try tree.hierarchy("c", ["memory.max", "pids.max", "cpu.max", "cpu.weight"])
        try ResourceWriter(set: CgroupSet(paths: [dir], unified: true))
            .apply(LinuxResources(memory: LinuxMemory(limit: 0), cpu: LinuxCPU(shares: 0)))
        for file in ["memory.max", "pids.max", "cpu.max", "cpu.weight"] { #expect(tree.read(dir, file) == "", "\(file)") }
    }
}
