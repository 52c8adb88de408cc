// exec --cgroup: a process placed in an existing sub-cgroup of the container's cgroup,
// with runc's forms (`PATH`, `CONTROLLER[,CONTROLLER]:PATH`), checks and wording.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("exec --cgroup")
struct ExecCgroupTests {
    @Test("exec --cgroup joins sub-cgroups the container made, per controller or in every hierarchy")
    func joinsSubcgroups() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        let cg = try s.runWithCgroup(id) { b in b.config.writableCgroupMount() }
        if HostCgroup.isPureV2 {
            #expect(s.berth(["exec", id, "mkdir", "/sys/fs/cgroup/foobar"]).status == 0)
            let r = s.berth(["exec", "--cgroup", "foobar", id, "cat", "/proc/self/cgroup"])
            #expect(r.status == 0 && r.stdout.contains("0::\(cg.rel)/foobar"), "\(r)")
            return
        }
        // Inside: the container makes its sub-cgroups (cpu and cpuacct may share a mount).
        let everywhere = HostCgroup.mounts.map { "/sys/fs/cgroup/" + ($0.point as NSString).lastPathComponent + "/all" }
        let mk = s.berth([
            "exec", id, "sh", "-euc",
            "mkdir -p /sys/fs/cgroup/memory/submem /sys/fs/cgroup/cpu/subcpu /sys/fs/cgroup/cpuacct/subcpu "
                + everywhere.joined(separator: " "),
        ])
        #expect(mk.status == 0, "\(mk)")
        let r = s.berth(["exec", "--cgroup", "memory:submem", "--cgroup", "cpu,cpuacct:subcpu", id, "cat", "/proc/self/cgroup"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains(":memory:\(cg.rel)/submem\n"), "\(r)")
        #expect(r.stdout.contains(":cpu:\(cg.rel)/subcpu\n") || r.stdout.contains(":cpu,cpuacct:\(cg.rel)/subcpu\n"), "\(r)")
        #expect(r.stdout.contains(":pids:\(cg.rel)\n"), "a hierarchy not named moved: \(r)")
        // From the host: a detached process sits in the sub-cgroup's cgroup.procs.
        let pidFile = s.dir + "/exec.pid"
        #expect(s.berth(["exec", "-d", "--pid-file", pidFile, "--cgroup", "memory:submem", id, "sleep", "100"]).status == 0)
        let pid = try #require(Host.readFile(pidFile)?.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(cg.read("memory", "submem/cgroup.procs")?.split(separator: "\n").contains(Substring(pid)) == true)
        // A path alone applies to every hierarchy.
        let all = s.berth(["exec", "--cgroup", "all", id, "cat", "/proc/self/cgroup"])
        #expect(all.status == 0, "\(all)")
        let lines = all.stdout.split(separator: "\n")
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasSuffix("\(cg.rel)/all") }, "\(all)")
        // The top: implicit and explicit.
        for args in [["exec", id, "cat", "/proc/self/cgroup"], ["exec", "--cgroup", "/", id, "cat", "/proc/self/cgroup"]] {
            let top = s.berth(args)
            #expect(top.status == 0 && top.stdout.split(separator: "\n").allSatisfy { $0.hasSuffix(":\(cg.rel)") }, "\(top)")
        }
    }

    @Test("exec --cgroup refuses paths out of the container's cgroup, missing sub-cgroups and unknown controllers, in runc's words")
    func refusals() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        let cg = try s.runWithCgroup(id)
        let before = (cg.read("pids", "cgroup.procs") ?? "").split(separator: "\n").count
        // A sibling sharing the container cgroup's name as a prefix.
        let sibling = try #require(cg.dir("cpu")) + "-sibling"
        try FileManager.default.createDirectory(atPath: sibling, withIntermediateDirectories: false)
        s.onCleanup { rmdir(sibling) }
        let siblingName = (sibling as NSString).lastPathComponent
        for sub in ["..", "../\(siblingName)", "../../.."] {
            let r = s.berth(["exec", "--cgroup", sub, id, "true"])
            #expect(r.status != 0 && r.stderr.contains("bad sub cgroup path"), "\(sub): \(r)")
        }
        let missing = s.berth(["exec", "--cgroup", "nonexistent", id, "true"])
        #expect(missing.status != 0, "\(missing)")
        #expect(
            missing.stderr.contains(HostCgroup.isPureV2 ? " cgroup" : " adding pid ") && missing.stderr.contains("o such file or directory"),
            "\(missing)")
        if !HostCgroup.isPureV2 {
            let r = s.berth(["exec", "--cgroup", "cpu:../\(siblingName)", id, "true"])
            #expect(r.status != 0 && r.stderr.contains("bad sub cgroup path"), "\(r)")
            let cpuMissing = s.berth(["exec", "--cgroup", "cpu:nonexistent", id, "true"])
            #expect(
                cpuMissing.status != 0 && cpuMissing.stderr.contains(" adding pid ") && cpuMissing.stderr.contains("o such file or directory"),
                "\(cpuMissing)")
        }
        let unknown = s.berth(["exec", "--cgroup", "whaaat:/", id, "true"])
        #expect(unknown.status != 0 && unknown.stderr.contains("unknown controller "), "\(unknown)")
        // runc's argument checks.
        let twoPaths = s.berth(["exec", "--cgroup", "a", "--cgroup", "b", id, "true"])
        #expect(twoPaths.status != 0 && twoPaths.stderr.contains("invalid --cgroup argument: a (missing <controller>: prefix)"), "\(twoPaths)")
        let empty = s.berth(["exec", "--cgroup", ",memory:x", id, "true"])
        #expect(empty.status != 0 && empty.stderr.contains("(empty <controller> prefix)"), "\(empty)")
        let twice = s.berth(["exec", "--cgroup", "memory:a", "--cgroup", "memory,cpu:b", id, "true"])
        #expect(twice.status != 0 && twice.stderr.contains("controller memory specified multiple times"), "\(twice)")
        // Nothing was left running in the container by the refused execs.
        let procs = (cg.read("pids", "cgroup.procs") ?? "").split(separator: "\n")
        #expect(procs.count == before, "\(procs)")
    }
}
