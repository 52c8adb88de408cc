// Namespaces, checked from inside the container and from the host.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Namespaces")
struct NamespaceTests {
    @Test("uts + pid: the config hostname is seen inside and the process is pid 1")
    func hostnameAndPid1() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["hostname"] = "ns-host"
        // (`exit` keeps busybox sh from exec'ing the last command in place of itself.)
        let r = try s.sh("hostname; echo $$; cat /proc/1/comm; exit 0")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.lines == ["ns-host", "1", "sh"], "\(r)")
        // The host's hostname is unchanged.
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, 255)
        #expect(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) != "ns-host")
    }

    @Test("a new network namespace has only lo, and it is up")
    func networkLoopbackOnly() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let r = try s.sh(
            "ls /sys/class/net; echo --; cat /sys/class/net/lo/flags; echo --; tail -n +3 /proc/net/dev | cut -d: -f1; echo --; ip link show lo")
        #expect(r.status == 0, "\(r)")
        let parts = r.stdout.components(separatedBy: "--\n")
        #expect(parts.count == 4, "\(r)")
        guard parts.count == 4 else { return }
        #expect(parts[0].lines == ["lo"], "devices in sysfs: \(parts[0])")
        let flags = Int(parts[1].trimmed.dropFirst(2), radix: 16) ?? 0
        #expect(flags & 0x1 == 0x1, "lo is not IFF_UP: \(parts[1])")
        #expect(parts[2].lines.map { $0.trimmed } == ["lo"], "devices in /proc/net/dev: \(parts[2])")
        #expect(parts[3].contains("UP"), "\(parts[3])")
    }

    @Test("namespace inodes differ from the host's, and match between host and inside view")
    func namespaceInodes() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.setNamespace("cgroup")
        s.mountOut()
        let kinds = ["ipc", "uts", "mnt", "net", "pid", "cgroup"]
        s.bundle.config.shell(
            "{ " + kinds.map { "readlink /proc/self/ns/\($0)" }.joined(separator: "; ")
                + "; } > /srv/inside.tmp; mv /srv/inside.tmp /srv/inside; sleep 100")
        try s.bundle.write()
        let id = s.newID()
        let pid = try s.runDetached(id).pid
        let inside = try #require(
            Host.waitUntil { (Host.readFile(s.out + "/inside") ?? "").lines.count == kinds.count }
                ? Host.readFile(s.out + "/inside") : nil
        ).lines
        for (i, kind) in kinds.enumerated() {
            let host = Host.selfNS(kind)
            let container = Host.nsLink(pid: pid, kind)
            #expect(container != nil && container != host, "\(kind): container \(String(describing: container)) host \(String(describing: host))")
            #expect(inside[i] == container, "\(kind): inside \(inside[i]) vs host view \(String(describing: container))")
        }
        // user namespace not requested: shared with the host.
        #expect(Host.nsLink(pid: pid, "user") == Host.selfNS("user"))
    }

    @Test("a namespace without 'path' not listed is shared with the host")
    func sharedNamespace() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.removeNamespace("network")
        s.bundle.config.removeNamespace("uts")
        s.bundle.config["hostname"] = nil  // a hostname needs a private uts namespace
        let r = try s.sh("readlink /proc/self/ns/net; readlink /proc/self/ns/uts; hostname")
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.lines
        #expect(lines.count == 3)
        #expect(lines.first == Host.selfNS("net"))
        #expect(lines.dropFirst().first == Host.selfNS("uts"))
    }

    @Test("joining another container's network and pid namespaces by path")
    func joinByPath() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let a = s.newID("a")
        let pidFile = s.dir + "/pid-a"
        #expect(s.berth(["run", "-d", "--pid-file", pidFile, "--bundle", s.bundle.path, a]).status == 0)
        let pidA = try #require(Int32(Host.readFile(pidFile) ?? ""))

        let b = try s.newBundle("bundle-b")
        b.config.setNamespace("network", path: "/proc/\(pidA)/ns/net")
        b.config.setNamespace("pid", path: "/proc/\(pidA)/ns/pid")
        b.config.shell("readlink /proc/self/ns/net; readlink /proc/self/ns/pid; echo $$; ps -o pid,comm | grep -c sleep")
        let r = try s.runContainer(b)
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.lines
        #expect(lines.count == 4, "\(r)")
        guard lines.count == 4 else { return }
        #expect(lines[0] == Host.nsLink(pid: pidA, "net"))
        #expect(lines[1] == Host.nsLink(pid: pidA, "pid"))
        #expect(lines[2] != "1", "B must not be pid 1 in A's pid namespace")
        #expect(lines[3] == "1", "B sees A's sleep: \(r)")
        #expect(Host.isAlive(pidA))
    }

    @Test("user namespace with uid and gid mappings")
    func userNamespace() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.setNamespace("user")
        s.bundle.config["linux.uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
        s.bundle.config["linux.gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
        s.mountOut()
        s.bundle.config.shell("cat /proc/self/uid_map /proc/self/gid_map; id -u; touch /srv/made-inside; sleep 100")
        try s.bundle.write()
        let id = s.newID()
        let pidFile = s.dir + "/pid"
        let c = s.berth(["run", "-d", "--pid-file", pidFile, "--bundle", s.bundle.path, id])
        #expect(c.status == 0, "\(c)")
        #expect(s.waitForOutFile("made-inside") != nil)
        let out = c.stdoutNow.lines.map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(out == ["0 100000 65536", "0 100000 65536", "0"], "\(out)")
        let pid = try #require(Int32(Host.readFile(pidFile) ?? ""))
        #expect(Host.nsLink(pid: pid, "user") != Host.selfNS("user"))
        // On the host, the process runs as the mapped uid, and files it makes belong to it.
        let status = Host.readFile("/proc/\(pid)/status") ?? ""
        #expect(status.lines.contains { $0.hasPrefix("Uid:") && $0.contains("100000") }, "\(status)")
        let attrs = try FileManager.default.attributesOfItem(atPath: s.out + "/made-inside")
        #expect((attrs[.ownerAccountID] as? NSNumber)?.intValue == 100000)
    }

    @Test("time namespace with timeOffsets (berth; runc 1.1 has no time namespace)")
    func timeNamespace() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.setNamespace("time")
        s.bundle.config["linux.timeOffsets"] = ["monotonic": ["secs": 86400], "boottime": ["secs": 86400]]
        let before = try #require(Host.uptime())
        let r = try s.sh("cat /proc/self/timens_offsets; cat /proc/uptime")
        guard Host.isBerth else {
            // runc 1.1.5: `namespace {"time" ""} does not exist`.
            expectError(r, contains: ["time"])
            return
        }
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.lines
        let offsets = lines.filter { $0.hasPrefix("monotonic") || $0.hasPrefix("boottime") }
            .map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(Set(offsets) == ["monotonic 86400 0", "boottime 86400 0"], "\(r)")
        // /proc/uptime follows CLOCK_BOOTTIME: a day ahead of the host's.
        let inside = Double(lines.last?.split(separator: " ").first ?? "") ?? 0
        #expect(inside >= before + 86400, "uptime inside \(inside), host \(before)")
    }

    /// A bundle with new user and time namespaces (root maps to 100000), running `script`
    /// detached; returns the init's pid and its stdout once `lines` lines are there.
    private func timeAndUserNamespace(_ s: Sandbox, offsets: [String: Any]?, script: String, lines: Int) throws -> (Int32, [String]) {
        s.bundle.config.setNamespace("time")
        s.bundle.config.setNamespace("user")
        s.bundle.config["linux.uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
        s.bundle.config["linux.gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
        s.bundle.config["linux.timeOffsets"] = offsets
        s.bundle.config.shell(script + "; sleep 100")
        try s.bundle.write()
        let id = s.newID()
        let (r, pid) = try s.runDetached(id)
        #expect(Host.waitUntil(timeout: 10) { r.stdoutNow.lines.count >= lines }, "\(r.stdoutNow)")
        let out = r.stdoutNow.lines.map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        // From the host: the init is in a time namespace of its own, owned by its own user
        // namespace, and runs as the mapped uid.
        #expect(Host.nsLink(pid: pid, "time") != nil && Host.nsLink(pid: pid, "time") != Host.selfNS("time"))
        #expect(Host.nsLink(pid: pid, "user") != Host.selfNS("user"))
        let status = Host.readFile("/proc/\(pid)/status") ?? ""
        #expect(status.lines.contains { $0.hasPrefix("Uid:") && $0.contains("100000") }, "\(status)")
        return (pid, out)
    }

    @Test("time namespace with timeOffsets and a user namespace: the parent writes the offsets before the init enters it")
    func timeNamespaceWithUserNamespace() throws {
        guard Host.isBerth else { return }  // runc 1.1.5 has no time namespace
        let s = try Sandbox(); defer { s.cleanup() }
        let before = try #require(Host.uptime())
        let (pid, out) = try timeAndUserNamespace(
            s, offsets: ["monotonic": ["secs": 86400], "boottime": ["secs": 172800, "nanosecs": 7]],
            script: "cat /proc/self/timens_offsets; cat /proc/uptime; id -u", lines: 4)
        #expect(Array(out.prefix(2)) == ["monotonic 86400 0", "boottime 172800 7"], "\(out)")
        #expect(out.last == "0", "\(out)")
        let inside = Double(out.dropFirst(2).first?.split(separator: " ").first ?? "") ?? 0
        #expect(inside >= before + 172800, "uptime inside \(inside), host \(before)")
        // The host's clocks are untouched, and the init's children see the same offsets.
        #expect((Host.uptime() ?? .infinity) < before + 86400)
        let offsets = (Host.readFile("/proc/\(pid)/timens_offsets") ?? "").lines
            .map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(offsets == ["monotonic 86400 0", "boottime 172800 7"], "\(offsets)")
    }

    @Test("time namespace with a user namespace and no offsets")
    func timeNamespaceWithUserNamespaceNoOffsets() throws {
        guard Host.isBerth else { return }
        let s = try Sandbox(); defer { s.cleanup() }
        let before = try #require(Host.uptime())
        let (_, out) = try timeAndUserNamespace(s, offsets: nil, script: "cat /proc/self/timens_offsets; cat /proc/uptime", lines: 3)
        #expect(Array(out.prefix(2)) == ["monotonic 0 0", "boottime 0 0"], "\(out)")
        let inside = Double(out.dropFirst(2).first?.split(separator: " ").first ?? "") ?? 0
        #expect(inside >= before && inside < before + 3600, "uptime inside \(inside), host \(before)")
    }
}

@Suite("joined user namespace")
struct JoinedUserNamespaceTests {
    @Test("a container joins another's user namespace by path; its new namespaces belong to it")
    func joinUserNamespaceByPath() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.setNamespace("user")
        s.bundle.config["linux.uidMappings"] = [["containerID": 0, "hostID": 200000, "size": 65536]]
        s.bundle.config["linux.gidMappings"] = [["containerID": 0, "hostID": 200000, "size": 65536]]
        s.bundle.config.shell("sleep 100")
        try s.bundle.write()
        let first = s.newID()
        let firstPID = try s.runDetached(first).pid

        var c = Config.base()
        c.setNamespace("user", path: "/proc/\(firstPID)/ns/user")
        c.shell("cat /proc/self/uid_map; id -u; hostname; sleep 100")
        c["hostname"] = "joiner"
        let second = try s.newBundle("second", config: c)
        let secondID = s.newID()
        let pidFile2 = s.dir + "/pid2"
        let r = s.berth(["run", "-d", "--pid-file", pidFile2, "--bundle", second.path, secondID])
        #expect(r.status == 0, "\(r)")
        let pid = try #require(Int32(Host.readFile(pidFile2) ?? ""))
        #expect(Host.nsLink(pid: pid, "user") == Host.nsLink(pid: firstPID, "user"))
        #expect(Host.nsLink(pid: pid, "mnt") != Host.nsLink(pid: firstPID, "mnt"))
        #expect(Host.waitUntil(timeout: 10) { r.stdoutNow.lines.count >= 3 })
        let out = r.stdoutNow.lines.map { $0.split(separator: " ").joined(separator: " ") }
        #expect(out == ["0 200000 65536", "0", "joiner"], "\(r.stdoutNow)")
        // berth knows the init (not the intermediate child) and can exec into it.
        #expect(s.state(secondID)?["pid"] as? Int == Int(pid))
        let e = s.berth(["exec", secondID, "id", "-u"])
        #expect(e.status == 0 && e.stdout == "0\n", "\(e)")
    }

    /// A network namespace made by the host's root (so owned by the host's user
    /// namespace, not by any container's), pinned under /run/netns; removed at cleanup.
    static func hostOwnedNetworkNamespace(_ s: Sandbox) throws -> (path: String, link: String) {
        let name = "bvjn" + String(UUID().uuidString.filter(\.isHexDigit).prefix(8)).lowercased()
        let r = Runner.run("/usr/sbin/ip", ["netns", "add", name], ioDir: s.io)
        try #require(r.status == 0, "\(r)")
        s.onCleanup { _ = Runner.run("/usr/sbin/ip", ["netns", "del", name], ioDir: s.io) }
        var st = stat()
        try #require(stat("/run/netns/" + name, &st) == 0)
        return ("/run/netns/" + name, "net:[\(st.st_ino)]")
    }

    @Test(
        "joining another container's user namespace and a network namespace that user namespace does not own (runc 1.2+: joined with the host's privileges first)"
    )
    func joinUserAndForeignNetwork() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.setNamespace("user")
        s.bundle.config["linux.uidMappings"] = [["containerID": 0, "hostID": 200000, "size": 65536]]
        s.bundle.config["linux.gidMappings"] = [["containerID": 0, "hostID": 200000, "size": 65536]]
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let first = s.newID()
        let firstPID = try s.runDetached(first).pid
        let netns = try Self.hostOwnedNetworkNamespace(s)

        var c = Config.base()
        c.setNamespace("user", path: "/proc/\(firstPID)/ns/user")
        c.setNamespace("network", path: netns.path)
        c.shell("readlink /proc/self/ns/user; readlink /proc/self/ns/net; cat /proc/self/uid_map; id -u; sleep 100")
        let second = try s.newBundle("second", config: c)
        let secondID = s.newID()
        let pidFile2 = s.dir + "/pid2"
        let r = s.berth(["run", "-d", "--pid-file", pidFile2, "--bundle", second.path, secondID])
        #expect(r.status == 0, "\(r)")
        let pid = try #require(Int32(Host.readFile(pidFile2) ?? ""), "\(r)")
        #expect(Host.waitUntil(timeout: 10) { r.stdoutNow.lines.count >= 4 }, "\(r.stdoutNow)")
        let out = r.stdoutNow.lines.map { $0.split(separator: " ").joined(separator: " ") }
        #expect(out == [Host.nsLink(pid: firstPID, "user") ?? "?", netns.link, "0 200000 65536", "0"], "\(out)")
        // From the host.
        #expect(Host.nsLink(pid: pid, "user") == Host.nsLink(pid: firstPID, "user"))
        #expect(Host.nsLink(pid: pid, "net") == netns.link)
        #expect(Host.nsLink(pid: pid, "mnt") != Host.nsLink(pid: firstPID, "mnt"))
    }

    @Test("a new user namespace together with a network namespace joined by path")
    func newUserJoinedNetwork() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let netns = try Self.hostOwnedNetworkNamespace(s)
        s.bundle.config.setNamespace("user")
        s.bundle.config["linux.uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
        s.bundle.config["linux.gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
        s.bundle.config.setNamespace("network", path: netns.path)
        s.bundle.config.shell("readlink /proc/self/ns/net; cat /proc/self/uid_map; sleep 100")
        try s.bundle.write()
        let id = s.newID()
        let (r, pid) = try s.runDetached(id)
        #expect(Host.waitUntil(timeout: 10) { r.stdoutNow.lines.count >= 2 }, "\(r.stdoutNow)")
        let out = r.stdoutNow.lines.map { $0.split(separator: " ").joined(separator: " ") }
        #expect(out == [netns.link, "0 100000 65536"], "\(out)")
        #expect(Host.nsLink(pid: pid, "net") == netns.link)
        #expect(Host.nsLink(pid: pid, "user") != Host.selfNS("user"))
    }
}
