// spec-examples/hardened runs, and each restriction its README lists holds from inside.
import Foundation
import Testing

@Suite("spec-examples/hardened")
struct HardenedExampleTests {
    @Test("the hardened example runs: read-only root, one capability, no_new_privileges, seccomp")
    func hardened() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let path = Host.repoRoot + "/spec-examples/hardened/config.json"
        let data = try #require(FileManager.default.contents(atPath: path), "\(path) is missing")
        var config = Config(json: try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]))
        // The same busybox rootfs `make examples` builds for the example.
        config["root.path"] = Host.rootfsPath
        let b = try s.newBundle("hardened", config: config)
        let r = try s.runContainer(b)
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.isEmpty, "\(r)")
        #expect(
            r.stdout.lines == [
                "user: 65534:65534",
                "CapEff:\t0000000000000400",
                "CapBnd:\t0000000000000400",
                "CapAmb:\t0000000000000400",
                "NoNewPrivs:\t1",
                "Seccomp:\t2",
                "root: read-only",
                "/tmp: writable tmpfs",
                "mount: refused",
                "unshare: refused",
                "port 80: bound (ambient CAP_NET_BIND_SERVICE)",
            ], "\(r)")
    }
}
