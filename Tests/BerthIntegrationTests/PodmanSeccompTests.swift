// podman's default seccomp profile (Debian's golang-github-containers-common,
// /usr/share/containers/seccomp.json) loads and a container works under it. The file is in
// the containers/common format; it is turned into linux.seccomp here as podman does it:
// the native architecture with its sub-architectures, and each rule kept or dropped by
// the capabilities and architecture it includes or excludes.
import Foundation
import Testing

@Suite("Podman's seccomp profile")
struct PodmanSeccompTests {
    static let profilePath = "/usr/share/containers/seccomp.json"

    static func loadProfile() throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: profilePath),
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            throw TestSetupError("\(profilePath) is missing: install golang-github-containers-common (make test does)")
        }
        return json
    }

    /// The profile as podman puts it into config.json for a container with `capabilities`
    /// (its bounding set) on x86_64 ("amd64" in the profile's Go architecture names).
    static func ociSeccomp(_ profile: [String: Any], capabilities: Set<String>) -> [String: Any] {
        var arches = ["SCMP_ARCH_X86_64"]
        for entry in profile["archMap"] as? [[String: Any]] ?? [] where entry["architecture"] as? String == "SCMP_ARCH_X86_64" {
            arches += entry["subArchitectures"] as? [String] ?? []
        }
        var rules: [[String: Any]] = []
        for rule in profile["syscalls"] as? [[String: Any]] ?? [] {
            let includes = rule["includes"] as? [String: Any] ?? [:]
            let excludes = rule["excludes"] as? [String: Any] ?? [:]
            if let caps = includes["caps"] as? [String], !Set(caps).isSubset(of: capabilities) { continue }
            if let caps = excludes["caps"] as? [String], !Set(caps).isDisjoint(with: capabilities) { continue }
            if let a = includes["arches"] as? [String], !a.isEmpty, !a.contains("amd64") { continue }
            if let a = excludes["arches"] as? [String], a.contains("amd64") { continue }
            var out: [String: Any] = ["names": rule["names"] ?? [], "action": rule["action"] ?? ""]
            if let e = rule["errnoRet"] { out["errnoRet"] = e }
            if let args = rule["args"] as? [[String: Any]], !args.isEmpty { out["args"] = args }
            rules.append(out)
        }
        var seccomp: [String: Any] = ["defaultAction": profile["defaultAction"] ?? "", "architectures": arches, "syscalls": rules]
        if let e = profile["defaultErrnoRet"] { seccomp["defaultErrnoRet"] = e }
        return seccomp
    }

    static let runcCaps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]

    func setCaps(_ s: Sandbox, _ caps: [String]) {
        for set in ["bounding", "effective", "permitted"] { s.bundle.config["process.capabilities.\(set)"] = caps }
        s.bundle.config["process.capabilities.ambient"] = [String]()
    }

    static let script = """
        echo works; ls /bin/busybox; id -u; cat /etc/hostname >/dev/null && echo read-ok
        echo a b c | awk '{print $2}'; grep -E '^Seccomp:' /proc/self/status
        swapoff /etc 2>&1; echo swapoff=$?
        hostname podman-host 2>&1; echo hostname=$?
        """

    @Test("with CAP_SYS_ADMIN: the profile's unconditional EPERM rule wins over the capability (swapoff), its SYS_ADMIN rules allow sethostname")
    func withSysAdmin() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let caps = Self.runcCaps + ["CAP_SYS_ADMIN"]
        setCaps(s, caps)
        s.bundle.config["process.noNewPrivileges"] = true
        // Control: without the filter the kernel itself answers swapoff of a directory
        // with EISDIR, since CAP_SYS_ADMIN is held.
        let control = try s.sh(Self.script)
        #expect(control.stdout.contains("swapoff: /etc: Is a directory"), "control run: \(control)")

        s.bundle.config["linux.seccomp"] = Self.ociSeccomp(try Self.loadProfile(), capabilities: Set(caps))
        let r = try s.sh(Self.script)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("works") && r.stdout.contains("read-ok") && r.stdout.contains("\nb\n"), "\(r)")
        #expect(r.stdout.contains("Seccomp:\t2"), "the filter is loaded: \(r)")
        #expect(
            r.stdout.contains("swapoff: /etc: Operation not permitted") && r.stdout.contains("swapoff=1"),
            "swapoff must get the profile's errno 1, not the kernel's EISDIR: \(r)")
        #expect(r.stdout.contains("hostname=0"), "sethostname is allowed with CAP_SYS_ADMIN: \(r)")
    }

    @Test("with runc's default capabilities the container works, and sethostname gets the profile's EPERM")
    func defaultCapabilities() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        setCaps(s, Self.runcCaps)
        s.bundle.config["process.noNewPrivileges"] = false
        s.bundle.config["linux.seccomp"] = Self.ociSeccomp(try Self.loadProfile(), capabilities: Set(Self.runcCaps))
        let r = try s.sh(Self.script)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("works") && r.stdout.contains("read-ok"), "\(r)")
        #expect(r.stdout.contains("Seccomp:\t2"), "\(r)")
        #expect(r.stdout.contains("sethostname: Operation not permitted") && r.stdout.contains("hostname=1"), "\(r)")
    }

    @Test("a syscall name libseccomp does not know is skipped with one warning on stderr; the rest of the profile applies")
    func unknownSyscallWarns() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        setCaps(s, Self.runcCaps)
        var seccomp = Self.ociSeccomp(try Self.loadProfile(), capabilities: Set(Self.runcCaps))
        var rules = seccomp["syscalls"] as! [[String: Any]]
        rules[0]["names"] = ["berth_no_such_syscall"] + (rules[0]["names"] as! [String])
        seccomp["syscalls"] = rules
        s.bundle.config["linux.seccomp"] = seccomp
        let r = try s.sh("echo works; swapoff /etc 2>&1; true")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("works") && r.stdout.contains("Operation not permitted"), "\(r)")
        if Host.isBerth {
            let warnings = r.stderr.lines.filter { $0.contains("berth_no_such_syscall") }
            #expect(warnings.count == 1, "\(r)")
            #expect(warnings.first?.hasPrefix("berth: warning: linux.seccomp: ignoring syscalls unknown to libseccomp:") == true, "\(r)")
        }
    }
}
