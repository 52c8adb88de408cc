import BerthSpec
import BerthSystem
import Glibc

/// A bundle made from an OCI image layout (`skopeo copy docker://… oci:DIR:REF`,
/// `podman save --format oci-dir`): every blob checked against its digest, each layer
/// unpacked once into a content-addressed store (one directory per diff id, shared by
/// every bundle that uses it), and config.json written from the image's config with the
/// layers as the bundle's read-only stack under a volatile copy-on-write layer.
///
/// The store holds `<hex of the diff id>/` per layer and `bundles/<hex of the bundle
/// path>` naming each bundle made from it; a bundle's `layers` file lists the layer
/// directories it uses, which is what `layers prune` keeps.
struct ImageBundle {
    let layout: String
    let reference: String?
    let store: String
    let bundle: String

    static let bundleLayersFile = "layers"
    static let registryDirectory = "bundles"

    private func fail(_ why: String) -> BerthError {
        BerthError(.invalidSpec, "\(layout): \(why)")
    }

    /// Makes the bundle; returns the layer directories it uses, top first.
    func run() throws(BerthError) -> [String] {
        guard FileIO.exists(layout + "/oci-layout") else {
            throw fail("not an OCI image layout (no oci-layout file)")
        }
        let layoutDoc = try json(try FileIO.readOrFail(layout + "/oci-layout", what: "oci-layout"), "oci-layout")
        guard case .object(let lo) = layoutDoc, case .string(let version)? = lo["imageLayoutVersion"], version.hasPrefix("1.") else {
            throw fail("oci-layout: no imageLayoutVersion 1.x")
        }
        let index = try json(try FileIO.readOrFail(layout + "/index.json", what: "index.json"), "index.json")
        var manifestDescriptor = try pickManifest(index, from: "index.json")
        var manifest = try json(try blob(manifestDescriptor), "manifest")
        // An image index (several platforms): the one for this machine.
        if manifestDescriptor.mediaType.hasSuffix("image.index.v1+json") || manifestDescriptor.mediaType.hasSuffix("manifest.list.v2+json") {
            manifestDescriptor = try pickPlatform(manifest)
            manifest = try json(try blob(manifestDescriptor), "manifest")
        }
        guard case .object(let m) = manifest, let configValue = m["config"], case .array(let layerValues)? = m["layers"] else {
            throw fail("manifest \(manifestDescriptor.digest): no config or layers")
        }
        let configDescriptor = try Descriptor(configValue, what: "manifest config", fail)
        let layers = try layerValues.map { (v) throws(BerthError) in try Descriptor(v, what: "manifest layer", fail) }
        let config = try json(try blob(configDescriptor), "image config")
        guard case .object(let c) = config, case .object(let rootfs)? = c["rootfs"], case .array(let ids)? = rootfs["diff_ids"] else {
            throw fail("image config \(configDescriptor.digest): no rootfs.diff_ids")
        }
        let diffIDs = ids.compactMap { (v: JSONValue) -> String? in if case .string(let s) = v { return s } else { return nil } }
        guard diffIDs.count == layers.count, !layers.isEmpty else {
            throw fail("image config: \(diffIDs.count) diff ids for \(layers.count) layers")
        }
        for id in diffIDs { _ = try Self.hex(id, fail) }

        do throws(SyscallError) { try FileIO.makeDirectories(store, mode: 0o711) } catch {
            throw BerthError.system("create layer store", error)
        }
        // Bottom first, as the manifest lists them.
        var directories: [String] = []
        for (layer, diffID) in zip(layers, diffIDs) {
            directories.append(try unpackOnce(layer, diffID: diffID))
        }
        let top = Array(directories.reversed())
        try writeBundle(config: c, layers: top)
        return top
    }

    // MARK: - layout documents

    struct Descriptor {
        var mediaType: String
        var digest: String
        var size: Int
        var annotations: [String: String]
        var platform: (os: String, architecture: String)?

        init(_ value: JSONValue, what: String, _ fail: (String) -> BerthError) throws(BerthError) {
            guard case .object(let o) = value, case .string(let digest)? = o["digest"] else {
                throw fail("\(what): a descriptor without a digest")
            }
            self.digest = digest
            if case .string(let t)? = o["mediaType"] { mediaType = t } else { mediaType = "" }
            if case .number(let n)? = o["size"], let v = Int(n), v >= 0 {
                size = v
            } else {
                throw fail("\(what) \(digest): no size")
            }
            annotations = [:]
            if case .object(let a)? = o["annotations"] {
                for (k, v) in zip(a.keys, a.values) { if case .string(let s) = v { annotations[k] = s } }
            }
            if case .object(let p)? = o["platform"], case .string(let os)? = p["os"], case .string(let arch)? = p["architecture"] {
                platform = (os, arch)
            }
        }
    }

    private func json(_ bytes: [UInt8], _ what: String) throws(BerthError) -> JSONValue {
        do throws(JSONSyntaxError) { return try JSONValue.parse(bytes) } catch {
            throw fail("\(what): not JSON (line \(error.line), column \(error.column): \(error.reason))")
        }
    }

    private func pickManifest(_ index: JSONValue, from what: String) throws(BerthError) -> Descriptor {
        guard case .object(let o) = index, case .array(let list)? = o["manifests"] else {
            throw fail("\(what): no manifests")
        }
        let all = try list.map { (v) throws(BerthError) in try Descriptor(v, what: what, fail) }
        let refName = "org.opencontainers.image.ref.name"
        if let reference {
            guard let d = all.first(where: { $0.annotations[refName] == reference }) else {
                let known = all.compactMap { $0.annotations[refName] }
                throw fail("no image named \"\(reference)\" (\(known.isEmpty ? "none has a name" : "names: " + known.joined(separator: ", ")))")
            }
            return d
        }
        guard all.count == 1 else {
            let known = all.compactMap { $0.annotations[refName] }
            throw fail("\(all.count) images: name one as DIR:REF (names: \(known.joined(separator: ", ")))")
        }
        return all[0]
    }

    private func pickPlatform(_ index: JSONValue) throws(BerthError) -> Descriptor {
        guard case .object(let o) = index, case .array(let list)? = o["manifests"] else { throw fail("image index: no manifests") }
        let all = try list.map { (v) throws(BerthError) in try Descriptor(v, what: "image index", fail) }
        let arch = Self.hostArchitecture
        guard let d = all.first(where: { $0.platform?.os == "linux" && $0.platform?.architecture == arch }) else {
            throw fail("image index: no image for linux/\(arch)")
        }
        return d
    }

    static var hostArchitecture: String {
        var u = utsname()
        uname(&u)
        let machine = withUnsafeBytes(of: u.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        switch machine {
        case "x86_64": return "amd64"
        case "aarch64": return "arm64"
        case "i686", "i386": return "386"
        default: return machine
        }
    }

    /// The 64 hex digits of a `sha256:` digest (anything else is refused: they name files).
    static func hex(_ digest: String, _ fail: (String) -> BerthError) throws(BerthError) -> String {
        guard digest.hasPrefix("sha256:") else { throw fail("digest \"\(digest)\": only sha256 is supported") }
        let hex = digest.dropFirst(7)
        guard hex.count == 64, hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw fail("digest \"\(digest)\": not 64 lowercase hex digits")
        }
        return String(hex)
    }

    private func blobPath(_ d: Descriptor) throws(BerthError) -> String {
        layout + "/blobs/sha256/" + (try Self.hex(d.digest, fail))
    }

    /// A small blob (a JSON document), checked against its digest and size.
    private func blob(_ d: Descriptor) throws(BerthError) -> [UInt8] {
        let path = try blobPath(d)
        guard d.size <= 1 << 24 else { throw fail("blob \(d.digest): \(d.size) bytes is too large for a JSON document") }
        let bytes = try FileIO.readOrFail(path, what: "blob \(d.digest)")
        guard bytes.count == d.size else { throw fail("blob \(d.digest): \(bytes.count) bytes, the descriptor says \(d.size)") }
        guard SHA256.digest(bytes) == d.digest else { throw fail("blob \(d.digest) does not match its digest") }
        return bytes
    }

    /// Checks a layer blob's digest (streamed).
    private func verify(_ d: Descriptor, at path: String) throws(BerthError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw fail("blob \(d.digest): \(errnoText(currentErrno()))") }
        defer { close(fd) }
        var hash = SHA256()
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && currentErrno() == .interrupted { continue }
            guard n >= 0 else { throw fail("blob \(d.digest): \(errnoText(currentErrno()))") }
            if n == 0 { break }
            hash.update(buffer[0..<n])
            total += n
        }
        guard total == d.size else { throw fail("blob \(d.digest): \(total) bytes, the descriptor says \(d.size)") }
        guard hash.finishDigest() == d.digest else { throw fail("blob \(d.digest) does not match its digest") }
    }

    // MARK: - the store

    /// The layer's directory in the store, unpacked now if no bundle had it yet.
    private func unpackOnce(_ d: Descriptor, diffID: String) throws(BerthError) -> String {
        let hex = try Self.hex(diffID, fail)
        let target = store + "/" + hex
        if FileIO.exists(target, follow: false) { return target }
        let path = try blobPath(d)
        try verify(d, at: path)
        let temporary = store + "/.unpacking-" + hex + "-" + String(getpid())
        try? FileIO.removeTree(temporary, makeAccessible: true)
        let unpacked = try LayerUnpack(source: path, directory: temporary).run()
        guard unpacked == diffID else {
            try? FileIO.removeTree(temporary, makeAccessible: true)
            throw fail("layer \(d.digest) unpacks to \(unpacked), the image config says \(diffID)")
        }
        if rename(temporary, target) != 0 {
            let e = currentErrno()
            try? FileIO.removeTree(temporary, makeAccessible: true)
            // Another berth unpacked the same layer meanwhile: use that one.
            guard e == .fileExists || e == .directoryNotEmpty else {
                throw BerthError.system("store layer", SyscallError("rename", target, errno: e))
            }
        }
        return target
    }

    // MARK: - config.json

    private func writeBundle(config c: JSONObject, layers: [String]) throws(BerthError) {
        var spec = ContainerRuntime.defaultSpec(rootless: geteuid() != 0)
        var entrypoint: [String] = []
        var cmd: [String] = []
        var env: [String] = []
        var cwd = "/"
        var user = ""
        var labels: [String: String] = [:]
        if case .object(let ic)? = c["config"] {
            entrypoint = Self.strings(ic["Entrypoint"])
            cmd = Self.strings(ic["Cmd"])
            env = Self.strings(ic["Env"])
            if case .string(let w)? = ic["WorkingDir"], !w.isEmpty { cwd = w }
            if case .string(let u)? = ic["User"] { user = u }
            if case .object(let l)? = ic["Labels"] {
                for (k, v) in zip(l.keys, l.values) { if case .string(let s) = v { labels[k] = s } }
            }
        }
        let args = entrypoint + cmd
        guard !args.isEmpty else { throw fail("the image config has neither Entrypoint nor Cmd: nothing to run") }
        spec.process?.terminal = false
        spec.process?.args = args
        if !env.isEmpty { spec.process?.env = env }
        spec.process?.cwd = cwd
        if !user.isEmpty {
            let (uid, gid, groups) = try resolveUser(user, layers: layers)
            spec.process?.user.uid = uid
            spec.process?.user.gid = gid
            spec.process?.user.additionalGids = groups.isEmpty ? nil : groups
        }
        spec.root = Root(path: layers[0], readonly: false)
        var annotations = labels
        annotations[RootfsLayers.overlayAnnotation] = "volatile"
        if layers.count > 1 { annotations[RootfsLayers.lowerAnnotation] = layers.dropFirst().joined(separator: ":") }
        spec.annotations = annotations

        let data: [UInt8]
        do { data = Array(try spec.jsonData()) } catch { throw BerthError(.system, "encode config.json: \(error)") }
        do throws(SyscallError) {
            try FileIO.makeDirectories(bundle)
            try FileIO.writeAtomically(bundle + "/" + Self.bundleLayersFile, Array((layers.joined(separator: "\n") + "\n").utf8))
            let registry = store + "/" + Self.registryDirectory
            try FileIO.makeDirectories(registry, mode: 0o711)
            var h = SHA256()
            h.update(Array(bundle.utf8))
            try FileIO.writeAtomically(registry + "/" + String(h.finishDigest().dropFirst(7)), Array(bundle.utf8))
            try FileIO.writeAtomically(bundle + "/config.json", data)
        } catch { throw BerthError.system("write bundle", error) }
    }

    static func strings(_ v: JSONValue?) -> [String] {
        guard case .array(let a)? = v else { return [] }
        return a.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
    }

    /// `user`, `uid`, `user:group`, `uid:gid` resolved against the image's /etc/passwd and
    /// /etc/group (the topmost layer that has the file), as Docker resolves `User`.
    private func resolveUser(_ spec: String, layers: [String]) throws(BerthError) -> (UInt32, UInt32, [UInt32]) {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        let passwd = Self.table(file(layers, "etc/passwd"))
        let group = Self.table(file(layers, "etc/group"))
        var uid: UInt32
        var gid: UInt32 = 0
        var name: String?
        if let n = UInt32(parts[0]) {
            uid = n
            if let entry = passwd.first(where: { $0.count > 3 && $0[2] == parts[0] }) {
                gid = UInt32(entry[3]) ?? 0
                name = entry[0]
            }
        } else {
            guard let entry = passwd.first(where: { $0.first == parts[0] }), entry.count > 3,
                let u = UInt32(entry[2]), let g = UInt32(entry[3])
            else {
                throw fail("image config User \"\(spec)\": no user \(parts[0]) in the image's /etc/passwd")
            }
            (uid, gid, name) = (u, g, parts[0])
        }
        if parts.count > 1 {
            if let g = UInt32(parts[1]) {
                gid = g
            } else {
                guard let entry = group.first(where: { $0.first == parts[1] }), entry.count > 2, let g = UInt32(entry[2]) else {
                    throw fail("image config User \"\(spec)\": no group \(parts[1]) in the image's /etc/group")
                }
                gid = g
            }
        }
        var additional: [UInt32] = []
        if let name, parts.count == 1 {
            for entry in group where entry.count > 3 && entry[3].split(separator: ",").contains(Substring(name)) {
                if let g = UInt32(entry[2]), g != gid { additional.append(g) }
            }
        }
        return (uid, gid, additional)
    }

    /// The file `path` of the layer stack (top first) as overlayfs shows it.
    private func file(_ layers: [String], _ path: String) -> String {
        for layer in layers {
            let root = open(layer, O_PATH | O_DIRECTORY | O_CLOEXEC)
            guard root >= 0 else { continue }
            defer { close(root) }
            // Inside the layer, never out of it.
            guard let rooted = try? RootedPath(root: layer), let fd = try? rooted.open("/" + path, flags: O_RDONLY) else {
                var st = stat()
                if fstatat(root, path, &st, AT_SYMLINK_NOFOLLOW) == 0 { return "" }  // a whiteout or not readable
                continue
            }
            defer { close(fd) }
            var st = stat()
            if fstat(fd, &st) == 0 && LayerWalk.isWhiteout(st) { return "" }
            return (try? FileIO.readString(procFDPath(fd))) ?? ""
        }
        return ""
    }

    static func table(_ text: String) -> [[String]] {
        text.split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
    }
}

extension FileIO {
    /// The file's bytes; a missing one fails naming `what`.
    static func readOrFail(_ path: String, what: String) throws(BerthError) -> [UInt8] {
        do throws(SyscallError) { return try FileIO.read(path) } catch {
            throw BerthError(.invalidSpec, "\(what): \(path): \(errnoText(error.errno))")
        }
    }
}
