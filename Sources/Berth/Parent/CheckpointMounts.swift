import BerthCgroups
import BerthSpec
import BerthSystem
import Glibc

/// The container's mounts whose source lies outside it: CRIU cannot save what they
/// show, so they are dumped as external mounts (`ext_mnt`) and bound again from their
/// host sources on restore, as runc passes them.
///
/// Each is named in the image by its mountpoint inside the container, with symlinks in
/// the image resolved the way berth resolved them when it mounted (a bind onto `/conf`,
/// a link to `/real/conf`, is the mount at `/real/conf`). On restore that name maps to
/// the source on the restoring host.
struct CheckpointMounts {
    let spec: Spec
    let bundle: String
    let rootfs: String

    /// One external mount: its name in the image (the resolved mountpoint) and, for a
    /// restore, the host path bound there.
    struct External: Equatable {
        var mountpoint: String
        var source: String
    }

    /// The init layer's files that berth generates, unless config.json mounts them
    /// itself or the layer is off.
    var initLayerFiles: [String] {
        if spec.annotations?[InitLayer.Annotation.enabled] == "false" { return [] }
        let taken = Set((spec.mounts ?? []).map { Self.normalize($0.destination) })
        return ["/etc/hostname", "/etc/hosts", "/etc/resolv.conf"].filter { !taken.contains($0) }
    }

    /// Every external mount: bind mounts of config.json, the v1 cgroup hierarchies bound
    /// into a container without a cgroup namespace, the init layer (`initLayerSource`
    /// gives where its restored file lives, nil at dump), and, in a user namespace, the
    /// device nodes bound from the host.
    func externals(cgroupPaths: [String], layout: CgroupLayout, initLayerSource: ((String) -> String)? = nil) -> [External] {
        var result: [External] = []
        let newNamespaces = Set((spec.linux?.namespaces ?? []).filter { ($0.path ?? "").isEmpty }.map(\.type))
        for m in spec.mounts ?? [] {
            if BindSource.isBind(m) {
                result.append(External(mountpoint: resolve(m.destination), source: BindSource.path(m, bundle: bundle)))
            } else if m.type == "cgroup", layout.mode != .unified, !newNamespaces.contains("cgroup") || newNamespaces.contains("user") {
                // A tmpfs holding a bind of each host hierarchy (CgroupMount).
                for (h, path) in zip(layout.hierarchies, cgroupPaths) {
                    result.append(External(mountpoint: resolve(m.destination + "/" + h.name), source: path))
                }
            }
        }
        for file in initLayerFiles {
            let mountpoint = resolve(file)
            result.append(External(mountpoint: mountpoint, source: initLayerSource?(file) ?? mountpoint))
        }
        if newNamespaces.contains("user") {
            var devices = Devices.defaults.map(\.path)
            for d in spec.linux?.devices ?? [] where !devices.contains(d.path) { devices.append(d.path) }
            for path in devices { result.append(External(mountpoint: Self.normalize(path), source: path)) }
        }
        return result
    }

    /// `path` inside the container with the image's symlinks resolved within the rootfs:
    /// the longest prefix that exists is resolved, the rest is kept as written (it lies
    /// inside another mount, such as a nested bind's parent).
    func resolve(_ path: String) -> String {
        let normalized = Self.normalize(path)
        guard let rooted = try? RootedPath(root: rootfs) else { return normalized }
        var parts = normalized.split(separator: "/").map(String.init)
        var rest: [String] = []
        while !parts.isEmpty {
            if let fd = try? rooted.open("/" + parts.joined(separator: "/"), flags: O_PATH) {
                defer { close(fd) }
                if let host = readLink("/proc/self/fd/\(fd)"), host.hasPrefix(rootfs + "/") || host == rootfs {
                    let inside = String(host.dropFirst(rootfs.count))
                    return Self.normalize(inside + "/" + rest.joined(separator: "/"))
                }
                break
            }
            rest.insert(parts.removeLast(), at: 0)
        }
        return normalized
    }

    /// `/a//b/./c/` → `/a/b/c`.
    static func normalize(_ path: String) -> String {
        "/" + path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }

    /// The mount points of the process `pid`, as it sees them (`/proc/<pid>/mountinfo`
    /// field 5, octal escapes decoded).
    static func mountPoints(of pid: Int32) -> Set<String> {
        guard let text = try? FileIO.readString("/proc/\(pid)/mountinfo") else { return [] }
        var result: Set<String> = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count > 4 { result.insert(unescape(String(fields[4]))) }
        }
        return result
    }

    /// mountinfo's `\040`-style escapes.
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var bytes: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\"), i + 3 < b.count,
                let v = UInt8(String(decoding: b[(i + 1)...(i + 3)], as: UTF8.self), radix: 8)
            {
                bytes.append(v)
                i += 4
            } else {
                bytes.append(b[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
