// A container without a mount namespace of its own (its mounts are made in the host's and
// it is chroot'ed, as runc does), and one that joins a mount namespace by path (set up
// there and pivoted into, as runc does). Both work on a private copy of the rootfs: the
// shared one must not get host-visible mounts while other tests use it.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("mount namespace absent or joined")
struct MountNamespaceTests {
    /// A copy of the busybox rootfs in the sandbox, with no mount namespace, masked or
    /// read-only paths, and a writable root (runc's bats set-up for this case).
    func hostMountNamespaceBundle(_ s: Sandbox) throws -> String {
        let rootfs = s.dir + "/rootfs"
        let r = Runner.run("/bin/cp", ["-a", Host.rootfsPath, rootfs], ioDir: s.io)
        try #require(r.status == 0, "\(r)")
        s.bundle.config["root.path"] = rootfs
        s.bundle.config["root.readonly"] = false
        s.bundle.config.removeNamespace("mount")
        s.bundle.config["linux.maskedPaths"] = [String]()
        s.bundle.config["linux.readonlyPaths"] = [String]()
        return rootfs
    }

    /// The host's mount table lines for mounts at or below `path`.
    func mountsBelow(_ path: String) -> [String] {
        Host.hostMounts(containing: path).filter { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 && (fields[4] == path || fields[4].hasPrefix(path + "/"))
        }
    }

    /// Waits (bounded) until a mount of `rootfs`'s container shows in the host's table at
    /// `mountPoint` (`kind` a fragment of the line, e.g. " - cgroup"); on failure the
    /// message says whether the container's init is in this mount namespace and what its
    /// own table holds there, to tell a missed read from mounts made elsewhere.
    func expectContainerMount(
        _ s: Sandbox, _ id: String, rootfs: String, below mountPoint: String, kind: String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let found = Host.waitUntil(timeout: 10) {
            mountsBelow(mountPoint).contains { kind.isEmpty || $0.contains(kind) }
        }
        guard !found else { return }
        let pid = (s.state(id)?["pid"] as? Int) ?? 0
        let inside = (Host.readFile("/proc/\(pid)/mountinfo") ?? "").split(separator: "\n").filter { $0.contains(rootfs) }
        Issue.record(
            """
            no mount\(kind) below \(mountPoint) in the host's table: \(mountsBelow(rootfs)); \
            init \(pid) mnt \(Host.nsLink(pid: Int32(pid), "mnt") ?? "?"), ours \(Host.selfNS("mnt") ?? "?"), \
            its table: \(inside)
            """, sourceLocation: sourceLocation)
    }

    /// Mount point and propagation fields (`shared:N`, `master:N`) of `/`, to compare
    /// before and after.
    func rootPropagation() -> String {
        Host.stableMountInfo().split(separator: "\n").first { line in
            line.split(separator: " ").dropFirst(4).first == "/"
        }.map { line in
            line.split(separator: " ").dropFirst(6).prefix { $0 != "-" }.joined(separator: " ")
        } ?? "?"
    }

    @Test("without a mount namespace: mounts made in the host's, chroot into the rootfs, host propagation untouched; delete unmounts them")
    func hostMountNamespace() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try hostMountNamespaceBundle(s)
        let before = rootPropagation()
        s.bundle.config.shell("readlink /proc/self/ns/mnt; ls /bin/busybox; test -e \(s.dir) && echo host visible; echo ok > /made-inside; sleep 100")
        try s.bundle.write()
        let id = s.newID()
        let (r, pid) = try s.runDetached(id)
        #expect(Host.waitUntil(timeout: 10) { FileManager.default.fileExists(atPath: rootfs + "/made-inside") })
        let out = r.stdoutNow.lines
        // Inside: the host's mount namespace, rooted in the rootfs (the host's paths gone).
        #expect(out == [Host.selfNS("mnt") ?? "?", "/bin/busybox"], "\(r.stdoutNow)")
        // From the host: same mount namespace, root at the rootfs, its mounts visible here.
        #expect(Host.nsLink(pid: pid, "mnt") == Host.selfNS("mnt"))
        #expect(Host.readLink("/proc/\(pid)/root") == rootfs)
        // Read until it shows, as expectContainerMount does: a read of the host's table can
        // miss a line while other tests mount and unmount (CI once saw none here, and /proc
        // below it a moment later).
        #expect(
            Host.waitUntil(timeout: 10) { mountsBelow(rootfs).contains { $0.split(separator: " ")[4] == rootfs } },
            "\(mountsBelow(rootfs))")
        expectContainerMount(s, id, rootfs: rootfs, below: rootfs + "/proc")
        expectContainerMount(s, id, rootfs: rootfs, below: rootfs + "/dev")
        #expect(rootPropagation() == before, "propagation of / changed: \(before) → \(rootPropagation())")

        #expect(s.berth(["exec", id, "ls", "/made-inside"]).stdout == "/made-inside\n")
        #expect(s.berth(["delete", "--force", id]).status == 0)
        #expect(mountsBelow(rootfs).isEmpty, "left mounted: \(mountsBelow(rootfs))")
        #expect(rootPropagation() == before)
    }

    @Test("without a mount namespace: a mount the user made on the rootfs is kept at delete; the container's are gone")
    func userMountKept() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try hostMountNamespaceBundle(s)
        try #require(mount(rootfs, rootfs, nil, UInt(MS_BIND), nil) == 0)
        s.onCleanup { umount2(rootfs, Int32(MNT_DETACH)) }
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let id = s.newID()
        #expect(s.berth(["run", "-d", "--bundle", s.bundle.path, id]).status == 0)
        expectContainerMount(s, id, rootfs: rootfs, below: rootfs + "/proc")
        #expect(s.berth(["delete", "--force", id]).status == 0)
        let left = mountsBelow(rootfs).map { String($0.split(separator: " ")[4]) }
        #expect(left == [rootfs], "the user's mount alone should remain: \(left)")
    }

    @Test("without a mount namespace: a failed create unmounts what it mounted")
    func failureUnmounts() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try hostMountNamespaceBundle(s)
        s.bundle.config["hooks"] = ["createRuntime": [["path": "/bin/false"]]]
        try s.bundle.write()
        let id = s.newID()
        let r = s.berth(["run", "--bundle", s.bundle.path, id])
        #expect(r.status != 0, "\(r)")
        #expect(mountsBelow(rootfs).isEmpty, "left mounted: \(mountsBelow(rootfs))")
        #expect(s.stateEntries().isEmpty)
    }

    @Test("without a mount namespace: every hook runs once")
    func hooksOnce() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try hostMountNamespaceBundle(s)
        let log = s.out + "/hooks.log"
        func hook(_ kind: String, _ file: String) -> [String: Any] {
            ["path": "/bin/sh", "args": ["sh", "-c", "echo \(kind) >> \(file)"], "timeout": 10]
        }
        s.bundle.config["hooks"] = [
            "prestart": [hook("prestart", log)], "createRuntime": [hook("createRuntime", log)],
            "createContainer": [hook("createContainer", log)],
            // Runs chroot'ed in the rootfs: its file is the rootfs's.
            "startContainer": [hook("startContainer", "/hooks.log")],
            "poststart": [hook("poststart", log)], "poststop": [hook("poststop", log)],
        ]
        let r = try s.sh("echo ran")
        #expect(r.status == 0 && r.stdout == "ran\n", "\(r)")
        #expect(
            (Host.readFile(log) ?? "").lines == ["prestart", "createRuntime", "createContainer", "poststart", "poststop"],
            "\(Host.readFile(log) ?? "")")
        #expect((Host.readFile(rootfs + "/hooks.log") ?? "").lines == ["startContainer"])
    }

    @Test("while a container without a mount namespace runs, its cgroup mounts on the host do not mislead other containers")
    func othersStillFindHostCgroups() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try hostMountNamespaceBundle(s)
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let first = s.newID()
        #expect(s.berth(["run", "-d", "--bundle", s.bundle.path, first]).status == 0)
        // Its /sys/fs/cgroup mounts are in the host's mountinfo, after the host's own.
        expectContainerMount(s, first, rootfs: rootfs, below: rootfs + "/sys/fs/cgroup", kind: " - cgroup")

        let other = try s.newBundle("other")
        other.config.shell("cat /proc/self/cgroup")
        let r = try s.runContainer(other)
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.isEmpty, "\(r)")
    }

    @Test("without a mount namespace, masked and read-only paths are refused with runc's reason")
    func maskedPathsRefused() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.removeNamespace("mount")
        let r = try s.sh("true")
        expectError(r, contains: ["unable to restrict sys entries without a private MNT namespace"])
        #expect(s.stateEntries().isEmpty)
    }

    @Test("a mount namespace joined by path: set up there and pivoted into, nothing mounted on the host")
    func joinedMountNamespace() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        // A mount namespace of its own (a private copy of the host's), held by a process.
        let holder = try Runner.spawn("/usr/bin/unshare", ["--mount", "--propagation", "private", "sleep", "100"], ioDir: s.io)
        s.onCleanup {
            holder.signal(SIGKILL); _ = holder.wait()
        }
        #expect(Host.waitUntil(timeout: 10) { Host.nsLink(pid: holder.pid, "mnt") != Host.selfNS("mnt") })
        let joined = try #require(Host.nsLink(pid: holder.pid, "mnt"))
        let rootfs = s.dir + "/rootfs"
        let cp = Runner.run("/bin/cp", ["-a", Host.rootfsPath, rootfs], ioDir: s.io)
        try #require(cp.status == 0, "\(cp)")
        s.bundle.config["root.path"] = rootfs
        s.bundle.config.setNamespace("mount", path: "/proc/\(holder.pid)/ns/mnt")
        s.bundle.config.shell("readlink /proc/self/ns/mnt; ls /bin/busybox; cat /proc/1/comm; sleep 100")
        try s.bundle.write()
        let id = s.newID()
        let (r, pid) = try s.runDetached(id)
        #expect(Host.waitUntil(timeout: 10) { r.stdoutNow.lines.count >= 3 }, "\(r.stdoutNow)")
        #expect(r.stdoutNow.lines == [joined, "/bin/busybox", "sh"], "\(r.stdoutNow)")
        #expect(Host.nsLink(pid: pid, "mnt") == joined)
        // Its mounts live in the joined namespace, not in the host's.
        #expect(mountsBelow(rootfs).isEmpty, "\(mountsBelow(rootfs))")
        let inJoined = (Host.readFile("/proc/\(pid)/mountinfo") ?? "").lines
        #expect(inJoined.contains { $0.split(separator: " ").dropFirst(4).first == "/proc" }, "\(inJoined)")
        #expect(s.berth(["delete", "--force", id]).status == 0)
        #expect(mountsBelow(rootfs).isEmpty)
    }
}
