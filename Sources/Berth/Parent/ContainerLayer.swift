import BerthSpec
import BerthSystem
import Glibc

/// The container's copy-on-write layer on the host: the directory holding the overlayfs
/// `upper/` and `work/` directories, and the read-only layers beneath, as `create` made
/// them and state.json records them (`diff` and `commit` read the layer from there).
///
/// A volatile layer lives in `<root>/.layers/<id>`, on a tmpfs (the state root's own, or
/// one berth mounts at `<root>/.layers` the first time, shared by the volatile layers of
/// that root: its path is fixed, so every `create` after the first only makes three
/// directories on it); `delete` removes it, and a create that dies leaves it for
/// `delete --force` to find by the id alone. A kept layer lives in the directory the
/// caller names and outlives the container; while a container uses it, its
/// `container` file names that container's state directory, and a second container
/// is refused until the first is deleted.
struct ContainerLayer: Codable, Sendable, Equatable {
    /// The layer directory: `upper/` and `work/` below it.
    var directory: String
    /// A kept layer (the caller's directory), not a volatile one.
    var kept: Bool
    /// The read-only layers, top first: the rootfs, then `org.berth.rootfs.lower`.
    var lowers: [String]

    var upper: String { directory + "/" + Self.upperName }
    var work: String { directory + "/" + Self.workName }

    static let upperName = "upper"
    static let workName = "work"
    /// In a kept layer directory: the state directory of the container using it.
    static let ownerFile = "container"
    /// In a kept layer directory: the read-only layers it was last used over (JSON).
    static let descriptionFile = "layer.json"
    /// Below the state root: the volatile layers, one directory per container id.
    static let volatileBase = ".layers"

    /// The kept layer in `directory`, with the read-only layers its last container had.
    static func kept(at directory: String) throws(BerthError) -> ContainerLayer {
        let dir = Paths.canonical(directory)
        let path = dir + "/" + descriptionFile
        let bytes: [UInt8]
        do throws(SyscallError) { bytes = try FileIO.read(path) } catch {
            if error.errno == .noSuchFileOrDirectory {
                throw BerthError(.notFound, "\(dir) is not a layer directory (no \(descriptionFile); made by create --overlay DIR)")
            }
            throw BerthError.system("read layer description", error)
        }
        guard let json = try? JSONValue.parse(bytes), case .object(let o) = json, let value = o["lowers"],
            let lowers = try? [String](json: value), !lowers.isEmpty
        else {
            throw BerthError(.invalidSpec, "\(path): not a layer description")
        }
        return ContainerLayer(directory: dir, kept: true, lowers: lowers)
    }

    static func volatileDirectory(root: String, id: String) -> String {
        root + "/" + volatileBase + "/" + id
    }

    /// Makes the layer `request` asks for, for the container `id` whose state directory
    /// is `stateDirectory`. `rootfs` lends the upper directory its mode and owner (the
    /// container's `/` shows the upper directory's), `workOwner` is the host uid and gid
    /// of the container's root when berth maps a user namespace (its root mounts the
    /// overlay and writes the work directory).
    static func prepare(
        _ request: RootfsLayers, rootfs: String, root: String, id: String, stateDirectory: String,
        workOwner: (uid: UInt32, gid: UInt32)?
    ) throws(BerthError) -> ContainerLayer {
        for lower in request.lowers {
            var st = stat()
            guard stat(lower, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
                throw BerthError(.invalidSpec, "annotations[\"\(RootfsLayers.lowerAnnotation)\"]: \(lower) is not a directory")
            }
        }
        var rootStat = stat()
        guard stat(rootfs, &rootStat) == 0 else {
            throw BerthError.system("layer", SyscallError("stat", rootfs, errno: currentErrno()))
        }
        let layer: ContainerLayer
        switch request.upper {
        case .volatile:
            let base = root + "/" + volatileBase
            try ensureTmpfs(base)
            let dir = volatileDirectory(root: root, id: id)
            // A directory of this id can only be left by a container that died before
            // its state directory was removed: it is no one's now.
            do throws(SyscallError) {
                try FileIO.removeTree(dir, makeAccessible: true)
                try makeDirectory(dir, mode: 0o711)
            } catch { throw BerthError.system("create volatile layer", error) }
            layer = ContainerLayer(directory: dir, kept: false, lowers: [rootfs] + request.lowers)
        case .kept(let dir):
            var st = stat()
            if stat(dir, &st) == 0 {
                guard (st.st_mode & S_IFMT) == S_IFDIR else {
                    throw BerthError(.invalidSpec, "\(RootfsLayers.overlayAnnotation): \(dir) is not a directory")
                }
            } else {
                do throws(SyscallError) {
                    try FileIO.makeDirectories(parentOf(dir))
                    try makeDirectory(dir, mode: 0o711)
                } catch { throw BerthError.system("create layer directory", error) }
            }
            layer = ContainerLayer(directory: dir, kept: true, lowers: [rootfs] + request.lowers)
            try layer.claim(stateDirectory: stateDirectory)
            // `diff DIR` and `commit DIR` compare the layer with these, without a container.
            var w = JSONWriter()
            w.beginObject()
            w.field("lowers", layer.lowers)
            w.endObject()
            do throws(SyscallError) {
                try FileIO.writeAtomically(dir + "/" + Self.descriptionFile, w.bytes, mode: 0o644)
            } catch {
                layer.release(stateDirectory: stateDirectory)
                throw BerthError.system("describe layer", error)
            }
        }
        do throws(SyscallError) {
            if !FileIO.exists(layer.upper, follow: false) {
                try makeDirectory(layer.upper, mode: rootStat.st_mode & 0o7777)
                if geteuid() == 0 { try sys("chown", layer.upper) { lchown(layer.upper, rootStat.st_uid, rootStat.st_gid) } }
                try sys("chmod", layer.upper) { chmod(layer.upper, rootStat.st_mode & 0o7777) }
            }
            if !FileIO.exists(layer.work, follow: false) {
                try makeDirectory(layer.work, mode: 0o700)
            }
            if let owner = workOwner {
                try sys("chown", layer.work) { lchown(layer.work, owner.uid, owner.gid) }
            }
        } catch {
            if !layer.kept { try? FileIO.removeTree(layer.directory, makeAccessible: true) }
            throw BerthError.system(layer.kept ? "prepare layer \(layer.directory)" : "create volatile layer", error)
        }
        return layer
    }

    /// Takes a kept layer for the container whose state directory is `stateDirectory`;
    /// refused while another container (one whose state directory still exists) has it.
    private func claim(stateDirectory: String) throws(BerthError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw BerthError.system("open layer", SyscallError("open", directory, errno: currentErrno())) }
        defer { close(fd) }
        // Held while the owner is checked and written: two creates cannot both take it.
        while flock(fd, LOCK_EX) != 0 && currentErrno() == .interrupted {}
        let ownerPath = directory + "/" + Self.ownerFile
        if let owner = try? FileIO.readString(ownerPath), !owner.isEmpty, owner != stateDirectory,
            FileIO.exists(owner)
        {
            let id = owner.split(separator: "/").last.map(String.init) ?? owner
            throw BerthError(
                .invalidState, "\(RootfsLayers.overlayAnnotation): the layer \(directory) is in use by container \(id) (\(owner)); delete it first")
        }
        do throws(SyscallError) {
            try FileIO.writeAtomically(ownerPath, Array(stateDirectory.utf8), mode: 0o600)
        } catch { throw BerthError.system("claim layer", error) }
    }

    /// Gives a kept layer back (it names `stateDirectory`), or removes a volatile one.
    func release(stateDirectory: String) {
        if !kept {
            try? FileIO.removeTree(directory, makeAccessible: true)
            return
        }
        let ownerPath = directory + "/" + Self.ownerFile
        if (try? FileIO.readString(ownerPath)) == stateDirectory { unlink(ownerPath) }
    }

    /// The directory of the volatile layers under a state root: a tmpfs. Where the state
    /// root is on a tmpfs already (as /run and $XDG_RUNTIME_DIR usually are), a plain
    /// directory; else a root berth mounts one there, once; a non-root berth, which cannot
    /// mount on the host, keeps its volatile layers in a plain directory.
    static func ensureTmpfs(_ base: String) throws(BerthError) {
        if mkdir(base, 0o711) != 0 && currentErrno() != .fileExists {
            throw BerthError.system("create volatile layers directory", SyscallError("mkdir", base, errno: currentErrno()))
        }
        if isTmpfs(base) || geteuid() != 0 { return }
        // Serialised on the directory underneath: a create that opened it before another
        // mounted the tmpfs waits here, then finds the tmpfs by path.
        let under = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard under >= 0 else {
            throw BerthError.system("open volatile layers directory", SyscallError("open", base, errno: currentErrno()))
        }
        defer { close(under) }
        while flock(under, LOCK_EX) != 0 && currentErrno() == .interrupted {}
        if isTmpfs(base) { return }
        do throws(SyscallError) {
            let tmpfs = try MountTree.newFilesystem("tmpfs", options: [("mode", "0711")])
            defer { close(tmpfs) }
            try MountTree.attach(tmpfs, at: base)
            // Nothing mounted below it later needs to reach other mount namespaces.
            try MountTable.mount(source: nil, target: base, type: nil, flags: UInt(MS_PRIVATE))
        } catch { throw BerthError.system("mount the volatile layers' tmpfs", error) }
    }

    static func isTmpfs(_ path: String) -> Bool {
        let fd = open(path, O_PATH | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return FileSystemType.of(fd) == FileSystemType.tmpfs
    }

    private static func makeDirectory(_ path: String, mode: mode_t) throws(SyscallError) {
        if mkdir(path, mode) != 0 && currentErrno() != .fileExists {
            throw SyscallError("mkdir", path, errno: currentErrno())
        }
    }

    private static func parentOf(_ path: String) -> String {
        let parts = path.split(separator: "/").dropLast()
        return "/" + parts.joined(separator: "/")
    }
}
