import BerthSpec
import BerthSystem
import Glibc

/// The init layer: generated `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf`
/// bind-mounted over the rootfs's files, which stay untouched.
///
/// The files live on a private tmpfs made with fsopen/fsmount that is never attached
/// anywhere: each file is cloned with open_tree and moved onto its target. Nothing is
/// written to disk, and the files disappear with the container's mount namespace.
struct InitLayer {
    /// Annotations that control the layer (documented in the README).
    enum Annotation {
        /// `"false"` switches the init layer off.
        static let enabled = "org.berth.initlayer"
        /// Extra hosts entries: `"10.0.0.5 db,10.0.0.6 cache cache.local"`.
        static let extraHosts = "org.berth.hosts.extra"
        /// Nameservers replacing the host's: `"1.1.1.1,8.8.8.8"`.
        static let nameservers = "org.berth.dns.nameservers"
        /// Search domains: `"example.com,corp.example"`.
        static let search = "org.berth.dns.search"
        /// resolv.conf options: `"ndots:2,timeout:1"`.
        static let options = "org.berth.dns.options"
    }

    let spec: Spec
    let id: String
    let newNetwork: Bool
    /// The container's state directory, where the files' tmpfs is attached for a moment
    /// on kernels that cannot clone from a detached mount.
    var stateDirectory: String = ""
    /// Where a warning goes (a file the layer skips).
    var warn: (String) -> Void = { _ in }

    var annotations: [String: String] { spec.annotations ?? [:] }

    /// The files, by their path inside the container.
    func files() -> [(path: String, content: String)] {
        let hostname = spec.hostname.flatMap { $0.isEmpty ? nil : $0 } ?? id
        return [
            ("/etc/hostname", hostname + "\n"),
            ("/etc/hosts", hosts(hostname: hostname)),
            ("/etc/resolv.conf", resolvConf()),
        ]
    }

    func hosts(hostname: String) -> String {
        var text = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        text += "127.0.1.1\t\(hostname)\n"
        for entry in list(Annotation.extraHosts) {
            let fields = entry.split(separator: " ").filter { !$0.isEmpty }
            if fields.count >= 2 { text += fields.joined(separator: "\t") + "\n" }
        }
        return text
    }

    func resolvConf(host: String? = nil) -> String {
        let hostText = host ?? ((try? FileIO.readString("/etc/resolv.conf")) ?? "")
        var nameservers: [String] = []
        var search: [String] = []
        var options: [String] = []
        var other: [String] = []
        for raw in hostText.split(separator: "\n") {
            let line = raw.trimmingSpaces
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let key = fields.first, !key.hasPrefix("#"), !key.hasPrefix(";") else { continue }
            switch key {
            case "nameserver" where fields.count > 1:
                // A loopback resolver of the host is unreachable from a new network namespace.
                if newNetwork && Self.isLoopback(fields[1]) { continue }
                nameservers.append(fields[1])
            case "search", "domain": search = Array(fields.dropFirst())
            case "options": options += fields.dropFirst()
            default: other.append(line)
            }
        }
        if annotations[Annotation.nameservers] != nil { nameservers = list(Annotation.nameservers) }
        if annotations[Annotation.search] != nil { search = list(Annotation.search) }
        if annotations[Annotation.options] != nil { options = list(Annotation.options) }
        var text = ""
        if !search.isEmpty { text += "search " + search.joined(separator: " ") + "\n" }
        for ns in nameservers { text += "nameserver \(ns)\n" }
        if !options.isEmpty { text += "options " + options.joined(separator: " ") + "\n" }
        for line in other { text += line + "\n" }
        return text
    }

    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1" || address == "0:0:0:0:0:0:0:1"
    }

    private func list(_ key: String) -> [String] {
        (annotations[key] ?? "").split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
    }

    /// The file to mount over for `path`, resolved inside the rootfs: a symlink there is
    /// followed as if the rootfs were `/` (never out of it). A missing file (or the
    /// missing target of a symlink) is created only when the rootfs is writable; when
    /// there is nothing to mount over, the file is skipped with a warning.
    private func mountPoint(_ path: String, rooted: RootedPath) -> Int32? {
        if let existing = try? rooted.open(path, flags: O_PATH) { return existing }
        var link = ""
        if let fd = try? rooted.open(path, flags: O_PATH | O_NOFOLLOW) {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlinkat(fd, "", &buffer, buffer.count - 1)
            close(fd)
            if n >= 0 { link = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        }
        // Over a copy-on-write layer (`rooted.marker`) the rootfs itself is never written,
        // read-only or not: the mount point goes to the layer, marked as berth's.
        if spec.root?.readonly != true || rooted.marker != nil {
            let parentPath = "/" + Array(Paths.components(path).dropLast()).joinedPlain(separator: "/")
            var parentTimes: stat?
            if rooted.marker != nil, link.isEmpty, let parent = try? rooted.open(parentPath, flags: O_PATH) {
                var st = stat()
                if fstat(parent, &st) == 0 { parentTimes = st }
                close(parent)
            }
            // O_CREAT through a dangling symlink creates its target, resolved in the root.
            if let made = try? rooted.open(path, flags: O_WRONLY | O_CREAT, mode: 0o644) {
                if let marker = rooted.marker {
                    marker.mark(made)
                    if let st = parentTimes, let parent = try? rooted.open(parentPath, flags: O_PATH) {
                        marker.restoreTimes(procFDPath(parent), st)
                        close(parent)
                    }
                }
                close(made)
                if let existing = try? rooted.open(path, flags: O_PATH) { return existing }
            }
        }
        if !link.isEmpty {
            warn("init layer: \(path) is a symlink to \(link), which is not a file in the rootfs; \(path) is not generated")
        }
        return nil
    }

    /// Mounts the files into the rootfs. A file that config.json mounts itself is left to
    /// that mount; a missing target is created only when the rootfs is writable.
    func apply(rooted: RootedPath) throws {
        if annotations[Annotation.enabled] == "false" { return }
        let taken = Set((spec.mounts ?? []).map { Paths.withoutDots($0.destination) })
        let wanted = files().filter { !taken.contains($0.path) }
        guard !wanted.isEmpty else { return }

        let mnt = try MountTree.newFilesystem("tmpfs", options: [("mode", "0755")])
        defer { close(mnt) }

        // Kernels before cloning from detached mounts was allowed (6.1 among them) refuse
        // open_tree on this mount with EINVAL. There the tmpfs is attached for a moment
        // over the state directory, inside the container's own mount namespace, the files
        // are bound from it, and it is detached again.
        var attachedAt: String?
        defer { if let path = attachedAt { _ = umount2(path, Int32(MNT_DETACH)) } }
        for file in wanted {
            let name = String(Paths.components(file.path).last!)
            let fd = try sys("create", "init layer " + name) {
                openat(mnt, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
            }
            try FileIO.writeAll(fd, Array(file.content.utf8), path: file.path)
            close(fd)
            guard let target = mountPoint(file.path, rooted: rooted) else { continue }
            defer { close(target) }
            if attachedAt == nil {
                do throws(SyscallError) {
                    let tree = try MountTree.clone(mnt, name, recursive: false, errorPath: "init layer " + name)
                    defer { close(tree) }
                    try MountTree.attach(tree, to: target, errorPath: file.path)
                    continue
                } catch {
                    guard error.errno == .invalidArgument, error.operation == "open_tree" else { throw error }
                }
                try MountTree.attach(mnt, at: stateDirectory)
                attachedAt = stateDirectory
            }
            try MountTable.mount(
                source: stateDirectory + "/" + name, target: procFDPath(target), type: nil,
                flags: UInt(MS_BIND), errorPath: file.path)
        }
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}
