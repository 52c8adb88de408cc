// linux.resources: each limit proven by its effect inside the container and by the
// controller file read from the host (v1 on this host; v2 paths are found the same way).
import Foundation
import Testing

@Suite("Cgroup resources")
struct ResourceTests {
    /// The host path of `file` in the cgroup of `pid` for `controller`, from /proc/<pid>/cgroup.
    static func cgroupFile(pid: Int32, controller: String, _ file: String) -> String? {
        guard let text = Host.readFile("/proc/\(pid)/cgroup") else { return nil }
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3 else { continue }
            if f[1].split(separator: ",").contains(Substring(controller)) {
                return "/sys/fs/cgroup/\(f[1])/\(f[2])/\(file)".replacingOccurrences(of: "//", with: "/")
            }
            if f[0] == "0", f[1].isEmpty, FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers") {
                return "/sys/fs/cgroup\(f[2])/\(file)".replacingOccurrences(of: "//", with: "/")
            }
        }
        return nil
    }

    @Test("pids, memory and cpu limits reach the controller files, and a pids limit stops forks")
    func limits() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["linux.resources.pids"] = ["limit": 6]
        s.bundle.config["linux.resources.memory"] = ["limit": 64 * 1024 * 1024]
        s.bundle.config["linux.resources.cpu"] = ["shares": 512, "quota": 50000, "period": 100000]
        // The forks run in a subshell: when one fails only it exits. A pipeline into head
        // raced head's own fork against the sleeps, and a shell that could not fork head
        // exited, leaving a zombie init that /proc shows in the root cgroups (a flake).
        s.bundle.config.shell("(for i in 1 2 3 4 5 6 7 8 9 10; do sleep 30 & done) 2>&1; sleep 100")
        try s.bundle.write()
        let id = s.newID()
        let (r, pid) = try s.runDetached(id)
        let pidsMax = try #require(Self.cgroupFile(pid: pid, controller: "pids", "pids.max"))
        #expect(Host.readFile(pidsMax)?.trimmingCharacters(in: .whitespacesAndNewlines) == "6")
        if let limit = Self.cgroupFile(pid: pid, controller: "memory", "memory.limit_in_bytes"),
            FileManager.default.fileExists(atPath: limit)
        {
            #expect(Host.readFile(limit)?.trimmingCharacters(in: .whitespacesAndNewlines) == "67108864")
            let shares = try #require(Self.cgroupFile(pid: pid, controller: "cpu", "cpu.shares"))
            #expect(Host.readFile(shares)?.trimmingCharacters(in: .whitespacesAndNewlines) == "512")
            let quota = try #require(Self.cgroupFile(pid: pid, controller: "cpu", "cpu.cfs_quota_us"))
            #expect(Host.readFile(quota)?.trimmingCharacters(in: .whitespacesAndNewlines) == "50000")
        } else {
            let max = try #require(Self.cgroupFile(pid: pid, controller: "memory", "memory.max"))
            #expect(Host.readFile(max)?.trimmingCharacters(in: .whitespacesAndNewlines) == "67108864")
        }
        // Inside: the shell could not start all ten sleeps.
        var forkFailed = false
        for _ in 0..<100 where !forkFailed {
            forkFailed = r.stdoutNow.contains("can't fork") || (Host.readFile(r.stderrPath) ?? "").contains("can't fork")
            if !forkFailed { usleep(50_000) }
        }
        #expect(forkFailed, "no fork failure under pids.max=6: \(r.stdoutNow)")
        #expect(s.berth(["delete", "--force", id]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: (pidsMax as NSString).deletingLastPathComponent))
    }

    @Test("a memory limit too small to start in fails create with a clear error and leaves nothing")
    func impossibleMemoryLimit() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID()
        s.bundle.config["linux.cgroupsPath"] = "/berth-itest-\(id)"
        s.bundle.config["linux.resources.memory"] = ["limit": 4096]
        try s.bundle.write()
        let r = s.berth(["run", "--bundle", s.bundle.path, id])
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r)")
        #expect(r.stderr.contains("memory") || r.stderr.contains("memory.limit") || r.stderr.contains("memory.max"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: s.root + "/" + id))
        let leftovers =
            ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [])
            .map { "/sys/fs/cgroup/\($0)/berth-itest-\(id)" } + ["/sys/fs/cgroup/berth-itest-\(id)"]
        for path in leftovers { #expect(!FileManager.default.fileExists(atPath: path), "left behind: \(path)") }
    }

    /// A real block device's "major:minor" (throttle rules must name one that exists).
    static func blockDevice() -> String? {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/block")) ?? []).sorted()
        for name in names where !name.hasPrefix("loop") && !name.hasPrefix("ram") {
            if let dev = Host.readFile("/sys/block/\(name)/dev")?.trimmingCharacters(in: .whitespacesAndNewlines) { return dev }
        }
        return nil
    }

    @Test("update changes the limits of a running container; a refused value names the file and leaves the container running")
    func update() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("sleep 100")
        s.bundle.config["linux.resources.pids"] = ["limit": 20]
        try s.bundle.write()
        let id = s.newID()
        let pid = try s.runDetached(id).pid
        let pidsMax = try #require(Self.cgroupFile(pid: pid, controller: "pids", "pids.max"))
        #expect(Host.readFile(pidsMax)?.trimmingCharacters(in: .whitespacesAndNewlines) == "20")
        let r = s.berth(["update", "--pids-limit", "50", "--cpu-quota", "30000", "--cpu-period", "100000", id])
        #expect(r.status == 0, "\(r)")
        #expect(Host.readFile(pidsMax)?.trimmingCharacters(in: .whitespacesAndNewlines) == "50")
        let r2 = s.berth(["update", "--resources", "-", id], stdin: "{\"pids\":{\"limit\":33}}")
        #expect(r2.status == 0, "\(r2)")
        #expect(Host.readFile(pidsMax)?.trimmingCharacters(in: .whitespacesAndNewlines) == "33")
        let checked = s.berth(["update", "--resources", "-", id], stdin: "{\"memory\":{\"limit\":4096,\"checkBeforeUpdate\":true}}")
        #expect(checked.status == 1 && checked.stderr.contains("checkBeforeUpdate"), "\(checked)")
        let bad = s.berth(["update", "--memory", "1k", id])
        #expect(bad.status == 1, "\(bad)")
        #expect(bad.stderr.contains("memory"), "\(bad)")
        #expect(s.status(id) == "running")
        #expect(s.berth(["delete", "--force", id]).status == 0)
        #expect(s.berth(["update", "--pids-limit", "5", id]).status == 1)
    }

    @Test("block IO throttles reach the controller")
    func blockIOThrottle() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let dev = try #require(Self.blockDevice(), "no block device on this host")
        let parts = dev.split(separator: ":").compactMap { Int($0) }
        try #require(parts.count == 2)
        s.bundle.config.shell("sleep 100")
        s.bundle.config["linux.resources.blockIO"] = [
            "throttleReadBpsDevice": [["major": parts[0], "minor": parts[1], "rate": 1048576]],
            "throttleWriteIOPSDevice": [["major": parts[0], "minor": parts[1], "rate": 100]],
        ]
        try s.bundle.write()
        let id = s.newID()
        let pid = try s.runDetached(id).pid
        if let read = Self.cgroupFile(pid: pid, controller: "blkio", "blkio.throttle.read_bps_device") {
            #expect(Host.readFile(read)?.contains("\(dev) 1048576") == true, "\(Host.readFile(read) ?? "")")
            let iops = try #require(Self.cgroupFile(pid: pid, controller: "blkio", "blkio.throttle.write_iops_device"))
            #expect(Host.readFile(iops)?.contains("\(dev) 100") == true)
        } else {
            let max = try #require(Self.cgroupFile(pid: pid, controller: "io", "io.max"))
            #expect(Host.readFile(max)?.contains("rbps=1048576") == true)
        }
        #expect(s.berth(["delete", "--force", id]).status == 0)
    }

    @Test("a cpu quota throttles a busy loop (nr_throttled grows), and a memory limit OOM-kills inside")
    func throttleAndOOM() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.mountOut()
        s.bundle.config["linux.resources.cpu"] = ["quota": 10000, "period": 100000]
        s.bundle.config["linux.resources.memory"] = ["limit": 16 * 1024 * 1024, "swap": 16 * 1024 * 1024]
        // The result is written aside and renamed: under the 10% quota the shell can be
        // throttled between creating /srv/oom and writing to it (the test once read it empty).
        s.bundle.config.shell(
            "timeout 1 sh -c 'while :; do :; done'; tail /dev/zero; echo tail=$? > /srv/oom.tmp; mv /srv/oom.tmp /srv/oom; sleep 100")
        try s.bundle.write()
        let id = s.newID()
        let pid = try s.runDetached(id).pid
        // tail is killed by SIGKILL: the shell sees 137.
        #expect(s.waitForOutFile("oom")?.contains("tail=137") == true, "\(Host.readFile(s.out + "/oom") ?? "none")")
        let stat = Self.cgroupFile(pid: pid, controller: "cpu", "cpu.stat").flatMap { Host.readFile($0) } ?? ""
        let throttled =
            stat.split(separator: "\n").first { $0.hasPrefix("nr_throttled ") }
            .flatMap { Int($0.split(separator: " ")[1]) } ?? 0
        #expect(throttled > 0, "\(stat)")
        #expect(s.berth(["delete", "--force", id]).status == 0)
    }

    @Test("--systemd-cgroup lays slice:prefix:name out under the slice, without systemd, and removes it")
    func systemdLayout() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("sleep 100")
        let id = s.newID()
        s.bundle.config["linux.cgroupsPath"] = "berthtest-a.slice:berth:\(id)"
        try s.bundle.write()
        let pidFile = s.dir + "/pid"
        let r = s.berthRaw(["--root", s.root, "--systemd-cgroup", "run", "-d", "--pid-file", pidFile, "--bundle", s.bundle.path, id])
        #expect(r.status == 0, "\(r)")
        let pid = try #require(Int32(Host.readFile(pidFile) ?? ""))
        let procs = try #require(Self.cgroupFile(pid: pid, controller: "pids", "cgroup.procs"))
        #expect(procs.contains("/berthtest.slice/berthtest-a.slice/berth-\(id).scope/"), "\(procs)")
        #expect(s.berth(["delete", "--force", id]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: (procs as NSString).deletingLastPathComponent))
        let sliceDir = ((procs as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        #expect(!FileManager.default.fileExists(atPath: sliceDir), "the slices berth made are removed too")
    }

    @Test("systemd unit properties are refused with a clear error")
    func systemdProperties() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["annotations"] = ["org.systemd.property.CPUWeight": "100"]
        let r = try s.runContainer()
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains("org.systemd.property.CPUWeight") && r.stderr.contains("systemd"), "\(r)")
        #expect(s.stateEntries().isEmpty)
    }
}
