import BerthSystem

/// runc's rules for turning `linux.cgroupsPath` into a path inside each hierarchy.
public enum CgroupPath {
    /// - absolute: used as given;
    /// - relative: under the runtime's own cgroup (`parent`);
    /// - empty: `/berth/<id>` style default under the root... runc uses `/<id>` under the
    ///   parent; berth does the same;
    /// - systemd (`slice:prefix:name`, with `--systemd-cgroup`): laid out under the
    ///   slice hierarchy (`a-b.slice` → `/a.slice/a-b.slice`) as `prefix-name.scope`.
    public static func resolve(_ cgroupsPath: String?, id: String, parent: String, systemd: Bool) throws(CgroupPathError) -> String {
        let path = cgroupsPath ?? ""
        if path.split(separator: "/").contains("..") || path.split(separator: ":").contains("..") {
            throw CgroupPathError(message: "cgroupsPath \"\(path)\": must not contain \"..\"")
        }
        if systemd || isSystemdStyle(path) {
            return try systemdPath(path.isEmpty ? "system.slice:berth:\(id)" : path)
        }
        // ".." was refused above: canonical only drops "." and empty components here.
        if path.isEmpty { return Paths.canonical(parent + "/" + id) }
        if path.hasPrefix("/") { return Paths.canonical(path) }
        return Paths.canonical(parent + "/" + path)
    }

    static func isSystemdStyle(_ path: String) -> Bool {
        !path.hasPrefix("/") && path.split(separator: ":", omittingEmptySubsequences: false).count == 3
    }

    /// `slice:prefix:name` → `/<expanded slice>/<prefix>-<name>.scope`.
    public static func systemdPath(_ path: String) throws(CgroupPathError) -> String {
        let parts = path.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else {
            throw CgroupPathError(message: "cgroupsPath \"\(path)\": expected slice:prefix:name with --systemd-cgroup")
        }
        let slice = parts[0].isEmpty ? "system.slice" : parts[0]
        guard slice.hasSuffix(".slice"), !slice.contains("/") else {
            throw CgroupPathError(message: "cgroupsPath \"\(path)\": invalid slice \"\(slice)\"")
        }
        // Nested slices: "a-b-c.slice" lives at /a.slice/a-b.slice/a-b-c.slice.
        var dir = ""
        if slice != "-.slice" {
            let base = String(slice.dropLast(".slice".count))
            var prefix = ""
            for component in base.split(separator: "-", omittingEmptySubsequences: false) {
                guard !component.isEmpty else {
                    throw CgroupPathError(message: "cgroupsPath \"\(path)\": invalid slice \"\(slice)\"")
                }
                prefix = prefix.isEmpty ? String(component) : prefix + "-" + component
                dir += "/" + prefix + ".slice"
            }
        }
        let unit = parts[2].hasSuffix(".slice") ? parts[2] : (parts[1].isEmpty ? parts[2] : parts[1] + "-" + parts[2]) + ".scope"
        return dir + "/" + unit
    }
}

/// An invalid cgroupsPath.
public struct CgroupPathError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
