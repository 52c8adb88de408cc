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
        s.bundle.config.shell("for i in 1 2 3 4 5 6 7 8 9 10; do sleep 30 & done 2>&1 | head -1; sleep 100")
        try s.bundle.write()
        let id = s.newID()
        let pidFile = s.dir + "/pid"
        let r = s.berth(["run", "-d", "--pid-file", pidFile, "--bundle", s.bundle.path, id])
        #expect(r.status == 0, "\(r)")
        let pid = try #require(Int32(Host.readFile(pidFile) ?? ""))
        let pidsMax = try #require(Self.cgroupFile(pid: pid, controller: "pids", "pids.max"))
        #expect(Host.readFile(pidsMax)?.trimmingCharacters(in: .whitespacesAndNewlines) == "6")
        if let limit = Self.cgroupFile(pid: pid, controller: "memory", "memory.limit_in_bytes"),
           FileManager.default.fileExists(atPath: limit) {
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
        let leftovers = ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [])
            .map { "/sys/fs/cgroup/\($0)/berth-itest-\(id)" } + ["/sys/fs/cgroup/berth-itest-\(id)"]
        for path in leftovers { #expect(!FileManager.default.fileExists(atPath: path), "left behind: \(path)") }
    }
}
