import BerthSpec
import BerthSystem
import Glibc

/// One change a container made in its copy-on-write layer, as `docker diff` lists it.
public struct LayerChange: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// `A`: not in the read-only layers.
        case added = "A"
        /// `C`: in the read-only layers, changed (content, metadata, or what a directory holds).
        case changed = "C"
        /// `D`: in the read-only layers, deleted.
        case deleted = "D"
    }

    public var kind: Kind
    /// The path in the container, e.g. `/etc/passwd`.
    public var path: String

    public init(kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }

    /// `A /path`, `C /path` or `D /path`.
    public var line: String { kind.rawValue + " " + path }
}

extension Container {
    /// What the container changed in its copy-on-write layer, sorted by path; running,
    /// paused or stopped alike. Fails for a container without a layer.
    public func changes() throws(BerthError) -> [LayerChange] {
        try LayerChange.list(try layer())
    }

    /// The container's layer, as its state records it.
    func layer() throws(BerthError) -> ContainerLayer {
        guard case .complete(let record) = try store.entry(id) else {
            throw BerthError(.invalidState, "container \(id) is still being created")
        }
        guard let layer = record.layer else {
            throw BerthError(
                .invalidState, "container \(id) has no copy-on-write layer (create it with --overlay or the annotation org.berth.rootfs.overlay)")
        }
        return layer
    }
}

extension ContainerRuntime {
    /// What a kept layer directory (`create --overlay DIR`) holds, compared with the
    /// read-only layers its last container had; with or without a container using it.
    public static func layerChanges(directory: String) throws(BerthError) -> [LayerChange] {
        try LayerChange.list(try ContainerLayer.kept(at: directory))
    }
}

extension LayerChange {
    static func list(_ layer: ContainerLayer) throws(BerthError) -> [LayerChange] {
        try LayerWalk(upper: layer.upper, lowers: layer.lowers).entries().filter(\.reported).map {
            LayerChange(kind: $0.change, path: $0.path)
        }
    }
}

/// What `commit` wrote.
public struct LayerCommit: Sendable, Equatable {
    /// sha256 of the uncompressed tarball: the layer's OCI diff id (`sha256:<hex>`).
    public var diffID: String
    /// sha256 of the file as written (the compressed blob's digest; the diff id when
    /// uncompressed).
    public var digest: String
    /// Bytes written.
    public var size: UInt64
}

extension Container {
    /// Writes the container's layer to `path` as an OCI image layer tarball (see
    /// `ContainerRuntime.commitLayer(directory:to:)`).
    public func commit(to path: String, compression: LayerCompression? = nil) throws(BerthError) -> LayerCommit {
        try LayerCommit.write(try layer(), to: path, compression: compression)
    }
}

extension ContainerRuntime {
    /// Writes a kept layer directory to `path` as an OCI image layer tarball: the same
    /// bytes for the same layer content.
    /// `compression` compresses the file (gzip or zstd); the diff id stays that of the
    /// uncompressed tarball.
    public static func commitLayer(directory: String, to path: String, compression: LayerCompression? = nil)
        throws(BerthError) -> LayerCommit
    {
        try LayerCommit.write(try ContainerLayer.kept(at: directory), to: path, compression: compression)
    }
}

extension LayerCommit {
    static func write(_ layer: ContainerLayer, to path: String, compression: LayerCompression?) throws(BerthError) -> LayerCommit {
        let target = Paths.absolute(path)
        let temporary = target + ".berth-tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw BerthError.system("commit", SyscallError("open", temporary, errno: currentErrno())) }
        var hash = SHA256()
        var blobHash = SHA256()
        var size: UInt64 = 0
        var compressor: CompressionStream?
        if let compression {
            do throws(CompressionError) { compressor = try CompressionStream(compression.stream, compress: true) } catch {
                close(fd)
                unlink(temporary)
                throw BerthError(.system, "commit: \(error.message)")
            }
        }
        func store(_ bytes: [UInt8]) throws(BerthError) {
            blobHash.update(bytes)
            size += UInt64(bytes.count)
            do throws(SyscallError) { try FileIO.writeAll(fd, bytes, path: temporary) } catch {
                throw BerthError.system("commit", error)
            }
        }
        do throws(BerthError) {
            defer { close(fd) }
            // Written in large pieces: the tar writer hands over headers and file pieces.
            var pending: [UInt8] = []
            func flush(end: Bool = false) throws(BerthError) {
                hash.update(pending)
                if let compressor {
                    var out: [UInt8]
                    do throws(CompressionError) {
                        out = try compressor.update(pending)
                        if end { out += try compressor.finish() }
                    } catch { throw BerthError(.system, "commit: \(error.message)") }
                    try store(out)
                } else {
                    try store(pending)
                }
                pending.removeAll(keepingCapacity: true)
            }
            let tar = LayerTar(walk: LayerWalk(upper: layer.upper, lowers: layer.lowers)) { (bytes) throws(BerthError) in
                pending += bytes
                if pending.count >= 1 << 18 { try flush() }
            }
            try tar.write()
            try flush(end: true)
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, target) == 0 else {
            let e = currentErrno()
            unlink(temporary)
            throw BerthError.system("commit", SyscallError("rename", target, errno: e))
        }
        return LayerCommit(diffID: hash.finishDigest(), digest: blobHash.finishDigest(), size: size)
    }
}

extension ContainerRuntime {
    /// Unpacks an OCI image layer tarball (as `commit` writes it) into `directory` (made;
    /// it may exist if empty) as a read-only overlayfs layer: `.wh.` entries become
    /// whiteouts, `.wh..wh..opq` an opaque directory. Returns the layer's diff id. A
    /// tarball that would write outside the directory is refused and nothing is left.
    public static func unpackLayer(_ tarball: String, into directory: String) throws(BerthError) -> String {
        try LayerUnpack(source: tarball, directory: Paths.absolute(directory)).run()
    }
}

/// How `commit` compresses a layer tarball.
public enum LayerCompression: String, Sendable, CaseIterable {
    case gzip
    case zstd

    var stream: Compression { self == .gzip ? .gzip : .zstd }
}

extension ContainerRuntime {
    /// Where `bundle --image` keeps unpacked layers unless told: `/var/lib/berth/layers`,
    /// or for a non-root user `$XDG_DATA_HOME/berth/layers` (`~/.local/share/...`).
    public static var defaultLayerStore: String {
        if geteuid() == 0 { return "/var/lib/berth/layers" }
        if let data = getenv("XDG_DATA_HOME").map({ String(cString: $0) }), data.hasPrefix("/") {
            return data + "/berth/layers"
        }
        let home = getenv("HOME").map { String(cString: $0) } ?? "/tmp"
        return home + "/.local/share/berth/layers"
    }

    /// Makes `bundle` from the OCI image layout `layout` (the image `reference` names in
    /// its index.json, or its only one): blobs checked against their digests, layers
    /// unpacked once into `store` and shared, config.json from the image config. Returns
    /// the bundle's layer directories, top first.
    @discardableResult
    public static func makeBundle(image layout: String, reference: String?, bundle: String, store: String? = nil)
        throws(BerthError) -> [String]
    {
        try ImageBundle(
            layout: Paths.absolute(layout), reference: reference, store: Paths.absolute(store ?? defaultLayerStore),
            bundle: Paths.absolute(bundle)
        ).run()
    }

    /// Removes the layer directories of `store` that no bundle made from it uses any more
    /// (a bundle whose `layers` file is gone no longer counts). Returns what was removed.
    public static func pruneLayers(store: String? = nil) throws(BerthError) -> [String] {
        let store = Paths.absolute(store ?? defaultLayerStore)
        let registry = store + "/" + ImageBundle.registryDirectory
        var used = Set<String>()
        for entry in (try? FileIO.list(registry)) ?? [] {
            guard let bundle = try? FileIO.readString(registry + "/" + entry),
                let layers = try? FileIO.readString(bundle + "/" + ImageBundle.bundleLayersFile)
            else {
                unlink(registry + "/" + entry)
                continue
            }
            for line in layers.split(separator: "\n") { used.insert(String(line)) }
        }
        var removed: [String] = []
        let names: [String]
        do throws(SyscallError) { names = try FileIO.list(store) } catch {
            if error.errno == .noSuchFileOrDirectory { return [] }
            throw BerthError.system("read layer store", error)
        }
        for name in names.sorted() where name.utf8.count == 64 && !used.contains(store + "/" + name) {
            do throws(SyscallError) { try FileIO.removeTree(store + "/" + name, makeAccessible: true) } catch {
                throw BerthError.system("prune layer", error)
            }
            removed.append(store + "/" + name)
        }
        return removed
    }
}

extension ContainerRuntime {
    /// Whether `path` is a directory (following symlinks).
    public static func isDirectory(_ path: String) throws(BerthError) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        return (st.st_mode & S_IFMT) == S_IFDIR
    }
}
