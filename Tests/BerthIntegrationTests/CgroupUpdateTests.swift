// `update` and `linux.resources` as runc (1.2–1.5) applies them: what Docker sends, -1,
// the order of dependent files, every runc flag, device rules as minimal transitions,
// pids 0, kernelTCP, hugetlb page-size keys, unified on v1. Each limit is read from the
// host and, where the container can see it, from inside.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension Sandbox {
    /// Runs `sleep 1000` (or `script`) detached with `cgroupsPath` of its own; returns the
    /// host view of its cgroups.
    func runWithCgroup(_ id: String, script: String = "sleep 1000", configure: (TestBundle) -> Void = { _ in }) throws -> HostCgroup {
        let cg = testCgroup(id)
        bundle.config.shell(script)
        configure(bundle)
        try bundle.write()
        let r = berth(["run", "-d", "--bundle", bundle.path, id])
        guard r.status == 0 else { throw TestSetupError("run -d failed: \(r)") }
        return cg
    }
}

@Suite("Cgroup update (runc semantics)")
struct CgroupUpdateTests {
    @Test("what Docker sends for `update --pids-limit 33 --cpus 0.25` and `--memory 96m` changes only those limits (its zeros mean unchanged)")
    func dockerZeros() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        let cg = try s.runWithCgroup(id) { b in
            b.config["linux.resources.memory"] = ["limit": 64 << 20, "reservation": 32 << 20]
            b.config["linux.resources.cpu"] = ["shares": 512, "quota": 50000, "period": 100000]
            b.config["linux.resources.pids"] = ["limit": 20]
        }
        // Docker 20.10 → containerd → `update -r`: whole objects, 0 for what is unchanged.
        let pidsAndCPUs =
            #"{"memory":{"limit":0,"reservation":0,"kernel":0},"cpu":{"shares":0,"quota":25000,"period":100000,"cpus":"","mems":""},"blockIO":{"weight":0},"pids":{"limit":33}}"#
        let r1 = s.berth(["update", "--resources", "-", id], stdin: pidsAndCPUs)
        #expect(r1.status == 0, "\(r1)")
        #expect(cg.value(.pids) == "33")
        #expect(cg.value(.cpuQuota) == "25000")
        #expect(cg.value(.memory) == String(64 << 20), "memory limit changed by a 0")
        #expect(cg.value(.reservation) == String(32 << 20), "reservation changed by a 0")
        let memory =
            #"{"memory":{"limit":100663296,"reservation":0,"kernel":0},"cpu":{"shares":0,"quota":0,"period":0,"cpus":"","mems":""},"blockIO":{"weight":0}}"#
        let r2 = s.berth(["update", "--resources", "-", id], stdin: memory)
        #expect(r2.status == 0, "\(r2)")
        #expect(cg.value(.memory) == "100663296")
        #expect(cg.value(.cpuQuota) == "25000", "cpu quota changed by a 0")
        #expect(cg.value(.cpuPeriod) == "100000")
        #expect(cg.value(.pids) == "33", "pids changed by an update that did not name them")
        #expect(cg.value(.reservation) == String(32 << 20))
        if !HostCgroup.isPureV2 { #expect(cg.read("cpu", "cpu.shares") == "512") }
        // Inside, the container's own cgroup files say the same.
        #expect(s.readInside(id, HostCgroup.insidePath("pids", "pids.max")) == "33")
        #expect(s.readInside(id, HostCgroup.insidePath("memory", HostCgroup.isPureV2 ? "memory.max" : "memory.limit_in_bytes")) == "100663296")
        #expect(s.status(id) == "running")
    }

    @Test("--memory -1 lifts the memory limit, memory+swap with it; --pids-limit -1 lifts the pids limit")
    func unlimited() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        let cg = try s.runWithCgroup(id) { b in
            b.config["linux.resources.memory"] = ["limit": 64 << 20, "swap": 128 << 20]
            b.config["linux.resources.pids"] = ["limit": 20]
        }
        let r = s.berth(["update", "--memory", "-1", id])
        #expect(r.status == 0, "\(r)")
        #expect(cg.value(.memory) == Limit.v1Unlimited)
        #expect(cg.value(.memorySwap) == Limit.v1Unlimited)
        let inside = s.readInside(id, HostCgroup.insidePath("memory", HostCgroup.isPureV2 ? "memory.max" : "memory.limit_in_bytes"))
        #expect(inside == (HostCgroup.isPureV2 ? "max" : Limit.v1Unlimited))
        #expect(s.berth(["update", "--pids-limit", "-1", id]).status == 0)
        #expect(cg.value(.pids) == "max")
        // Limits again, memory and swap together, in both directions (runc's case for
        // the order of the two writes).
        #expect(s.berth(["update", "--memory", "30M", "--memory-swap", "50M", id]).status == 0)
        #expect(cg.value(.memory) == String(30 << 20))
        #expect(s.berth(["update", "--memory", "60M", "--memory-swap", "80M", id]).status == 0)
        #expect(cg.value(.memory) == String(60 << 20))
        if !HostCgroup.isPureV2 { #expect(cg.value(.memorySwap) == String(80 << 20)) }
    }

    @Test("a limit the container already exceeds is refused in runc's words, checkBeforeUpdate too, and the container keeps running")
    func refusedLimits() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        let cg = try s.runWithCgroup(id) { b in b.config["linux.resources.memory"] = ["limit": 64 << 20] }
        let checked = s.berth(["update", "--resources", "-", id], stdin: #"{"memory":{"limit":4096,"checkBeforeUpdate":true}}"#)
        expectError(checked, contains: ["rejecting memory limit 4096 below usage"])
        if !HostCgroup.isPureV2 {
            expectError(s.berth(["update", "--memory", "4096", id]), contains: ["unable to set memory limit to 4096 (current usage: "])
        }
        #expect(cg.value(.memory) == String(64 << 20))
        #expect(s.status(id) == "running")
    }

    @Test("--cpu-burst, --cpu-idle and the realtime period/runtime are written in the order the kernel accepts")
    func cpuOrdering() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        let cg = try s.runWithCgroup(id) { b in
            b.config["linux.resources.cpu"] = [
                "quota": 100000, "period": 100000, "burst": 80000,
                "realtimeRuntime": 500000, "realtimePeriod": 1000000,
            ]
        }
        let burstFile = HostCgroup.isPureV2 ? "cpu.max.burst" : "cpu.cfs_burst_us"
        #expect(cg.read("cpu", burstFile) == "80000")
        // A quota below the current burst is refused until the burst is lowered first.
        let r = s.berth(["update", "--cpu-quota", "30000", "--cpu-burst", "20000", id])
        #expect(r.status == 0, "\(r)")
        #expect(cg.value(.cpuQuota) == "30000")
        #expect(cg.read("cpu", burstFile) == "20000")
        #expect(s.readInside(id, HostCgroup.insidePath("cpu", burstFile)) == "20000")
        let idle = s.berth(["update", "--cpu-idle", "1", id])
        #expect(idle.status == 0, "\(idle)")
        #expect(cg.read("cpu", "cpu.idle") == "1")
        if !HostCgroup.isPureV2 {
            // A period below the current runtime is refused until the runtime shrinks.
            #expect(cg.read("cpu", "cpu.rt_runtime_us") == "500000")
            let rt = s.berth(["update", "--cpu-rt-period", "400000", "--cpu-rt-runtime", "300000", id])
            #expect(rt.status == 0, "\(rt)")
            #expect(cg.read("cpu", "cpu.rt_period_us") == "400000")
            #expect(cg.read("cpu", "cpu.rt_runtime_us") == "300000")
        }
    }

    @Test("update takes every runc flag: obsolete ones warn or refuse as runc does")
    func runcFlags() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        let cg = try s.runWithCgroup(id)
        let r = s.berth([
            "update", "--cpu-share", "256", "--cpu-period", "50000",
            "--cpu-quota", "25000", "--cpuset-cpus", "0", "--cpuset-mems", "0", "--memory", "128m",
            "--memory-reservation", "64MB", "--memory-swap", "256m", "--pids-limit", "42",
            "--kernel-memory", "10m", id,
        ])
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.contains("Setting --kernel-memory is ignored"), "\(r)")
        #expect(cg.value(.pids) == "42")
        #expect(cg.value(.cpuPeriod) == "50000" && cg.value(.cpuQuota) == "25000")
        #expect(cg.value(.memory) == String(128 << 20) && cg.value(.reservation) == String(64 << 20))
        #expect(cg.read("cpuset", "cpuset.cpus") == "0")
        #expect(s.readInside(id, "/proc/1/status")?.contains("Cpus_allowed_list:\t0") == true)
        // blkio weights exist only under a proportional-weight IO scheduler (CFQ, BFQ).
        if let dir = cg.dir("blkio"),
            let file = ["blkio.weight", "blkio.bfq.weight", "io.bfq.weight"]
                .first(where: { FileManager.default.fileExists(atPath: dir + "/" + $0) })
        {
            #expect(s.berth(["update", "--blkio-weight", "500", id]).status == 0)
            #expect(cg.read("blkio", file)?.contains("500") == true)
        }
        expectError(s.berth(["update", "--l3-cache-schema", "L3:0=f", id]), contains: ["Intel RDT/CAT: l3 cache schema is not enabled"])
        expectError(s.berth(["update", "--mem-bw-schema", "MB:0=50", id]), contains: ["Intel RDT/MBA: memory bandwidth schema is not enabled"])
        expectError(s.berth(["update", "--memory", "lots", id]), contains: ["invalid value for memory"])
        #expect(cg.value(.pids) == "42", "a refused update changed nothing")
    }

    @Test("pids limit 0 is pids.max 1 (runc's reading), at create and on update")
    func pidsZero() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        _ = s.testCgroup(id)
        s.bundle.config["linux.resources.pids"] = ["limit": 0]
        s.bundle.config.shell("sleep 1 & wait; echo forked")
        try s.bundle.write()
        let r = s.berth(["run", "--bundle", s.bundle.path, id])
        #expect(r.stdout.contains("can't fork") || r.stderr.contains("can't fork"), "\(r)")
        let s2 = try Sandbox(); defer { s2.cleanup() }
        let id2 = s2.newID()
        let cg = try s2.runWithCgroup(id2) { b in b.config["linux.resources.pids"] = ["limit": 10] }
        #expect(s2.berth(["update", "--pids-limit", "0", id2]).status == 0)
        #expect(cg.value(.pids) == "1")
    }

    @Test("memory.kernelTCP is written where the kernel has memory.kmem.tcp.limit_in_bytes, a warning where not")
    func kernelTCP() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        let cg = s.testCgroup(id)
        s.bundle.config["linux.resources.memory"] = ["limit": 256 << 20, "kernelTCP": 64 << 20]
        s.bundle.config.shell("sleep 1000")
        try s.bundle.write()
        let r = s.berth(["run", "-d", "--bundle", s.bundle.path, id])
        #expect(r.status == 0, "\(r)")
        if let dir = cg.dir("memory"), FileManager.default.fileExists(atPath: dir + "/memory.kmem.tcp.limit_in_bytes") {
            #expect(cg.read("memory", "memory.kmem.tcp.limit_in_bytes") == String(64 << 20))
            #expect(s.readInside(id, HostCgroup.insidePath("memory", "memory.kmem.tcp.limit_in_bytes")) == String(64 << 20))
            #expect(!r.stderr.contains("kernelTCP"), "\(r)")
        } else {
            #expect(r.stderr.contains("warning: linux.resources.memory.kernelTCP is not applied"), "\(r)")
        }
    }

    @Test("hugepageLimits keys match as runc's (case-insensitive) decoding matches them; hugetlb lands on the v2 mount of a hybrid host")
    func hugetlb() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let sizes = ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/kernel/mm/hugepages")) ?? []).sorted()
            .compactMap { name -> (String, UInt64)? in
                guard let kb = UInt64(name.replacingOccurrences(of: "hugepages-", with: "").replacingOccurrences(of: "kB", with: "")) else {
                    return nil
                }
                let label = kb >= 1 << 20 ? "\(kb >> 20)GB" : kb >= 1 << 10 ? "\(kb >> 10)MB" : "\(kb)KB"
                return (label, kb * 1024)
            }
        try #require(!sizes.isEmpty, "this kernel has no huge page sizes")
        let id = s.newID()
        let cg = s.testCgroup(id)
        // runc's own test writes `pagesize`; the spec spells it `pageSize`: both count.
        s.bundle.config["linux.resources.hugepageLimits"] = sizes.enumerated().map { i, size in
            [i % 2 == 0 ? "pagesize" : "pageSize": size.0, "Limit": size.1] as [String: Any]
        }
        s.bundle.config.shell("sleep 1000")
        try s.bundle.write()
        let r = s.berth(["run", "-d", "--bundle", s.bundle.path, id])
        #expect(r.status == 0, "\(r)")
        let v1 = HostCgroup.mounts.contains { $0.controllers.contains("hugetlb") }
        for (label, bytes) in sizes {
            let file = v1 ? "hugetlb.\(label).limit_in_bytes" : "hugetlb.\(label).max"
            #expect(cg.read("hugetlb", file) == String(bytes), "\(file)")
            #expect(s.readInside(id, HostCgroup.insidePath("hugetlb", file)) == String(bytes), "inside \(file)")
            let rsvd = v1 ? "hugetlb.\(label).rsvd.limit_in_bytes" : "hugetlb.\(label).rsvd.max"
            if let dir = cg.dir("hugetlb"), FileManager.default.fileExists(atPath: dir + "/" + rsvd) {
                #expect(cg.read("hugetlb", rsvd) == String(bytes), "\(rsvd)")
            }
        }
    }

    @Test("unified on a host that manages v1 hierarchies is refused with runc's `invalid configuration`, leaving nothing")
    func unifiedOnV1() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        let cg = s.testCgroup(id)
        s.bundle.config["linux.resources.unified"] = ["memory.min": "131072"]
        s.bundle.config.shell("cat /sys/fs/cgroup/memory.min")
        try s.bundle.write()
        let r = s.berth(["run", "--bundle", s.bundle.path, id])
        if HostCgroup.isPureV2 {
            #expect(r.status == 0 && r.stdout.contains("131072"), "\(r)")
        } else {
            expectError(r, contains: ["invalid configuration"])
            s.expectNothingLeft(id)
            for dir in cg.allDirs { #expect(!FileManager.default.fileExists(atPath: dir), "left behind: \(dir)") }
        }
    }

    @Test("a cpuset cgroup made beforehand with empty cpus and mems takes its parent's before the init joins it")
    func emptyCpuset() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        let cg = s.testCgroup(id)
        let cpusetDir = try #require(cg.dir("cpuset"))
        try FileManager.default.createDirectory(atPath: cpusetDir, withIntermediateDirectories: false)
        let parentCpus = try #require(
            Host.readFile(
                (cpusetDir as NSString).deletingLastPathComponent + "/"
                    + (HostCgroup.isPureV2 ? "cpuset.cpus.effective" : "cpuset.cpus")))
        s.bundle.config.shell("grep Cpus_allowed_list /proc/self/status")
        try s.bundle.write()
        let r = s.berth(["run", "--bundle", s.bundle.path, id])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains(parentCpus.trimmingCharacters(in: .whitespacesAndNewlines)), "\(r)")
    }

    @Test("device rules are updated with the fewest transitions: allowed devices never fail meanwhile, and a cgroup with sub-cgroups can be updated")
    func deviceTransitions() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.mountOut()
        let id = s.newID()
        let cg = try s.runWithCgroup(id, script: "while :; do echo x > /dev/null || echo null >> /srv/failed; done") { b in
            b.config["linux.devices"] = [["path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o666]]
            b.config["linux.resources.devices"] = [["allow": false, "access": "rwm"]]
        }
        let open = "exec 3<> /dev/fuse && echo opened; true"
        let denied = s.berth(["exec", id, "sh", "-c", open])
        #expect((denied.stdout + denied.stderr).contains("Operation not permitted"), "\(denied)")
        // A sub-cgroup, as nested runtimes and systemd inside make them.
        if !HostCgroup.isPureV2, let dir = cg.dir("devices") {
            try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: false)
        }
        let rules = #"{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":10,"minor":229,"access":"rw"}]}"#
        for _ in 0..<20 {
            let r = s.berth(["update", "--resources", "-", id], stdin: rules)
            #expect(r.status == 0, "\(r)")
            if r.status != 0 { break }
        }
        if !HostCgroup.isPureV2 {
            #expect(cg.read("devices", "devices.list")?.split(separator: "\n").contains("c 10:229 rw") == true)
        }
        let allowed = s.berth(["exec", id, "sh", "-c", open])
        #expect(!(allowed.stdout + allowed.stderr).contains("Operation not permitted"), "\(allowed)")
        let back = s.berth(["update", "--resources", "-", id], stdin: #"{"devices":[{"allow":false,"access":"rwm"}]}"#)
        #expect(back.status == 0, "\(back)")
        let deniedAgain = s.berth(["exec", id, "sh", "-c", open])
        #expect((deniedAgain.stdout + deniedAgain.stderr).contains("Operation not permitted"), "\(deniedAgain)")
        #expect(Host.readFile(s.out + "/failed") == nil, "/dev/null was refused during an update")
    }

    @Test("a device rule of an unknown type or access is refused before anything is written, at create and on update")
    func unknownDeviceRuleRefused() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        let cg = try s.runWithCgroup(id) { b in b.config["linux.resources.devices"] = [["allow": false, "access": "rwm"]] }
        let listBefore = cg.read("devices", "devices.list")
        let bad = s.berth(["update", "--resources", "-", id], stdin: #"{"devices":[{"allow":true,"type":"cc","access":"rwm"}]}"#)
        expectError(bad, contains: [#"devices[0].type: invalid cgroup device type "cc""#])
        let access = s.berth(["update", "--resources", "-", id], stdin: #"{"devices":[{"allow":true,"type":"c","access":"rwx"}]}"#)
        expectError(access, contains: [#"devices[0].access: invalid cgroup device permissions "rwx""#])
        #expect(cg.read("devices", "devices.list") == listBefore)
        #expect(s.status(id) == "running")
        let other = s.newID()
        s.bundle.config["linux.resources.devices"] = [["allow": true, "type": "xy"]]
        try s.bundle.write()
        let create = s.berth(["create", "--bundle", s.bundle.path, other])
        expectError(create, contains: [#"linux.resources.devices[0].type: invalid cgroup device type "xy""#])
        #expect(!s.stateEntries().contains(other))
    }

    /// The libFuzzer pass found `{"memory":{"limit":-1,"swap":-2}}` trapping berth (a
    /// negative memory+swap converted to an unsigned number on v1).
    @Test("a memory+swap limit below -1 is refused in one line, at create and on update; the container keeps its limits")
    func swapBelowUnlimitedRefused() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        let cg = try s.runWithCgroup(id) { b in b.config["linux.resources.memory"] = ["limit": 64 << 20] }
        for doc in [#"{"memory":{"limit":-1,"swap":-2}}"#, #"{"memory":{"limit":1048576,"swap":-9223372036854775808}}"#] {
            let r = s.berth(["update", "--resources", "-", id], stdin: doc)
            expectError(r, contains: ["linux.resources.memory.swap: invalid memory+swap limit"])
        }
        #expect(cg.value(.memory) == String(64 << 20))
        #expect(s.status(id) == "running")
        let other = s.newID()
        s.bundle.config["linux.resources.memory"] = ["limit": 64 << 20, "swap": -2]
        s.bundle.config["linux.cgroupsPath"] = ""  // not the running container's
        try s.bundle.write()
        let create = s.berth(["create", "--bundle", s.bundle.path, other])
        expectError(create, contains: ["linux.resources.memory.swap: invalid memory+swap limit -2"])
        #expect(!s.stateEntries().contains(other))
    }
}
