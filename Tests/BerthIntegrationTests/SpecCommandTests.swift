// `spec`: the default config.json.
import Foundation
import Testing

@Suite("spec command")
struct SpecCommandTests {
    @Test("spec --bundle writes a config.json that runs once the rootfs is there")
    func specWrites() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let dir = s.dir + "/specbundle"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let r = s.berth(["spec", "--bundle", dir])
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r)")
        let text = try #require(Host.readFile(dir + "/config.json"), "spec wrote no config.json")
        let obj = try #require(Host.parseJSON(text) as? [String: Any], "not JSON: \(text)")
        var c = Config(json: obj)
        #expect((c["ociVersion"] as? String ?? "").hasPrefix("1."))
        #expect(c["root.path"] as? String == "rootfs")
        #expect(c["process.terminal"] as? Bool == true)
        #expect(c.args == ["sh"])
        let ns = Set(c.namespaces.compactMap { $0["type"] as? String })
        #expect(ns.isSuperset(of: ["pid", "network", "ipc", "uts", "mount"]), "\(ns)")
        #expect(!ns.contains("user"))
        if Host.isBerth {
            #expect((c["ociVersion"] as? String ?? "").hasPrefix("1.2"), "\(text)")
            // As current runc: no ambient set (its capabilities are not inheritable, so each
            // would be a warning at every run), the TPM masked, and on this hybrid host no
            // cgroup namespace (the v2 batch checks that a pure v2 host gets one).
            #expect(c["process.capabilities.ambient"] == nil, "\(text)")
            #expect((c["linux.maskedPaths"] as? [String])?.contains("/sys/devices/virtual/tpm") == true, "\(text)")
            #expect(!ns.contains("cgroup"), "\(ns)")
        }
        // Make it runnable here: the shared rootfs (runc rejects a symlinked rootfs), no terminal.
        c["root.path"] = Host.rootfsPath
        c["process.terminal"] = false
        c.shell("echo spec-ok")
        let b = TestBundle(path: dir, config: c)
        let run = try s.runContainer(b)
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout == "spec-ok\n", "\(run)")
        #expect(run.stderr.isEmpty, "the default config runs without warnings: \(run)")
    }

    @Test("spec refuses to overwrite an existing config.json")
    func specExists() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let before = Host.readFile(s.bundle.configPath)
        let r = s.berth(["spec", "--bundle", s.bundle.path])
        expectError(r, contains: ["exists"])
        #expect(Host.readFile(s.bundle.configPath) == before)
    }

    @Test("spec without --bundle writes into the current directory")
    func specCwd() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let dir = s.dir + "/cwd"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let r = Runner.run("/bin/sh", ["-c", "cd \(Host.shellQuote(dir)) && exec \(Host.shellQuote(Host.binary)) spec"], ioDir: s.io)
        #expect(r.status == 0, "\(r)")
        #expect(FileManager.default.fileExists(atPath: dir + "/config.json"))
    }

    @Test("spec --rootless adds a user namespace with the caller's mappings")
    func specRootless() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let dir = s.dir + "/rootless"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let r = s.berth(["spec", "--rootless", "--bundle", dir])
        #expect(r.status == 0, "\(r)")
        let obj = try #require(Host.parseJSON(Host.readFile(dir + "/config.json") ?? "") as? [String: Any])
        let c = Config(json: obj)
        let ns = Set(c.namespaces.compactMap { $0["type"] as? String })
        #expect(ns.contains("user"), "\(ns)")
        #expect(!ns.contains("network"), "rootless shares the host network: \(ns)")
        let uid = (c["linux.uidMappings"] as? [[String: Any]])?.first
        let gid = (c["linux.gidMappings"] as? [[String: Any]])?.first
        #expect(uid?["containerID"] as? Int == 0 && uid?["hostID"] as? Int == 0 && uid?["size"] as? Int == 1, "\(String(describing: uid))")
        #expect(gid?["containerID"] as? Int == 0 && gid?["size"] as? Int == 1, "\(String(describing: gid))")
    }
}
