import BerthSpec
import BerthSystem
import Glibc

/// Security checks the parent makes before it creates anything: LSM labels the host cannot
/// apply are refused with one clear line; capability names unknown to libcap or to the
/// running kernel are reported as warnings and skipped by the init, as runc skips them. (Syscall
/// names libseccomp does not know are found by the init, which resolves them once while
/// building the filter, and reported back as a `warning` message.)
enum SecurityPreflight {
    static func check(_ spec: Spec, warn: (@Sendable (String) -> Void)?) throws(BerthError) {
        try checkLabels(spec)
        for warning in warnings(spec) { emit(warning, to: warn) }
        // Read now, with the host's /proc: the init checks its executable against it after
        // pivot_root, where the container may have no /proc.
        ExecGuard.prepare()
    }

    /// Hands a warning to `warn`, or writes it to stderr as `berth: warning: ...`.
    static func emit(_ warning: String, to warn: (@Sendable (String) -> Void)?) {
        if let warn {
            warn(warning)
        } else {
            let line = "berth: warning: " + warning + "\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
        }
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

    /// The warning for skipped capability names, if any: unknown ones and ones newer than
    /// the running kernel, in runc's words.
    static func warnings(_ spec: Spec) -> [String] {
        Capabilities.skippedNamesWarning(spec.process?.capabilities).map { [$0] } ?? []
    }
}
