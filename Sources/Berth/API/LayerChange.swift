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
            throw BerthError(.invalidState, "container \(id) has no copy-on-write layer (create it with --overlay or the annotation org.berth.rootfs.overlay)")
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
    public func commit(to path: String) throws(BerthError) -> LayerCommit {
        try LayerCommit.write(try layer(), to: path)
    }
}

extension ContainerRuntime {
    /// Writes a kept layer directory to `path` as an OCI image layer tarball: the same
    /// bytes for the same layer content.
    public static func commitLayer(directory: String, to path: String) throws(BerthError) -> LayerCommit {
        try LayerCommit.write(try ContainerLayer.kept(at: directory), to: path)
    }
}

extension LayerCommit {
    static func write(_ layer: ContainerLayer, to path: String) throws(BerthError) -> LayerCommit {
        let target = Paths.absolute(path)
        let temporary = target + ".berth-tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw BerthError.system("commit", SyscallError("open", temporary, errno: currentErrno())) }
        var hash = SHA256()
        var size: UInt64 = 0
        do throws(BerthError) {
            defer { close(fd) }
            // Written in large pieces: the tar writer hands over headers and file pieces.
            var pending: [UInt8] = []
            func flush() throws(BerthError) {
                hash.update(pending)
                size += UInt64(pending.count)
                do throws(SyscallError) { try FileIO.writeAll(fd, pending, path: temporary) } catch {
                    throw BerthError.system("commit", error)
                }
                pending.removeAll(keepingCapacity: true)
            }
            let tar = LayerTar(walk: LayerWalk(upper: layer.upper, lowers: layer.lowers)) { (bytes) throws(BerthError) in
                pending += bytes
                if pending.count >= 1 << 18 { try flush() }
            }
            try tar.write()
            try flush()
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, target) == 0 else {
            let e = currentErrno()
            unlink(temporary)
            throw BerthError.system("commit", SyscallError("rename", target, errno: e))
        }
        let digest = hash.finishDigest()
        return LayerCommit(diffID: digest, digest: digest, size: size)
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
