// AppArmor and SELinux: process.apparmorProfile, process.selinuxLabel, linux.mountLabel.
// berth applies them where the host runs that LSM and refuses them, in one line and before
// anything is made, where it does not; `features` says berth implements both (the spec's
// meaning of `enabled`) and, in its annotations, whether this host can apply them.
import Foundation
import Testing

@Suite("AppArmor and SELinux")
struct LSMTests {
    /// The kernel's own answers, read here independently of berth.
    static var hostHasAppArmor: Bool {
        (Host.readFile("/sys/module/apparmor/parameters/enabled") ?? "").hasPrefix("Y")
    }
    static var hostHasSELinux: Bool { FileManager.default.fileExists(atPath: "/sys/fs/selinux/enforce") }

    @Test("process.apparmorProfile: applied on an AppArmor host, else a clear error and nothing left")
    func apparmorProfile() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        if Self.hostHasAppArmor {
            // "unconfined" exists wherever AppArmor runs.
            s.bundle.config["process.apparmorProfile"] = "unconfined"
            let r = try s.sh("cat /proc/self/attr/apparmor/current 2>/dev/null || cat /proc/self/attr/current")
            #expect(r.status == 0 && r.stdout.contains("unconfined"), "\(r)")
        } else {
            s.bundle.config.shell("true")
            s.bundle.config["process.apparmorProfile"] = "berth-test-profile"
            try s.expectCreateFails(Host.isBerth ? ["process.apparmorProfile", "AppArmor is not enabled", "berth-test-profile"] : [])
            // run refuses it the same way.
            let r = try s.runContainer()
            #expect(r.status != 0, "\(r)")
            #expect(s.stateEntries().isEmpty, "\(s.stateEntries())")
        }
    }

    @Test("process.selinuxLabel and linux.mountLabel: refused with a clear error where SELinux is off")
    func selinuxLabels() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("true")
        let label = "system_u:system_r:container_t:s0:c1,c2"
        if Self.hostHasSELinux {
            s.bundle.config["process.selinuxLabel"] = label
            s.bundle.config.shell("cat /proc/self/attr/current")
            let r = try s.runContainer()
            #expect(r.status == 0 && r.stdout.contains("container_t"), "\(r)")
            return
        }
        s.bundle.config["process.selinuxLabel"] = label
        try s.expectCreateFails(Host.isBerth ? ["process.selinuxLabel", "SELinux is not enabled", label] : [])
        s.bundle.config["process.selinuxLabel"] = nil
        s.bundle.config["linux.mountLabel"] = "system_u:object_r:container_file_t:s0:c1,c2"
        try s.expectCreateFails(Host.isBerth ? ["linux.mountLabel", "SELinux is not enabled"] : [])
    }

    @Test("empty labels are no labels")
    func emptyLabels() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["process.apparmorProfile"] = ""
        s.bundle.config["process.selinuxLabel"] = ""
        s.bundle.config["linux.mountLabel"] = ""
        let r = try s.sh("echo ok")
        #expect(r.status == 0 && r.stdout == "ok\n", "\(r)")
    }

    @Test("features: both LSMs implemented; the annotations tell whether this host can apply them")
    func features() throws {
        guard Host.isBerth else { return }
        let s = try Sandbox(); defer { s.cleanup() }
        let r = s.berth(["features"])
        let doc = try #require(Host.parseJSON(r.stdout) as? [String: Any], "\(r)")
        let linux = try #require(doc["linux"] as? [String: Any])
        #expect((linux["apparmor"] as? [String: Any])?["enabled"] as? Bool == true, "\(r)")
        #expect((linux["selinux"] as? [String: Any])?["enabled"] as? Bool == true, "\(r)")
        let annotations = doc["annotations"] as? [String: String] ?? [:]
        #expect(annotations["org.berth.host.apparmor"] == (Self.hostHasAppArmor ? "enabled" : "not enabled on this host"), "\(r)")
        #expect(annotations["org.berth.host.selinux"] == (Self.hostHasSELinux ? "enabled" : "not enabled on this host"), "\(r)")
    }
}
