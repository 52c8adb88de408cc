// berth run by a non-root user: user namespace first, newuidmap for several ranges,
// no cgroups unless delegated, state under $XDG_RUNTIME_DIR/berth.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// An unprivileged account for the rootless tests, with subordinate id ranges
/// (useradd gives it /etc/subuid and /etc/subgid entries). Made once, kept.
enum RootlessUser {
    static let name = "berth-rootless"

    static let ids: Result<(uid: UInt32, gid: UInt32), TestSetupError> = {
        if getpwnam(name) == nil {
            let r = Runner.run("/usr/sbin/useradd", ["--no-create-home", "--shell", "/usr/sbin/nologin", name], ioDir: "/tmp")
            guard r.status == 0 else { return .failure(TestSetupError("useradd \(name) failed: \(r)")) }
        }
        guard let pw = getpwnam(name) else { return .failure(TestSetupError("no passwd entry for \(name)")) }
        let subuid = Host.readFile("/etc/subuid") ?? ""
        guard subuid.lines.contains(where: { $0.hasPrefix(name + ":") }) else {
            return .failure(TestSetupError("\(name) has no range in /etc/subuid (useradd did not add one)"))
        }
        return .success((pw.pointee.pw_uid, pw.pointee.pw_gid))
    }()

    /// The first subordinate uid of the account.
    static var subuidStart: UInt32? {
        (Host.readFile("/etc/subuid") ?? "").lines.first { $0.hasPrefix(name + ":") }
            .flatMap { UInt32($0.split(separator: ":")[1]) }
    }
}

@Suite("rootless")
struct RootlessTests {
    struct Setup {
        let s: Sandbox
        let uid: UInt32
        let gid: UInt32
        let runtimeDir: String

        /// berth as the unprivileged user (setpriv: real and effective ids, no groups).
        func berth(_ args: [String], timeout: Double = 30) -> ProcResult {
            Runner.run(
                "/usr/bin/setpriv",
                [
                    "--reuid", String(uid), "--regid", String(gid), "--clear-groups",
                    "env", "XDG_RUNTIME_DIR=" + runtimeDir, "PATH=/usr/bin:/bin:/usr/sbin:/sbin",
                    Host.binary,
                ] + args, ioDir: s.io, timeout: timeout)
        }
    }

    func setUp(_ s: Sandbox) throws -> Setup {
        let (uid, gid) = try RootlessUser.ids.get()
        let runtimeDir = s.dir + "/xdg"
        try FileManager.default.createDirectory(atPath: runtimeDir, withIntermediateDirectories: true)
        chown(runtimeDir, uid, gid)
        chmod(runtimeDir, 0o700)
        for d in [s.dir, s.io, s.bundle.path] { chmod(d, 0o755) }
        chmod(s.io, 0o777)
        let setup = Setup(s: s, uid: uid, gid: gid, runtimeDir: runtimeDir)
        s.onCleanup {
            // Containers of the unprivileged user live under its own state root.
            for id in (try? FileManager.default.contentsOfDirectory(atPath: runtimeDir + "/berth")) ?? [] {
                _ = setup.berth(["delete", "--force", id])
            }
        }
        return setup
    }

    /// `berth spec --rootless` run as the user, with the sandbox's rootfs and `script`.
    func rootlessBundle(_ u: Setup, _ script: String, edit: (inout [String: Any]) -> Void = { _ in }) throws {
        let dir = u.s.bundle.path
        try? FileManager.default.removeItem(atPath: dir + "/config.json")
        chown(dir, u.uid, u.gid)
        let r = Runner.run(
            "/usr/bin/setpriv",
            [
                "--reuid", String(u.uid), "--regid", String(u.gid), "--clear-groups",
                Host.binary, "spec", "--rootless", "--bundle", dir,
            ], ioDir: u.s.io)
        try #require(r.status == 0, "spec --rootless: \(r)")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))
        var json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var process = json["process"] as? [String: Any] ?? [:]
        process["terminal"] = false
        process["args"] = ["sh", "-c", script]
        json["process"] = process
        json["root"] = ["path": Host.rootfsPath, "readonly": true]
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/config.json"))
    }

    @Test("spec --rootless runs as a non-root user: root inside, the user outside, no cgroup, state under $XDG_RUNTIME_DIR/berth; exec joins it")
    func rootlessLifecycle() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let u = try setUp(s)
        try rootlessBundle(u, "id -u; cat /proc/self/uid_map; cat /proc/self/setgroups; sleep 100")
        let id = s.newID("rl")
        let pidFile = u.runtimeDir + "/pid"
        let r = u.berth(["run", "-d", "--pid-file", pidFile, "--bundle", s.bundle.path, id])
        #expect(r.status == 0, "\(r)")
        #expect(FileManager.default.fileExists(atPath: u.runtimeDir + "/berth/\(id)/state.json"))
        let pid = try #require(Int32(Host.readFile(pidFile) ?? ""))
        #expect(Host.waitUntil(timeout: 10) { r.stdoutNow.lines.count >= 3 })
        let out = r.stdoutNow.lines.map { $0.split(separator: " ").joined(separator: " ") }
        // A non-root writer of gid_map must deny setgroups first (user_namespaces(7)).
        #expect(out == ["0", "0 \(u.uid) 1", "deny"], "\(r.stdoutNow)")
        let status = Host.readFile("/proc/\(pid)/status") ?? ""
        #expect(status.lines.contains { $0.hasPrefix("Uid:") && $0.split(separator: "\t").dropFirst().allSatisfy { $0 == "\(u.uid)" } }, "\(status)")
        // No cgroup of its own: the init stays in the caller's cgroups.
        #expect(!(Host.readFile("/proc/\(pid)/cgroup") ?? "").contains(id))
        let state = u.berth(["state", id])
        #expect(state.status == 0 && state.stdout.contains("\"running\""), "\(state)")

        let e = u.berth(["exec", id, "sh", "-c", "id -u; echo $$; exit 5"])
        #expect(e.status == 5, "\(e)")
        #expect(e.stdout.lines.first == "0", "\(e)")
        #expect((Int(e.stdout.lines.last ?? "") ?? 0) > 1, "a pid in the container's pid namespace: \(e)")
        #expect(u.berth(["kill", id, "KILL"]).status == 0)
        #expect(Host.waitUntil(timeout: 10) { !Host.isAlive(pid) })
        #expect(u.berth(["delete", id]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: u.runtimeDir + "/berth/\(id)"))
    }

    @Test("several id ranges go through newuidmap/newgidmap")
    func multiRangeMaps() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let u = try setUp(s)
        let sub = try #require(RootlessUser.subuidStart)
        try rootlessBundle(u, "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups") { json in
            var linux = json["linux"] as? [String: Any] ?? [:]
            linux["uidMappings"] = [["containerID": 0, "hostID": u.uid, "size": 1], ["containerID": 1, "hostID": sub, "size": 1000]]
            linux["gidMappings"] = [["containerID": 0, "hostID": u.gid, "size": 1], ["containerID": 1, "hostID": sub, "size": 1000]]
            json["linux"] = linux
        }
        let r = u.berth(["run", "--bundle", s.bundle.path, s.newID("rl")])
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.lines.map { $0.split(separator: " ").joined(separator: " ") }
        // newgidmap writes the map with setgroups still allowed (its ranges are vetted).
        #expect(lines == ["0 \(u.uid) 1", "1 \(sub) 1000", "0 \(u.gid) 1", "1 \(sub) 1000", "allow"], "\(r)")
    }

    @Test("joining a user namespace and a network namespace it does not own, as a non-root user: runc's error, nothing left behind")
    func joinForeignNetworkRefused() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let u = try setUp(s)
        try rootlessBundle(u, "sleep 100")
        let first = s.newID("rl")
        let pidFile = u.runtimeDir + "/pid"
        #expect(u.berth(["run", "-d", "--pid-file", pidFile, "--bundle", s.bundle.path, first]).status == 0)
        let pid = try #require(Int32(Host.readFile(pidFile) ?? ""))
        let netns = try JoinedUserNamespaceTests.hostOwnedNetworkNamespace(s)
        try rootlessBundle(u, "true") { json in
            var linux = json["linux"] as? [String: Any] ?? [:]
            var namespaces = (linux["namespaces"] as? [[String: Any]] ?? []).filter {
                !["user", "network"].contains($0["type"] as? String ?? "")
            }
            namespaces += [["type": "user", "path": "/proc/\(pid)/ns/user"], ["type": "network", "path": netns.path]]
            linux["namespaces"] = namespaces
            linux.removeValue(forKey: "uidMappings")
            linux.removeValue(forKey: "gidMappings")
            json["linux"] = linux
        }
        // Refused with the host's (no) privileges, and again from inside the user
        // namespace, which does not own it.
        let second = s.newID("rl")
        let r = u.berth(["run", "--bundle", s.bundle.path, second])
        expectError(r, contains: ["failed to join {net} namespaces: operation not permitted"])
        #expect(!FileManager.default.fileExists(atPath: u.runtimeDir + "/berth/" + second))
        #expect(Host.isAlive(pid))
    }

    @Test("rootless refusals: no user namespace, limits without a delegated cgroup; nothing left behind")
    func refusals() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let u = try setUp(s)
        try rootlessBundle(u, "true") { json in
            var linux = json["linux"] as? [String: Any] ?? [:]
            linux["namespaces"] = [["type": "pid"], ["type": "mount"]]
            linux.removeValue(forKey: "uidMappings")
            linux.removeValue(forKey: "gidMappings")
            json["linux"] = linux
            json.removeValue(forKey: "hostname")
        }
        let noUserNS = u.berth(["run", "--bundle", s.bundle.path, s.newID("rl")])
        #expect(noUserNS.status == 1 && noUserNS.stderr.contains("rootless container requires user namespaces"), "\(noUserNS)")

        try rootlessBundle(u, "true") { json in
            var linux = json["linux"] as? [String: Any] ?? [:]
            linux["resources"] = ["pids": ["limit": 10]]
            json["linux"] = linux
        }
        let limits = u.berth(["run", "--bundle", s.bundle.path, s.newID("rl")])
        #expect(limits.status == 1 && limits.stderr.contains("linux.resources.pids"), "\(limits)")
        #expect(limits.stderr.lines.count == 1, "\(limits)")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: u.runtimeDir + "/berth")) ?? []
        #expect(left.isEmpty, "\(left)")
        #expect(s.leftoverProcesses().isEmpty)
    }
}
