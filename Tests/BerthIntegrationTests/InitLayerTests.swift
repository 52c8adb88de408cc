// The init layer: generated /etc/hostname, /etc/hosts, /etc/resolv.conf bind-mounted over
// the rootfs without touching it. berth-only: against another runtime (runc) the containers
// still run, but only the runc-compatible expectations are checked (the files show the
// rootfs's own, empty, content).
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The three files, separated by markers, as seen inside.
private let dumpScript =
    "echo '## hostname'; cat /etc/hostname; echo '## hosts'; cat /etc/hosts; echo '## resolv'; cat /etc/resolv.conf; echo '## end'"

private func sections(_ out: String) -> [String: String] {
    var result: [String: String] = [:]
    var current: String?
    var buf: [String] = []
    for line in out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
        if line.hasPrefix("## ") {
            if let c = current { result[c] = buf.joined(separator: "\n") }
            current = String(line.dropFirst(3))
            buf = []
        } else {
            buf.append(line)
        }
    }
    return result
}

/// Whitespace-normalised lines.
private func fields(_ text: String?) -> [[String]] {
    (text ?? "").lines.map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }.filter { !$0.isEmpty }
}

/// The host's nameservers, minus loopback ones.
private func hostNameservers(dropLoopback: Bool) -> [String] {
    fields(Host.readFile("/etc/resolv.conf")).filter { $0.first == "nameserver" && $0.count > 1 }.map { $0[1] }
        .filter { !dropLoopback || !($0.hasPrefix("127.") || $0 == "::1") }
}

/// Size and mtime of the rootfs's own files.
private func rootfsFingerprint(_ rootfs: String = Host.rootfsPath) -> [String] {
    ["etc/hostname", "etc/hosts", "etc/resolv.conf"].map { f in
        var st = stat()
        let p = rootfs + "/" + f
        _ = stat(p, &st)
        return "\(f) \(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec) \(Host.readFile(p) ?? "<missing>")"
    }
}

@Suite("Init layer")
struct InitLayerTests {
    @Test("hostname, hosts and resolv.conf are generated; the rootfs is unchanged")
    func generated() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let before = rootfsFingerprint()
        s.bundle.config["hostname"] = "web-1"
        let r = try s.sh(dumpScript)
        #expect(r.status == 0, "\(r)")
        #expect(rootfsFingerprint() == before, "the rootfs's own files changed")
        let sec = sections(r.stdout)
        guard Host.isBerth else {
            #expect(sec["hostname"]?.trimmed == "", "\(r)")
            return
        }
        #expect(sec["hostname"]?.trimmed == "web-1", "\(r)")
        let hosts = fields(sec["hosts"])
        #expect(hosts.contains { $0.first == "127.0.0.1" && $0.contains("localhost") }, "\(r)")
        #expect(hosts.contains { $0.first == "::1" && $0.contains("localhost") }, "\(r)")
        #expect(hosts.contains { $0.dropFirst().contains("web-1") }, "\(r)")
        let ns = fields(sec["resolv"]).filter { $0.first == "nameserver" }.map { $0.count > 1 ? $0[1] : "" }
        // A new network namespace: the host's loopback resolvers would point at nothing.
        #expect(ns == hostNameservers(dropLoopback: true), "\(r)")
        #expect(!ns.contains { $0.hasPrefix("127.") || $0 == "::1" }, "\(r)")
        // The files are mounts inside the container, not writes into the rootfs.
        let m = try s.sh("grep -E ' /etc/(hostname|hosts|resolv.conf) ' /proc/mounts | wc -l")
        #expect(m.stdout.trimmed == "3", "\(m)")
    }

    @Test("without a hostname in config.json, /etc/hostname holds the container id")
    func hostnameDefaultsToID() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["hostname"] = nil
        s.bundle.config.shell("cat /etc/hostname")
        try s.bundle.write()
        let id = s.newID("hn")
        let r = s.berth(["run", "--bundle", s.bundle.path, id])
        #expect(r.status == 0, "\(r)")
        if Host.isBerth { #expect(r.stdout.trimmed == id, "\(r)") }
    }

    @Test("in the host network namespace, resolv.conf keeps the host's nameservers")
    func hostNetworkKeepsLoopback() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.removeNamespace("network")
        let r = try s.sh(dumpScript)
        #expect(r.status == 0, "\(r)")
        guard Host.isBerth else { return }
        let ns = fields(sections(r.stdout)["resolv"]).filter { $0.first == "nameserver" }.map { $0[1] }
        #expect(ns == hostNameservers(dropLoopback: false), "\(r)")
    }

    @Test("a config mount of /etc/hosts wins over the generated file")
    func callerMountWins() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let mine = s.dir + "/my-hosts"
        try Host.write(mine, "10.9.8.7 mine\n")
        s.bundle.config.addMount("/etc/hosts", type: "bind", source: mine, options: ["rbind", "ro"])
        s.bundle.config["hostname"] = "own"
        let r = try s.sh(dumpScript)
        #expect(r.status == 0, "\(r)")
        let sec = sections(r.stdout)
        #expect(sec["hosts"]?.trimmed == "10.9.8.7 mine", "\(r)")
        if Host.isBerth {
            // The other two are still generated.
            #expect(sec["hostname"]?.trimmed == "own", "\(r)")
        }
        #expect(Host.readFile(mine) == "10.9.8.7 mine\n")
    }

    @Test("annotation org.berth.initlayer=false turns the layer off")
    func switchedOff() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.setAnnotation("org.berth.initlayer", "false")
        s.bundle.config["hostname"] = "off"
        let r = try s.sh(dumpScript)
        #expect(r.status == 0, "\(r)")
        let sec = sections(r.stdout)
        // The rootfs's own files: empty.
        for k in ["hostname", "hosts", "resolv"] {
            #expect(sec[k]?.trimmed == "", "\(k): \(r)")
        }
    }

    @Test("annotations add hosts entries and override resolv.conf")
    func annotations() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.setAnnotation("org.berth.hosts.extra", "10.0.0.5 db,10.0.0.6 cache")
        s.bundle.config.setAnnotation("org.berth.dns.nameservers", "1.1.1.1,8.8.8.8")
        s.bundle.config.setAnnotation("org.berth.dns.search", "example.com")
        s.bundle.config.setAnnotation("org.berth.dns.options", "ndots:2")
        let r = try s.sh(dumpScript)
        #expect(r.status == 0, "\(r)")
        guard Host.isBerth else { return }
        let sec = sections(r.stdout)
        let hosts = fields(sec["hosts"])
        #expect(hosts.contains(["10.0.0.5", "db"]), "\(r)")
        #expect(hosts.contains(["10.0.0.6", "cache"]), "\(r)")
        #expect(hosts.contains { $0.first == "127.0.0.1" && $0.contains("localhost") }, "\(r)")
        let resolv = fields(sec["resolv"])
        #expect(resolv.filter { $0.first == "nameserver" } == [["nameserver", "1.1.1.1"], ["nameserver", "8.8.8.8"]], "\(r)")
        #expect(resolv.contains(["search", "example.com"]), "\(r)")
        #expect(resolv.contains(["options", "ndots:2"]), "\(r)")
    }

    @Test("the generated files go away with the container")
    func removedWithContainer() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let before = rootfsFingerprint()
        let id = s.newID()
        let pid = try s.runDetached(id).pid
        // Where the generated hosts file lives on the host (the source of the bind mount).
        let mountinfo = Host.readFile("/proc/\(pid)/mountinfo") ?? ""
        let hostsLine = mountinfo.lines.first { $0.split(separator: " ").dropFirst(4).first == "/etc/hosts" }
        if Host.isBerth { #expect(hostsLine != nil, "\(mountinfo)") }
        #expect(s.berth(["delete", "--force", id]).status == 0)
        #expect(s.stateEntries().isEmpty, "\(s.stateEntries())")
        #expect(Host.hostMounts(containing: id).isEmpty, "\(Host.hostMounts(containing: id))")
        #expect(rootfsFingerprint() == before)
    }

    @Test("a writable rootfs without /etc/hosts: at most an empty mount point is created in it")
    func writableRootfsMissingFile() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = s.dir + "/rootfs-copy"
        let cp = Runner.run("/bin/cp", ["-a", Host.rootfsPath, rootfs], ioDir: s.io)
        #expect(cp.status == 0, "\(cp)")
        try FileManager.default.removeItem(atPath: rootfs + "/etc/hosts")
        s.bundle.config["root.path"] = rootfs
        s.bundle.config["root.readonly"] = false
        s.bundle.config["hostname"] = "rw"
        let r = try s.sh("cat /etc/hosts")
        #expect(r.status == 0 || !Host.isBerth, "\(r)")
        guard Host.isBerth else { return }
        #expect(fields(r.stdout).contains { $0.dropFirst().contains("rw") }, "\(r)")
        // At most an empty mount point was created in the rootfs.
        let left = Host.readFile(rootfs + "/etc/hosts")
        #expect(left == nil || left == "", "generated content leaked into the rootfs: \(left ?? "")")
    }

    @Test(
        "symlinked /etc/hosts, resolv.conf and hostname: followed inside the rootfs, never out; a link to nothing is skipped with a warning",
        arguments: [true, false])
    func symlinkedFiles(readOnlyRoot: Bool) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let rootfs = try s.copyRootfs()
        // A host file at the very path the escaping link names.
        let decoy = s.dir + "/decoy"
        try Host.write(decoy, "host decoy\n")
        let etc = rootfs + "/etc"
        try Host.write(etc + "/hosts.real", "rootfs hosts\n")
        for f in ["hosts", "resolv.conf", "hostname"] { try? FileManager.default.removeItem(atPath: etc + "/" + f) }
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: etc + "/hosts", withDestinationPath: "/etc/hosts.real")
        try fm.createSymbolicLink(atPath: etc + "/resolv.conf", withDestinationPath: String(repeating: "../", count: 8) + decoy.dropFirst())
        try fm.createSymbolicLink(atPath: etc + "/hostname", withDestinationPath: "/etc/hostname")
        // With a writable rootfs, the link's target directory exists inside it.
        if !readOnlyRoot { try fm.createDirectory(atPath: rootfs + s.dir, withIntermediateDirectories: true) }
        s.bundle.config["root.path"] = rootfs
        s.bundle.config["root.readonly"] = readOnlyRoot
        s.bundle.config["hostname"] = "linked"
        s.bundle.config.setAnnotation("org.berth.dns.nameservers", "192.0.2.53")
        let r = try s.sh(dumpScript)
        let files = sections(r.stdout)
        // An existing target in the rootfs gets the generated file.
        #expect(files["hosts"]?.contains("127.0.1.1\tlinked") == true, "\(r)")
        #expect(Host.readFile(etc + "/hosts.real") == "rootfs hosts\n", "the rootfs's file changed")
        // A link out of the rootfs resolves inside it: never to the host's file.
        #expect(files["resolv"]?.contains("host decoy") != true, "\(r)")
        #expect(Host.readFile(decoy) == "host decoy\n")
        #expect(Host.hostMounts(containing: decoy).isEmpty)
        if readOnlyRoot {
            // Nothing to mount over, nothing may be created: skipped, with a warning.
            #expect(r.stderr.contains("warning: init layer: /etc/resolv.conf is a symlink to "), "\(r)")
            #expect(!fm.fileExists(atPath: rootfs + decoy))
        } else {
            // The missing target is made inside the rootfs, and mounted over.
            #expect(fm.fileExists(atPath: rootfs + decoy), "\(r)")
            #expect(files["resolv"]?.contains("nameserver 192.0.2.53") == true, "\(r)")
        }
        // A link to itself cannot be followed: skipped with a warning either way.
        #expect(r.stderr.contains("warning: init layer: /etc/hostname is a symlink to /etc/hostname"), "\(r)")
    }
}
