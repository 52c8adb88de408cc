import Testing

@testable import BerthSpec

/// Validation of process.scheduler, process.execCPUAffinity, linux.memoryPolicy and
/// linux.personality, and the CPU/node list format they use.
@Suite struct ExecutionAttributeValidationTests {
    private func base() -> Spec {
        Spec(
            ociVersion: "1.2.0", process: Process(args: ["sh"], cwd: "/"), root: Root(path: "rootfs"),
            linux: Linux(namespaces: [LinuxNamespace(.pid), LinuxNamespace(.mount)]))
    }

    private func message(_ spec: Spec) -> String? {
        do { try spec.validate(); return nil } catch { return error.message }
    }

    @Test func cpuList() throws {
        #expect(try CPUList.parse("0-3,7", limit: 100).get() == [0, 1, 2, 3, 7])
        #expect(try CPUList.parse(" 2 , 0-1 ,1", limit: 100).get() == [0, 1, 2])
        #expect(try CPUList.parse("", limit: 100).get() == [])
        for bad in ["x", "1-", "-1", "3-1", "0,,1", "101", "0-9876543210", "1.5"] {
            #expect((try? CPUList.parse(bad, limit: 100).get()) == nil, "\(bad)")
        }
    }

    @Test func scheduler() {
        var s = base()
        s.process?.scheduler = Scheduler(policy: "SCHED_BATCH", nice: 19)
        #expect(message(s) == nil)
        s.process?.scheduler = Scheduler(policy: "")
        #expect(message(s) == "process.scheduler.policy: scheduler policy is required")
        s.process?.scheduler = Scheduler(policy: "SCHED_FAST")
        #expect(message(s) == #"process.scheduler.policy: unknown policy "SCHED_FAST""#)
        s.process?.scheduler = Scheduler(policy: "SCHED_OTHER", nice: 20)
        #expect(message(s) == "process.scheduler.nice: invalid scheduler.nice: 20 (outside -20...19)")
        s.process?.scheduler = Scheduler(policy: "SCHED_OTHER", priority: 5)
        #expect(message(s)?.contains("scheduler.priority can only be specified for SCHED_FIFO or SCHED_RR") == true)
        s.process?.scheduler = Scheduler(policy: "SCHED_RR", priority: 5)
        #expect(message(s) == nil)
        s.process?.scheduler = Scheduler(policy: "SCHED_OTHER", runtime: 1)
        #expect(message(s)?.contains("runtime/deadline/period can only be specified for SCHED_DEADLINE") == true)
        s.process?.scheduler = Scheduler(
            policy: "SCHED_DEADLINE", flags: ["SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_NOPE"],
            runtime: 1, deadline: 2, period: 3)
        #expect(message(s) == #"process.scheduler.flags[1]: unknown flag "SCHED_FLAG_NOPE""#)
    }

    @Test func execCPUAffinity() {
        var s = base()
        s.process?.execCPUAffinity = CPUAffinity(initial: "0-1", final: "")
        #expect(message(s) == nil)
        s.process?.execCPUAffinity = CPUAffinity(final: "2-1")
        #expect(message(s) == #"process.execCPUAffinity.final: invalid CPU list "2-1": range 2-1: start greater than end"#)
        s.process?.execCPUAffinity = CPUAffinity(initial: " , ")
        #expect(message(s)?.hasPrefix(#"process.execCPUAffinity.initial: invalid CPU list"#) == true)
    }

    @Test func memoryPolicy() {
        var s = base()
        func policy(_ p: LinuxMemoryPolicy) -> String? {
            s.linux?.memoryPolicy = p
            return message(s)
        }
        #expect(policy(LinuxMemoryPolicy(mode: "")) == nil)  // {}: no policy, as with runc
        #expect(policy(LinuxMemoryPolicy(mode: "MPOL_INTERLEAVE", nodes: "0-1")) == nil)
        #expect(policy(LinuxMemoryPolicy(mode: "MPOL_LOCAL")) == nil)
        #expect(policy(LinuxMemoryPolicy(mode: "", nodes: "0")) == #"linux.memoryPolicy.mode: invalid memory policy mode """#)
        #expect(policy(LinuxMemoryPolicy(mode: "MPOL_X", nodes: "0")) == #"linux.memoryPolicy.mode: invalid memory policy mode "MPOL_X""#)
        #expect(
            policy(LinuxMemoryPolicy(mode: "MPOL_BIND", nodes: "0", flags: ["MPOL_F_X"]))
                == #"linux.memoryPolicy.flags[0]: invalid memory policy flag "MPOL_F_X""#)
        #expect(policy(LinuxMemoryPolicy(mode: "MPOL_LOCAL", nodes: "0")) == "linux.memoryPolicy.nodes: MPOL_LOCAL takes no nodes, got 1")
        #expect(policy(LinuxMemoryPolicy(mode: "MPOL_PREFERRED_MANY")) == "linux.memoryPolicy.nodes: MPOL_PREFERRED_MANY needs at least one node")
        #expect(
            policy(LinuxMemoryPolicy(mode: "MPOL_BIND", nodes: "1024"))
                == #"linux.memoryPolicy.nodes: invalid memory policy nodes "1024": 1024 is out of range (at most 1023)"#)
    }

    @Test func memoryPolicyDecodesAndEncodes() throws {
        let json =
            #"{"ociVersion":"1.2.0","root":{"path":"r"},"linux":{"memoryPolicy":{"mode":"MPOL_BIND","nodes":"0","flags":["MPOL_F_STATIC_NODES"]}}}"#
        let spec = try SpecLoader.decode(Array(json.utf8))
        #expect(spec.linux?.memoryPolicy == LinuxMemoryPolicy(mode: "MPOL_BIND", nodes: "0", flags: ["MPOL_F_STATIC_NODES"]))
    }

    @Test func personality() {
        var s = base()
        s.linux?.personality = LinuxPersonality(domain: "LINUX32")
        #expect(message(s) == nil)
        s.linux?.personality = LinuxPersonality(domain: "linux")
        #expect(message(s) == #"linux.personality.domain: invalid personality domain "linux""#)
    }
}
