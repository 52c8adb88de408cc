import BerthSystem
import Glibc

/// The root switch without pivot_root (`--no-pivot`, or a rootfs on the initramfs)
/// leaves the host's mounts in the container's mount namespace, out of sight but there.
///
/// The kernel lets a process with CAP_SYS_ADMIN in a user namespace mount a fresh procfs
/// or sysfs only where one is already fully visible in its mount namespace: with the
/// host's full /proc still present (the container's own has masked paths over it), a
/// container process that makes a user namespace could mount an unmasked procfs (and
/// write /proc/sysrq-trigger). So, as runc does, every full procfs and sysfs mount of the
/// host outside the rootfs is detached first, or covered with a tmpfs where detaching is
/// refused. This reads mountinfo, which only this path pays for.
enum NoPivotRoot {
    static func hideHostProcAndSys(rootfs: String) throws {
        let text = try FileIO.readString("/proc/self/mountinfo")
        var targets: [String] = []
        for line in text.split(separator: "\n") {
            guard let entry = Entry(line) else { continue }
            if entry.root == "/" && (entry.type == "proc" || entry.type == "sysfs")
                && entry.mountPoint != rootfs && !entry.mountPoint.hasPrefix(rootfs + "/")
            {
                targets.append(entry.mountPoint)
            }
        }
        for path in targets {
            // A slave first, so the detach does not propagate to the host.
            if Glibc.mount(nil, path, nil, UInt(MS_SLAVE) | UInt(MS_REC), nil) != 0 {
                // Gone with a parent detached before it.
                if currentErrno() == .noSuchFileOrDirectory { continue }
                throw SyscallError("mount", path, errno: currentErrno())
            }
            if umount2(path, Int32(MNT_DETACH)) != 0 {
                let e = currentErrno()
                guard e == .invalidArgument || e == .notPermitted else { throw SyscallError("umount", path, errno: e) }
                try MountTable.mount(source: "tmpfs", target: path, type: "tmpfs", flags: 0)
            }
        }
    }

    /// The fields of a mountinfo line this needs.
    struct Entry {
        var root: String
        var mountPoint: String
        var type: String

        init?(_ line: Substring) {
            // The optional fields end with a lone "-"; the filesystem type follows it.
            let all = line.split(separator: " ", omittingEmptySubsequences: false)
            guard let dash = all.firstIndex(of: "-"), dash + 1 < all.count else { return nil }
            let fields = all[..<dash]
            let type = all[dash + 1]
            guard fields.count >= 5 else { return nil }
            root = Self.unescape(fields[3])
            mountPoint = Self.unescape(fields[4])
            self.type = String(type)
        }

        /// mountinfo writes space, tab, newline and backslash as `\ooo`.
        static func unescape(_ s: Substring) -> String {
            var bytes: [UInt8] = []
            let utf8 = Array(s.utf8)
            var i = 0
            while i < utf8.count {
                if utf8[i] == UInt8(ascii: "\\"), i + 4 <= utf8.count,
                    let value = UInt8(String(decoding: utf8[(i + 1)..<(i + 4)], as: UTF8.self), radix: 8)
                {
                    bytes.append(value)
                    i += 4
                } else {
                    bytes.append(utf8[i])
                    i += 1
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
