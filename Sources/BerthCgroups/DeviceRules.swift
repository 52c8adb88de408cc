import BerthSpec
import BerthSystem

/// `linux.resources.devices` on cgroup v1: `devices.deny` / `devices.allow` lines, applied
/// after a deny-all, with the devices every container needs always allowed (as runc does).
/// cgroup v2 uses `DeviceProgram` (eBPF) instead.
public enum DeviceRules {
    /// Devices allowed whatever the config says: /dev/null, zero, full, random, urandom,
    /// tty, console, ptmx, the pty slaves, and mknod of anything.
    static let always: [String] = [
        "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
        "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
    ]

    /// The v1 line for one rule: `c 1:3 rwm`, with `*` for a missing number.
    public static func line(_ rule: LinuxDeviceCgroup) -> String {
        let type = rule.type.flatMap { $0.isEmpty ? nil : $0 } ?? "a"
        if type == "a" && rule.major == nil && rule.minor == nil { return "a" }
        let major = rule.major.map(String.init) ?? "*"
        let minor = rule.minor.map(String.init) ?? "*"
        return "\(type) \(major):\(minor) \(rule.access.flatMap { $0.isEmpty ? nil : $0 } ?? "rwm")"
    }

    /// Applies the rules, in order, to the set's v1 devices cgroup, starting from deny-all
    /// and ending with the always-allowed devices (which, as in runc, win over the config).
    public static func apply(_ rules: [LinuxDeviceCgroup], to set: CgroupSet) throws(SyscallError) {
        guard let dir = set.paths.first(where: { FileIO.exists($0 + "/devices.allow") }) else {
            // No v1 devices controller: on a unified host the rules become an eBPF program.
            if set.unified, let dir = set.paths.first {
                try DeviceProgram.attach(rules, to: dir)
            }
            return
        }
        try FileIO.write(dir + "/devices.deny", Array("a".utf8))
        for rule in rules {
            try FileIO.write(dir + (rule.allow ? "/devices.allow" : "/devices.deny"), Array(line(rule).utf8))
        }
        for entry in always {
            try FileIO.write(dir + "/devices.allow", Array(entry.utf8))
        }
    }
}
