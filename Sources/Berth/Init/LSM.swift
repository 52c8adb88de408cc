import BerthSpec
import BerthSystem
import Glibc

/// AppArmor and SELinux labels: `process.apparmorProfile`, `process.selinuxLabel` and
/// `linux.mountLabel`. Applied only where the host runs that LSM; `SecurityPreflight`
/// refuses a label the host cannot apply before anything is created.
enum LSM {
    /// The kernel's own switch (runc reads the same file). securityfs need not be mounted.
    static var apparmorEnabled: Bool {
        ((try? FileIO.readString("/sys/module/apparmor/parameters/enabled")) ?? "").hasPrefix("Y")
    }

    /// selinuxfs is mounted where libselinux and go-selinux expect it.
    static var selinuxEnabled: Bool { FileIO.exists("/sys/fs/selinux/enforce") }

    /// Sets the labels the next execve switches to: the AppArmor profile (`exec <name>`)
    /// and the SELinux process label. Runs in the init after pivot_root, through the
    /// container's own /proc, and before the seccomp filter is loaded (the filter may
    /// refuse the open and write). The label applies at the next execve in this process
    /// and its children, so startContainer hooks run under it too, as with runc.
    static func applyExecLabels(_ process: Process) throws {
        if let profile = process.apparmorProfile, !profile.isEmpty {
            try writeAttribute(
                ["/proc/self/attr/apparmor/exec", "/proc/self/attr/exec"], "exec " + profile,
                field: "process.apparmorProfile")
        }
        if let label = process.selinuxLabel, !label.isEmpty {
            try writeAttribute(["/proc/self/attr/exec"], label, field: "process.selinuxLabel")
        }
    }

    /// `data` with the SELinux `context=` option of `linux.mountLabel` added, for the
    /// filesystems that take it (not proc, sysfs, cgroup or mqueue, as runc).
    static func mountData(_ data: String?, type: String, label: String?) -> String? {
        guard let label, !label.isEmpty, !["proc", "sysfs", "cgroup", "cgroup2", "mqueue"].contains(type) else {
            return data
        }
        let context = "context=\"\(label)\""
        guard let data, !data.isEmpty else { return context }
        return data + "," + context
    }

    /// Writes `value` to the first of `paths` that exists. The file must be on procfs: an
    /// image whose /proc is a symlink to its own directory would otherwise take the write
    /// and the label would silently not apply (CVE-2019-16884 class).
    private static func writeAttribute(_ paths: [String], _ value: String, field: String) throws {
        for path in paths {
            let fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
            if fd < 0 {
                let e = currentErrno()
                if e == .noSuchFileOrDirectory && path != paths.last { continue }
                throw InitError("\(field): open \(path): \(errnoText(e))", errno: e.rawValue)
            }
            defer { close(fd) }
            guard FileSystemType.isProc(fd) else {
                throw InitError("\(field): \(path) is not on procfs", errno: EINVAL)
            }
            do throws(SyscallError) { try FileIO.writeAll(fd, Array(value.utf8), path: path) } catch {
                throw InitError("\(field): write \(path): \(errnoText(error.errno))", errno: error.errno.rawValue)
            }
            return
        }
    }
}

extension ContainerRuntime {
    /// Whether this host runs AppArmor, so `process.apparmorProfile` can be applied.
    public static var hostHasAppArmor: Bool { LSM.apparmorEnabled }
    /// Whether this host runs SELinux, so `process.selinuxLabel` and `linux.mountLabel` can be applied.
    public static var hostHasSELinux: Bool { LSM.selinuxEnabled }
}
