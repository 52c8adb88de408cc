// Fixtures for the mount tests: user namespace configs, host mounts with chosen flags,
// files with chosen owners, and reading one mount's options from inside.
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension Config {
    /// A new user namespace mapping container ids 0... to host ids `host`... (the
    /// runc tests' 100000/65536).
    mutating func useUserNamespace(host: Int = 100000, size: Int = 65536) {
        setNamespace("user")
        self["linux.uidMappings"] = [["containerID": 0, "hostID": host, "size": size]]
        self["linux.gidMappings"] = [["containerID": 0, "hostID": host, "size": size]]
    }

    /// Appends a mount given as a JSON-shaped dictionary (for fields addMount lacks).
    mutating func addMount(_ m: [String: Any]) { mounts.append(m) }
}

/// A `[containerID, hostID, size]` mapping list for config.json.
func idMap(_ ranges: (Int, Int, Int)...) -> [[String: Any]] {
    ranges.map { ["containerID": $0.0, "hostID": $0.1, "size": $0.2] }
}

extension Sandbox {
    /// A tmpfs mounted on the host at `dir/name` (unmounted at cleanup), then given the
    /// per-mount `flags` with a bind remount, as runc's tests prepare their sources: the
    /// superblock itself stays rw, suid, dev, exec, so a bind of it can clear them.
    func hostTmpfs(_ name: String, flags: UInt = 0) throws -> String {
        let path = dir + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard mount("tmpfs", path, "tmpfs", UInt(MS_STRICTATIME), "size=1m") == 0 else {
            throw TestSetupError("mount tmpfs on \(path): \(String(cString: strerror(errno)))")
        }
        onCleanup { umount2(path, Int32(MNT_DETACH)) }
        try setHostFlags(path, flags)
        return path
    }

    /// Bind-remounts the host mount at `path` with exactly `flags` (plus strictatime when
    /// no access-time flag is given).
    func setHostFlags(_ path: String, _ flags: UInt) throws {
        let atime = UInt(MS_NOATIME) | UInt(MS_RELATIME) | UInt(MS_STRICTATIME)
        let all = flags | (flags & atime == 0 ? UInt(MS_STRICTATIME) : 0) | UInt(MS_REMOUNT) | UInt(MS_BIND)
        guard mount(nil, path, nil, all, nil) == 0 else {
            throw TestSetupError("remount \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Creates `path` (a file) owned by `uid:gid`.
    func ownedFile(_ path: String, _ uid: UInt32, _ gid: UInt32) throws {
        try Host.write(path, "")
        guard chown(path, uid, gid) == 0 else { throw TestSetupError("chown \(path)") }
    }
}

/// The options of the mount at `destination` in a /proc/self/mounts dump (last wins).
func optionsOf(_ mounts: String, _ destination: String) -> Set<String> {
    mountOptions(mountLine(mounts, destination))
}

/// The host's mount options for `path` (from the host's /proc/self/mounts).
func hostOptionsOf(_ path: String) -> Set<String> {
    optionsOf(Host.readFile("/proc/self/mounts") ?? "", path)
}
