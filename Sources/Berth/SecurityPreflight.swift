import BerthSpec
import BerthSystem
import CBerth
import Glibc

/// Security checks the parent makes before it creates anything: LSM labels the host cannot
/// apply are refused with one clear line; names the running kernel or libseccomp do not
/// know are reported as warnings and skipped by the init, as runc skips them.
enum SecurityPreflight {
    static func check(_ spec: Spec, warn: (@Sendable (String) -> Void)?) throws(BerthError) {
        try checkLabels(spec)
        for warning in warnings(spec) {
            if let warn { warn(warning) } else {
                let line = "berth: warning: " + warning + "\n"
                _ = line.withCString { write(2, $0, strlen($0)) }
            }
        }
        // Read now, with the host's /proc: the init checks its executable against it after
        // pivot_root, where the container may have no /proc.
        ExecGuard.prepare()
    }

    static func checkLabels(_ spec: Spec) throws(BerthError) {
        if let profile = spec.process?.apparmorProfile, !profile.isEmpty, !LSM.apparmorEnabled {
            throw BerthError(.invalidSpec, "process.apparmorProfile: AppArmor is not enabled on this host; cannot apply profile \"\(profile)\"")
        }
        if let label = spec.process?.selinuxLabel, !label.isEmpty, !LSM.selinuxEnabled {
            throw BerthError(.invalidSpec, "process.selinuxLabel: SELinux is not enabled on this host; cannot apply label \"\(label)\"")
        }
        if let label = spec.linux?.mountLabel, !label.isEmpty, !LSM.selinuxEnabled {
            throw BerthError(.invalidSpec, "linux.mountLabel: SELinux is not enabled on this host; cannot apply label \"\(label)\"")
        }
    }

    /// One line per kind of skipped name.
    static func warnings(_ spec: Spec) -> [String] {
        var lines: [String] = []
        if let caps = spec.process?.capabilities {
            var seen = Set<String>()
            let newer = [caps.bounding, caps.effective, caps.permitted, caps.inheritable, caps.ambient]
                .compactMap { $0 }.joined().filter { name in
                    let value = berth_cap_from_name(name)
                    return value > Capabilities.lastCap && seen.insert(name).inserted
                }
            if !newer.isEmpty {
                lines.append("process.capabilities: ignoring capabilities unknown to the running kernel: "
                             + newer.joined(separator: ", "))
            }
        }
        if let rules = spec.linux?.seccomp?.syscalls {
            var seen = Set<String>()
            let unknown = rules.flatMap(\.names).filter {
                SeccompFilter.syscallNumber($0) == nil && seen.insert($0).inserted
            }
            if !unknown.isEmpty {
                lines.append("linux.seccomp: ignoring syscalls unknown to libseccomp: " + unknown.joined(separator: ", "))
            }
        }
        return lines
    }
}
