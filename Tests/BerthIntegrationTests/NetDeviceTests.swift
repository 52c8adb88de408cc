// linux.netDevices: a host network device moved into the container's network namespace
// and back. This kernel has no dummy module, so each test makes its own veth pair (with
// unique names, MTU, hardware address and addresses) and moves one end.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A veth pair made for one test; `name` is the end that moves. Deleted (with its peer)
/// at the sandbox's cleanup, after the containers are gone.
struct Veth {
    let name: String
    let peer: String
    let mtu = 1789
    let mac: String
    let ipv4: String
    let ipv6: String

    static func make(_ s: Sandbox, up: Bool = true) throws -> Veth {
        let tag = String(UUID().uuidString.filter(\.isHexDigit).prefix(6)).lowercased()
        let bytes = (0..<4).map { _ in UInt8.random(in: 1...254) }
        let v = Veth(
            name: "bv\(tag)", peer: "bv\(tag)p",
            mac: "02:b7:" + bytes.map { String(format: "%02x", $0) }.joined(separator: ":"),
            ipv4: "169.254.\(bytes[0]).\(bytes[1])/32",
            // Groups written as `ip` prints them: no leading zeros.
            ipv6: "fd42:b7:\(String(bytes[2], radix: 16)):\(String(bytes[3], radix: 16))::1/64")
        s.onCleanup {
            _ = Veth.ip(["link", "del", v.name], io: s.io); _ = Veth.ip(["link", "del", v.peer], io: s.io)
        }
        for args in [
            ["link", "add", v.name, "type", "veth", "peer", "name", v.peer],
            ["link", "set", v.name, "mtu", String(v.mtu), "address", v.mac],
            ["address", "add", v.ipv4, "dev", v.name],
            ["address", "add", v.ipv6, "dev", v.name],
        ] + (up ? [["link", "set", v.name, "up"]] : []) {
            let r = ip(args, io: s.io)
            guard r.status == 0 else { throw TestSetupError("ip \(args.joined(separator: " ")): \(r)") }
        }
        return v
    }

    /// `ip ARGS...` on the host, or in the network namespace at `netns`; output files in
    /// the sandbox's io directory `io`.
    static func ip(_ args: [String], netns: String? = nil, io: String) -> ProcResult {
        if let netns { return Runner.run("/usr/bin/nsenter", ["--net=" + netns, "/usr/sbin/ip"] + args, ioDir: io) }
        return Runner.run("/usr/sbin/ip", args, ioDir: io)
    }

    /// `ip -j address show dev NAME` (on the host or in `netns`), parsed; nil when there is
    /// no such device there.
    static func show(_ name: String, netns: String? = nil, io: String) -> [String: Any]? {
        let r = ip(["-j", "address", "show", "dev", name], netns: netns, io: io)
        guard r.status == 0 else { return nil }
        return (Host.parseJSON(r.stdout) as? [[String: Any]])?.first
    }

    /// What `show` reports is this device as it was made: MTU, hardware address, both
    /// addresses, and up when `up`.
    func expectIntact(
        _ info: [String: Any]?, named: String, up: Bool = true, _ where_: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let info else {
            Issue.record("\(named) not found \(where_)", sourceLocation: sourceLocation)
            return
        }
        #expect(info["ifname"] as? String == named, "\(where_): \(info)", sourceLocation: sourceLocation)
        #expect(info["mtu"] as? Int == mtu, "\(where_): \(info)", sourceLocation: sourceLocation)
        #expect(info["address"] as? String == mac, "\(where_): \(info)", sourceLocation: sourceLocation)
        let flags = info["flags"] as? [String] ?? []
        #expect(flags.contains("UP") == up, "\(where_): flags \(flags)", sourceLocation: sourceLocation)
        let addresses = Set(
            (info["addr_info"] as? [[String: Any]] ?? []).compactMap { a -> String? in
                guard let local = a["local"] as? String, let len = a["prefixlen"] as? Int else { return nil }
                return "\(local)/\(len)"
            })
        #expect(addresses.isSuperset(of: [ipv4, ipv6]), "\(where_): addresses \(addresses)", sourceLocation: sourceLocation)
    }

    /// The same checks on busybox `ip address show` output from inside a container.
    func expectIntact(inside text: String, named: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let first = text.lines.first ?? ""
        #expect(first.contains(" \(named)") && first.contains("mtu \(mtu)"), "inside: \(text)", sourceLocation: sourceLocation)
        #expect(first.contains(",UP") || first.contains("<UP"), "inside, not up: \(text)", sourceLocation: sourceLocation)
        #expect(text.contains("link/ether \(mac)"), "inside: \(text)", sourceLocation: sourceLocation)
        #expect(text.contains("inet \(ipv4)"), "inside: \(text)", sourceLocation: sourceLocation)
        #expect(text.contains("inet6 \(ipv6)"), "inside: \(text)", sourceLocation: sourceLocation)
    }
}

@Suite("network devices")
struct NetDeviceTests {
    @Test("a veth end moves into the container's new network namespace, renamed, with its MTU, MAC and addresses; back on the host after delete")
    func moveRenameAndBack() throws {
        guard Host.isBerth else { return }  // runc 1.1.5 predates linux.netDevices
        let s = try Sandbox(); defer { s.cleanup() }
        let v = try Veth.make(s)
        s.bundle.config["linux.netDevices"] = [v.name: ["name": "ctr0"]]
        s.mountOut()
        s.bundle.config.shell("ip address show dev ctr0 > /srv/inside.tmp; mv /srv/inside.tmp /srv/inside; sleep 100")
        try s.bundle.write()
        let id = s.newID()
        let r = s.berth(["run", "-d", "--bundle", s.bundle.path, id])
        #expect(r.status == 0, "\(r)")
        let inside = try #require(s.waitForOutFile("inside"))
        v.expectIntact(inside: inside, named: "ctr0")
        // From the host: gone from the host's namespace, in the container's under its new name.
        #expect(Veth.show(v.name, io: s.io) == nil, "still on the host")
        let pid = try #require(s.state(id)?["pid"] as? Int)
        v.expectIntact(Veth.show("ctr0", netns: "/proc/\(pid)/ns/net", io: s.io), named: "ctr0", "in the container's namespace")

        #expect(s.berth(["delete", "--force", id]).status == 0)
        v.expectIntact(Veth.show(v.name, io: s.io), named: v.name, "back on the host")
        #expect(Veth.show("ctr0", io: s.io) == nil)
    }

    @Test("when the container dies its network namespace is kept with the device in it; delete brings the device back")
    func backAfterDeath() throws {
        guard Host.isBerth else { return }
        let s = try Sandbox(); defer { s.cleanup() }
        let v = try Veth.make(s)
        s.bundle.config["linux.netDevices"] = [v.name: [String: Any]()]
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let id = s.newID()
        #expect(s.berth(["run", "-d", "--bundle", s.bundle.path, id]).status == 0)
        let pid = try #require(s.state(id)?["pid"] as? Int32)
        #expect(s.berth(["kill", id, "KILL"]).status == 0)
        #expect(Host.waitUntil(timeout: 10) { !Host.isAlive(pid) })
        #expect(s.waitForStatus(id, "stopped"))
        // A veth is destroyed with its namespace: the state directory's pin keeps it.
        #expect(Veth.show(v.name, io: s.io) == nil, "on the host before delete")
        let pin = s.root + "/" + id + "/netns"
        v.expectIntact(Veth.show(v.name, netns: pin, io: s.io), named: v.name, "in the pinned namespace")

        let d = s.berth(["delete", id])
        #expect(d.status == 0 && d.stderr.isEmpty, "\(d)")
        v.expectIntact(Veth.show(v.name, io: s.io), named: v.name, "back on the host")
        #expect(Host.hostMounts(containing: s.root + "/" + id).isEmpty, "pin left mounted")
        #expect(!FileManager.default.fileExists(atPath: s.root + "/" + id))
    }

    @Test("into a pre-created network namespace joined by path, and back to the host when the container is deleted")
    func precreatedNamespace() throws {
        guard Host.isBerth else { return }
        let s = try Sandbox(); defer { s.cleanup() }
        let v = try Veth.make(s, up: false)
        let ns = "bvns" + String(UUID().uuidString.filter(\.isHexDigit).prefix(8)).lowercased()
        #expect(Veth.ip(["netns", "add", ns], io: s.io).status == 0)
        s.onCleanup { _ = Veth.ip(["netns", "del", ns], io: s.io) }
        s.bundle.config.setNamespace("network", path: "/run/netns/" + ns)
        s.bundle.config["linux.netDevices"] = [v.name: ["name": "eth7"]]
        let r = try s.sh("ip address show dev eth7; readlink /proc/self/ns/net")
        #expect(r.status == 0, "\(r)")
        v.expectIntact(inside: r.stdout, named: "eth7")
        var st = stat()
        #expect(stat("/run/netns/" + ns, &st) == 0)
        #expect(r.stdout.lines.last == "net:[\(st.st_ino)]", "\(r)")
        // `run` deleted the container: the device is home, down as it was, and the
        // namespace (which lives on) no longer has it.
        v.expectIntact(Veth.show(v.name, io: s.io), named: v.name, up: false, "back on the host")
        #expect(Veth.show("eth7", netns: "/run/netns/" + ns, io: s.io) == nil)
    }

    @Test("with a user namespace: moved into the namespace it owns, and back")
    func withUserNamespace() throws {
        guard Host.isBerth else { return }
        let s = try Sandbox(); defer { s.cleanup() }
        let v = try Veth.make(s)
        s.bundle.config.setNamespace("user")
        s.bundle.config["linux.uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
        s.bundle.config["linux.gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
        s.bundle.config["linux.netDevices"] = [v.name: ["name": "uns0"]]
        let r = try s.sh("ip address show dev uns0; cat /proc/self/uid_map")
        #expect(r.status == 0, "\(r)")
        v.expectIntact(inside: r.stdout, named: "uns0")
        #expect(r.stdout.lines.last?.split(separator: " ").joined(separator: " ") == "0 100000 65536", "\(r)")
        v.expectIntact(Veth.show(v.name, io: s.io), named: v.name, "back on the host")
    }

    @Test("refusals: a missing device, no network namespace, a bad name; nothing left behind")
    func refusals() throws {
        guard Host.isBerth else { return }
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["true"]
        s.bundle.config["linux.netDevices"] = ["bvmissing0": [String: Any]()]
        let missing = try s.runContainer()
        expectError(missing, contains: ["link not found for interface bvmissing0 on runtime namespace"])

        s.bundle.config["linux.netDevices"] = ["eth0": ["name": "a/b"]]
        expectError(try s.runContainer(), contains: ["invalid network device name \"a/b\""])

        s.bundle.config.removeNamespace("network")
        s.bundle.config["linux.netDevices"] = ["eth0": [String: Any]()]
        expectError(try s.runContainer(), contains: ["unable to move network devices without a NET namespace"])
        #expect(s.stateEntries().isEmpty, "\(s.stateEntries())")
        #expect(s.leftoverProcesses().isEmpty)
    }

    @Test("a create that fails after the move puts the device back on the host")
    func failedCreateMovesBack() throws {
        guard Host.isBerth else { return }
        let s = try Sandbox(); defer { s.cleanup() }
        let v = try Veth.make(s)
        s.bundle.config["linux.netDevices"] = [v.name: ["name": "ctr0"]]
        s.bundle.config.args = ["/nonexistent"]
        try s.bundle.write()
        let id = s.newID()
        let r = s.berth(["create", "--bundle", s.bundle.path, id])
        expectError(r, contains: ["/nonexistent"])
        s.expectNothingLeft(id)
        v.expectIntact(Veth.show(v.name, io: s.io), named: v.name, "back on the host")
    }

    @Test("features reports linux.netDevices")
    func features() throws {
        guard Host.isBerth else { return }
        let s = try Sandbox(); defer { s.cleanup() }
        let r = s.berth(["features"])
        let doc = Host.parseJSON(r.stdout) as? [String: Any]
        let linux = doc?["linux"] as? [String: Any]
        #expect((linux?["netDevices"] as? [String: Any])?["enabled"] as? Bool == true, "\(r)")
    }
}
