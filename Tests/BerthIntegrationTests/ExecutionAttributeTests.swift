// How the container's process runs, for the init and for exec: CPU affinity (reset from
// the caller's, process.execCPUAffinity), process.scheduler, process.ioPriority,
// linux.memoryPolicy and linux.personality, as runc applies them.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Execution attributes")
struct ExecutionAttributeTests {
    /// This test process's CPUs (`Cpus_allowed_list`), what a container gets without a cpuset.
    static var hostCPUs: String {
        (Host.readFile("/proc/self/status") ?? "").lines.first { $0.hasPrefix("Cpus_allowed_list:") }?
            .split(separator: "\t").last.map(String.init) ?? "?"
    }

    /// The first and second online CPU (the machine has at least two; a single-CPU machine
    /// makes the affinity cases trivially true).
    static var firstCPUs: (String, String) {
        let online = (Host.readFile("/sys/devices/system/cpu/online") ?? "0").trimmed
        let first = Int(online.prefix { $0.isNumber }) ?? 0
        return (String(first), String(first + 1))
    }

    /// `taskset -c CPU berth --root ROOT args...`
    func pinned(_ s: Sandbox, _ cpu: String, _ args: [String]) -> ProcResult {
        Runner.run("/usr/bin/taskset", ["-c", cpu, Host.binary, "--root", s.root] + args, ioDir: s.io)
    }

    func runDetached(_ s: Sandbox, _ configure: (inout Config) -> Void = { _ in }) throws -> (String, Int32) {
        s.bundle.config.shell("sleep 1000")
        configure(&s.bundle.config)
        try s.bundle.write()
        let id = s.newID()
        let pidFile = s.dir + "/pid-" + id
        let r = s.berth(["run", "-d", "--pid-file", pidFile, "--bundle", s.bundle.path, id])
        try #require(r.status == 0, "\(r)")
        return (id, try #require(Int32(Host.readFile(pidFile) ?? "")))
    }

    func cpusAllowed(_ pid: Int32) -> String? {
        (Host.readFile("/proc/\(pid)/status") ?? "").lines.first { $0.hasPrefix("Cpus_allowed_list:") }?
            .split(separator: "\t").last.map(String.init)
    }

    // MARK: - CPU affinity

    @Test("run and exec: the process does not inherit the caller's CPU affinity (taskset -c), it gets the CPUs its cgroup allows")
    func affinityReset() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (first, second) = Self.firstCPUs
        s.bundle.config.shell("grep Cpus_allowed_list /proc/self/status")
        try s.bundle.write()
        let run = pinned(s, first, ["run", "--bundle", s.bundle.path, s.newID()])
        #expect(run.stdout == "Cpus_allowed_list:\t\(Self.hostCPUs)\n", "\(run)")

        // With a cpuset: its CPUs, also when they do not overlap the caller's.
        for cpus in ["\(first)-\(second)", second] {
            s.bundle.config["linux.resources.cpu"] = ["cpus": cpus, "mems": "0"]
            try s.bundle.write()
            let r = pinned(s, first, ["run", "--bundle", s.bundle.path, s.newID()])
            #expect(r.stdout == "Cpus_allowed_list:\t\(cpus)\n", "\(r)")
        }

        let (id, _) = try runDetached(s) { c in c["linux.resources"] = nil }
        let exec = pinned(s, first, ["exec", id, "grep", "Cpus_allowed_list", "/proc/self/status"])
        #expect(exec.stdout == "Cpus_allowed_list:\t\(Self.hostCPUs)\n", "\(exec)")
    }

    @Test("process.execCPUAffinity: the final CPUs for exec, from config.json or --process; the init is not affected")
    func execCPUAffinity() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (first, second) = Self.firstCPUs
        let (id, initPID) = try runDetached(s) { c in
            c["process.execCPUAffinity"] = ["initial": first, "final": second]
        }
        #expect(cpusAllowed(initPID) == Self.hostCPUs, "execCPUAffinity does not apply to the init")
        let fromConfig = s.berth(["exec", id, "grep", "Cpus_allowed_list", "/proc/self/status"])
        #expect(fromConfig.stdout == "Cpus_allowed_list:\t\(second)\n", "\(fromConfig)")

        for cpus in [second, "\(first)-\(second)", "\(first),\(second)", first] {
            let process: [String: Any] = [
                "terminal": false, "cwd": "/",
                "args": ["grep", "Cpus_allowed_list", "/proc/self/status"],
                "execCPUAffinity": ["initial": cpus, "final": cpus],
            ]
            let path = s.dir + "/process.json"
            try JSONSerialization.data(withJSONObject: process).write(to: URL(fileURLWithPath: path))
            let r = s.berth(["exec", "--process", path, id])
            #expect(r.stdout == "Cpus_allowed_list:\t\(cpus.replacingOccurrences(of: ",", with: "-"))\n", "\(cpus): \(r)")
        }
    }

    @Test("execCPUAffinity: CPUs the machine does not have fail exec with runc's words; a malformed list is refused")
    func execCPUAffinityErrors() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (id, _) = try runDetached(s)
        let path = s.dir + "/process.json"
        let cases: [([String: String], String)] = [
            (["initial": "4000"], "error setting initial CPU affinity: invalid argument"),
            (["final": "4000"], "error setting final CPU affinity: invalid argument"),
            (["initial": "1-0"], "process.execCPUAffinity.initial: invalid CPU list \"1-0\""),
            (["final": "x"], "process.execCPUAffinity.final: invalid CPU list \"x\""),
        ]
        for (affinity, message) in cases {
            let process: [String: Any] = ["cwd": "/", "args": ["true"], "execCPUAffinity": affinity]
            try JSONSerialization.data(withJSONObject: process).write(to: URL(fileURLWithPath: path))
            let r = s.berth(["exec", "--process", path, id])
            #expect(r.status != 0 && r.stderr.contains(message), "\(affinity): \(r)")
        }
        #expect(s.leftoverProcesses().isEmpty)
    }

    // MARK: - scheduler

    @Test("process.scheduler applies to the init and to exec (from config.json, or --process's own)")
    func scheduler() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (id, initPID) = try runDetached(s) { c in
            c["process.scheduler"] = ["policy": "SCHED_BATCH", "priority": 0, "nice": 19]
        }
        let chrt = Runner.run("/usr/bin/chrt", ["-p", "\(initPID)"], ioDir: s.io)
        #expect(chrt.stdout.lines.first?.hasSuffix("scheduling policy: SCHED_BATCH") == true, "\(chrt)")
        // Field 19 of stat is the nice value, 41 the policy (3: SCHED_BATCH).
        let exec = s.berth(["exec", id, "sh", "-c", "cut -d' ' -f19,41 /proc/$$/stat"])
        #expect(exec.stdout == "19 3\n", "\(exec)")

        let process: [String: Any] = [
            "terminal": false, "cwd": "/", "args": ["sleep", "600"],
            "scheduler": [
                "policy": "SCHED_DEADLINE", "flags": ["SCHED_FLAG_RESET_ON_FORK"], "nice": 19, "priority": 0,
                "runtime": 42000, "deadline": 100000, "period": 1000000,
            ],
        ]
        let path = s.dir + "/process.json"
        try JSONSerialization.data(withJSONObject: process).write(to: URL(fileURLWithPath: path))
        let pidFile = s.dir + "/exec.pid"
        let d = s.berth(["exec", "-d", "--pid-file", pidFile, "--process", path, id])
        #expect(d.status == 0, "\(d)")
        let pid = try #require(Int32(Host.readFile(pidFile) ?? ""))
        let dl = Runner.run("/usr/bin/chrt", ["-p", "\(pid)"], ioDir: s.io)
        let lines = dl.stdout.lines
        #expect(lines.first?.hasSuffix("scheduling policy: SCHED_DEADLINE|SCHED_RESET_ON_FORK") == true, "\(dl)")
        #expect(lines.last?.hasSuffix("runtime/deadline/period parameters: 42000/100000/1000000") == true, "\(dl)")
    }

    @Test("a deadline scheduler with a cpuset smaller than the machine: runc's error, nothing left")
    func schedulerVersusCPUs() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("true")
        s.bundle.config["linux.resources.cpu"] = ["cpus": Self.firstCPUs.0, "mems": "0"]
        s.bundle.config["process.scheduler"] = [
            "policy": "SCHED_DEADLINE", "nice": 19, "runtime": 42000,
            "deadline": 1000000, "period": 1000000,
        ]
        try s.expectCreateFails(["process scheduler can't be used together with AllowedCPUs"])
    }

    // MARK: - I/O priority

    @Test("process.ioPriority applies to the init's process group and to exec; --process's own overrides")
    func ioPriority() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (id, _) = try runDetached(s) { c in c["process.ioPriority"] = ["class": "IOPRIO_CLASS_BE", "priority": 4] }
        #expect(s.berth(["exec", id, "ionice", "-p", "1"]).stdout.lines.first == "best-effort: prio 4")
        #expect(s.berth(["exec", id, "ionice"]).stdout.lines.first == "best-effort: prio 4")
        let process: [String: Any] = [
            "terminal": false, "cwd": "/", "args": ["ionice"],
            "ioPriority": ["class": "IOPRIO_CLASS_IDLE"],
        ]
        let path = s.dir + "/process.json"
        try JSONSerialization.data(withJSONObject: process).write(to: URL(fileURLWithPath: path))
        let idle = s.berth(["exec", "--process", path, id])
        #expect(idle.stdout.lines.first == "idle", "\(idle)")
    }

    // MARK: - memory policy

    static let firstMapping = "head -n 1 /proc/self/numa_maps | cut -d ' ' -f 2"

    @Test("linux.memoryPolicy for the process and exec: interleave, bind static, prefer relative, default, {}")
    func memoryPolicy() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let cases: [([String: Any], String)] = [
            (["mode": "MPOL_INTERLEAVE", "nodes": "0"], "interleave:0"),
            (["mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]], "bind=static:0"),
            (["mode": "MPOL_DEFAULT"], "default"),
            ([:], "default"),
        ]
        for (policy, expected) in cases {
            s.bundle.config["linux.memoryPolicy"] = policy
            let r = try s.sh(Self.firstMapping)
            #expect(r.status == 0 && r.stdout == expected + "\n", "\(policy): \(r)")
        }
        let (id, _) = try runDetached(s) { c in
            c["linux.memoryPolicy"] = ["mode": "MPOL_PREFERRED", "nodes": "0", "flags": ["MPOL_F_RELATIVE_NODES"]]
        }
        let exec = s.berth(["exec", id, "sh", "-c", Self.firstMapping])
        #expect(exec.stdout == "prefer=relative:0\n", "\(exec)")
    }

    @Test("linux.memoryPolicy errors: unknown mode or flag, missing mode, nodes with MPOL_DEFAULT, nodes out of range")
    func memoryPolicyErrors() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("true")
        let cases: [([String: Any], String)] = [
            (["mode": "INTERLEAVE", "nodes": "0"], "invalid memory policy mode \"INTERLEAVE\""),
            (
                ["mode": "MPOL_PREFERRED", "nodes": "0", "flags": ["MPOL_F_RELATIVE_NODES", "badflag"]],
                "invalid memory policy flag \"badflag\""
            ),
            (["nodes": "0-7"], "invalid memory policy mode \"\""),
            (["mode": "MPOL_DEFAULT", "nodes": "0-7", "flags": ["MPOL_F_NUMA_BALANCING"]], "MPOL_DEFAULT takes no nodes, got 8"),
            (["mode": "MPOL_BIND", "nodes": "0-9876543210"], "invalid memory policy nodes \"0-9876543210\""),
            (["mode": "MPOL_BIND", "nodes": "1000"], "invalid memory policy node 1000: not a NUMA node of this host"),
            (["mode": "MPOL_BIND"], "MPOL_BIND needs at least one node"),
            (
                ["mode": "MPOL_PREFERRED", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"]],
                "set_mempolicy MPOL_PREFERRED nodes \"0\": invalid argument"
            ),
        ]
        for (policy, message) in cases {
            s.bundle.config["linux.memoryPolicy"] = policy
            try s.expectCreateFails(["linux.memoryPolicy", message])
        }
    }

    // MARK: - personality

    @Test("linux.personality LINUX32: uname -m says i686 in the process and in exec; LINUX keeps x86_64, even when seccomp refuses personality(2)")
    func personality() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        #if arch(x86_64)
            s.bundle.config["linux.personality"] = ["domain": "LINUX32", "flags": []]
            #expect(try s.sh("uname -m").stdout == "i686\n")
            let (id, _) = try runDetached(s) { c in c["linux.personality"] = ["domain": "LINUX32"] }
            #expect(s.berth(["exec", id, "uname", "-m"]).stdout == "i686\n")

            for domain in ["LINUX", "LINUX32"] {
                let expected = domain == "LINUX" ? "x86_64\n" : "i686\n"
                let (blocked, _) = try runDetached(s) { c in
                    c["linux.personality"] = ["domain": domain]
                    c["linux.seccomp"] = [
                        "defaultAction": "SCMP_ACT_ALLOW",
                        "syscalls": [["names": ["personality"], "action": "SCMP_ACT_ERRNO"]],
                    ]
                }
                #expect(s.berth(["exec", blocked, "uname", "-m"]).stdout == expected, "\(domain)")
            }
        #endif
        let bad = try Sandbox(); defer { bad.cleanup() }
        bad.bundle.config["linux.personality"] = ["domain": "LINUX64"]
        try bad.expectCreateFails(["linux.personality.domain: invalid personality domain \"LINUX64\""])
    }
}
