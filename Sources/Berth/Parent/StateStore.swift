import BerthSpec
import BerthSystem
import Glibc

/// The on-disk state under `--root`: one directory per container holding `state.json`
/// and, between create and start, `exec.fifo`.
///
/// Each directory is also its own lock (flock on the directory descriptor), so no lock
/// file is created (every file under an ext4 `/run` costs a file creation), and carries
/// the create's intent as an extended attribute (see `CreateIntent`).
struct StateStore: Sendable {
    let root: String

    static let stateFile = "state.json"
    static let fifoFile = "exec.fifo"
    /// With `linux.netDevices` in a network namespace of its own: the bind mount that
    /// keeps that namespace (and the devices in it) alive until `delete` moves them back.
    static let networkPin = "netns"
    /// While a restore runs: where the rootfs is bound for CRIU, and the tmpfs with the
    /// init layer's files (Restorer).
    static let restoreRoot = "criu-root"
    static let restoreLayer = "criu-layer"

    /// Every file berth may leave in a container's directory but state.json.
    static let knownFiles = [
        fifoFile, stateFile + ".tmp", CreateIntent.file, CreateIntent.file + ".tmp",
        NotifySocket.directory + "/" + NotifySocket.socketName,
    ]

    func directory(_ id: String) -> String { root + "/" + id }

    /// Creates the container's directory, locked; fails with runc's wording when it
    /// exists. Returns the directory and the lock (see `lock`).
    ///
    /// Between mkdir and flock another berth may find the directory empty and unlocked,
    /// take it for the remains of a create that died, and remove it (`delete --force`):
    /// then this one starts over.
    func makeDirectory(_ id: String) throws(BerthError) -> (path: String, lock: Int32) {
        do throws(SyscallError) {
            try FileIO.makeDirectories(root, mode: 0o711)
        } catch {
            throw BerthError.system("create state root", error)
        }
        let dir = directory(id)
        for _ in 0..<8 {
            if mkdir(dir, 0o711) != 0 {
                let e = currentErrno()
                if e == .fileExists { throw BerthError(.alreadyExists, "container with given ID already exists") }
                throw BerthError.system("create state directory", SyscallError("mkdir", dir, errno: e))
            }
            let fd: Int32
            do throws(BerthError) { fd = try lock(id) } catch {
                if error.code == .notFound { continue }
                try? remove(id)
                throw error
            }
            var st = stat()
            if fstat(fd, &st) == 0 && st.st_nlink == 0 {
                close(fd)
                continue
            }
            return (dir, fd)
        }
        throw BerthError(.system, "create state directory \(dir): removed repeatedly by another berth while being created")
    }

    /// Takes an exclusive lock on the container's directory; the lock lasts as long as
    /// the returned descriptor is open (it is close-on-exec and dies with the process).
    func lock(_ id: String) throws(BerthError) -> Int32 {
        let dir = directory(id)
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 {
            if currentErrno() == .noSuchFileOrDirectory { throw BerthError.containerNotExist }
            throw BerthError.system("lock container", SyscallError("open", dir, errno: currentErrno()))
        }
        while flock(fd, LOCK_EX) != 0 {
            if currentErrno() == .interrupted { continue }
            let e = currentErrno()
            close(fd)
            throw BerthError.system("lock container", SyscallError("flock", dir, errno: e))
        }
        return fd
    }

    /// True while another berth holds the container's lock (a create, start, delete,
    /// pause, resume or update in progress); never waits.
    func isLocked(_ id: String) -> Bool {
        let fd = open(directory(id), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return flock(fd, LOCK_SH | LOCK_NB) != 0 && currentErrno() == .wouldBlock
    }

    /// Records what a create is about to make (see `CreateIntent`), on the locked
    /// directory `lock`: as an extended attribute, or where the filesystem keeps none, in
    /// a file of its own.
    func recordIntent(_ intent: CreateIntent, id: String, lock: Int32) throws(BerthError) {
        let bytes = intent.encoded
        do throws(SyscallError) {
            try ExtendedAttributes.set(lock, CreateIntent.attribute, bytes)
            return
        } catch {
            guard ExtendedAttributes.isUnsupported(error) else { throw BerthError.system("record intent", error) }
        }
        do throws(SyscallError) {
            try FileIO.writeAtomically(directory(id) + "/" + CreateIntent.file, bytes, mode: 0o600)
        } catch { throw BerthError.system("record intent", error) }
    }

    /// What the container's directory holds: a complete record once create has written
    /// it, else (create in progress, or died) the intent, if any. Throws "container does
    /// not exist" without a directory.
    enum Entry {
        case complete(StateRecord)
        case partial(CreateIntent?)
    }

    func entry(_ id: String) throws(BerthError) -> Entry {
        let dir = directory(id)
        let path = dir + "/" + Self.stateFile
        do throws(SyscallError) {
            let bytes = try FileIO.read(path)
            if let record = StateCache.record(path: path, bytes: bytes) { return .complete(record) }
            // A record cut short (a power loss after the rename) counts as partial.
            // The config stays text until something needs it (see `StateRecord.configText`).
            var texts: [JSONMemberText] = []
            if let json = try? JSONValue.parse(bytes, leavingAsText: { $0 == "config" }, texts: &texts),
                var record = try? StateRecord(json: json)
            {
                record.configText = texts.last { $0.key == "config" }?.text
                StateCache.remember(path: path, bytes: bytes, record: record)
                return .complete(record)
            }
        } catch {
            guard error.errno == .noSuchFileOrDirectory else { throw BerthError.system("read state", error) }
        }
        guard FileIO.exists(dir) else { throw BerthError.containerNotExist }
        var bytes = (try? ExtendedAttributes.get(dir, CreateIntent.attribute)) ?? nil
        if bytes == nil { bytes = try? FileIO.read(dir + "/" + CreateIntent.file) }
        return .partial(bytes.flatMap(CreateIntent.init(decoding:)))
    }

    /// The complete record; a container whose create has not finished (or died) is not
    /// running.
    func load(_ id: String) throws(BerthError) -> StateRecord {
        guard case .complete(let record) = try entry(id) else { throw BerthError.containerNotRunning }
        return record
    }

    func save(_ record: StateRecord) throws(BerthError) {
        let path = directory(record.id) + "/" + Self.stateFile
        let bytes = record.jsonBytes
        do throws(SyscallError) {
            try FileIO.writeAtomically(path, bytes, mode: 0o600)
        } catch { throw BerthError.system("write state", error) }
        // Reading these bytes back gives this record: the next read in this process (the
        // delete at the end of `run`, a library caller's next step) compares instead of
        // parsing.
        StateCache.remember(path: path, bytes: bytes, record: record)
    }

    func remove(_ id: String) throws(BerthError) {
        // A mount point cannot be unlinked: release the network namespace pin, if any
        // (also after a create that died before recording it).
        try? MountTable.unmount(directory(id) + "/" + Self.networkPin, flags: Int32(MNT_DETACH))
        // A restore that died leaves its mounts here, the rootfs bound at criu-root among
        // them: they are detached and their mountpoints removed before anything below
        // walks the directory, which must never reach into the rootfs. One still there
        // stops the removal.
        for name in [Self.restoreRoot, Self.restoreLayer] {
            let path = directory(id) + "/" + name
            while (try? MountTable.unmount(path, flags: Int32(MNT_DETACH))) != nil {}
            if rmdir(path) != 0 && currentErrno() != .noSuchFileOrDirectory {
                throw BerthError.system("remove state directory", SyscallError("rmdir", path, errno: currentErrno()))
            }
        }
        // A volatile layer goes with the container; its path needs only the id, so a
        // create that died before recording it leaves nothing behind either.
        try? FileIO.removeTree(ContainerLayer.volatileDirectory(root: root, id: id), makeAccessible: true)
        // state.json goes last but for the directory: until then `list` shows the
        // complete record, not the intent.
        // The names berth makes go first by name, without listing the directory: that
        // needs no descriptor (a create failing for want of them must still clean up).
        let dir = directory(id)
        for name in Self.knownFiles { _ = unlink(dir + "/" + name) }
        _ = rmdir(dir + "/" + NotifySocket.directory)
        _ = unlink(dir + "/" + Self.stateFile)
        if rmdir(dir) == 0 || currentErrno() == .noSuchFileOrDirectory { return }
        do throws(SyscallError) {
            for name in try FileIO.list(dir) where name != Self.stateFile {
                try FileIO.removeTree(dir + "/" + name)
            }
            try FileIO.removeTree(dir)
        } catch {
            throw BerthError.system("remove state directory", error)
        }
    }

    /// Ids of all containers under the root, sorted. A missing root holds none, unless
    /// `rootMustExist`.
    func ids(rootMustExist: Bool = false) throws(BerthError) -> [String] {
        do throws(SyscallError) {
            return try FileIO.list(root).filter { (try? ContainerID.validate($0)) != nil }.sorted()
        } catch {
            if error.errno == .noSuchFileOrDirectory && !rootMustExist { return [] }
            // Go's wording, as runc prints it for a missing --root.
            throw BerthError(
                error.errno == .noSuchFileOrDirectory ? .notFound : .system,
                "open \(root): \(errnoText(error.errno))", errno: error.errno.rawValue)
        }
    }

    func hasFifo(_ id: String) -> Bool { FileIO.exists(directory(id) + "/" + Self.fifoFile) }
}
