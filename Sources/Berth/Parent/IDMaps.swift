import BerthSpec
import BerthSystem
import Glibc

/// Writes a new user namespace's uid and gid maps from the parent.
///
/// root writes any map itself. A non-root caller may write only a one-line map of its
/// own id (and the gid map only after denying setgroups); anything else goes through
/// the setuid helpers newuidmap/newgidmap, which check /etc/subuid and /etc/subgid.
enum IDMaps {
    static func write(pid: Int32, linux: Linux?) throws(BerthError) {
        let uid = linux?.uidMappings ?? []
        let gid = linux?.gidMappings ?? []
        do throws(SyscallError) {
            if geteuid() == 0 {
                if !uid.isEmpty { try FileIO.write("/proc/\(pid)/uid_map", text(uid)) }
                if !gid.isEmpty { try FileIO.write("/proc/\(pid)/gid_map", text(gid)) }
                return
            }
        } catch { throw BerthError.system("write id mappings", error) }
        try writeUnprivileged(pid: pid, kind: "uid", uid, own: geteuid(), helper: "newuidmap")
        try writeUnprivileged(pid: pid, kind: "gid", gid, own: getegid(), helper: "newgidmap")
    }

    private static func text(_ maps: [LinuxIDMapping]) -> [UInt8] {
        Array(maps.map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined().utf8)
    }

    private static func writeUnprivileged(
        pid: Int32, kind: String, _ maps: [LinuxIDMapping], own: UInt32,
        helper: String
    ) throws(BerthError) {
        guard !maps.isEmpty else { return }
        if maps.count == 1, maps[0].hostID == own, maps[0].size == 1 {
            do throws(SyscallError) {
                if kind == "gid" { try FileIO.write("/proc/\(pid)/setgroups", Array("deny".utf8)) }
                try FileIO.write("/proc/\(pid)/\(kind)_map", text(maps))
            } catch { throw BerthError.system("write \(kind) mapping", error) }
            return
        }
        guard let path = lookPath(helper) else {
            throw BerthError(
                .invalidSpec,
                "linux.\(kind)Mappings: mapping more than the caller's own \(kind) as a non-root user needs \(helper) (package uidmap), which is not on PATH"
            )
        }
        var args = [helper, String(pid)]
        for m in maps { args += [String(m.containerID), String(m.hostID), String(m.size)] }
        do throws(BerthError) {
            try HookRunner.runOne(Hook(path: path, args: args, env: [], timeout: 10), stdin: [], environment: nil)
        } catch {
            throw BerthError(.system, "\(helper) \(args.dropFirst().joined(separator: " ")): \(error.message) (are the ranges in /etc/sub\(kind)?)")
        }
    }

    static func lookPath(_ name: String) -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for dir in (path + ":/usr/bin:/usr/sbin").split(separator: ":") where access("\(dir)/\(name)", X_OK) == 0 {
            return "\(dir)/\(name)"
        }
        return nil
    }
}
