import BerthSpec
import BerthSystem
import Glibc

/// The on-disk state under `--root`: one directory per container holding `state.json`
/// and, between create and start, `exec.fifo`.
///
/// Each directory is also its own lock (flock on the directory descriptor), so no lock
/// file is created: every file under an ext4 `/run` costs about a millisecond.
struct StateStore: Sendable {
    let root: String

    static let stateFile = "state.json"
    static let fifoFile = "exec.fifo"
    /// With `linux.netDevices` in a network namespace of its own: the bind mount that
    /// keeps that namespace (and the devices in it) alive until `delete` moves them back.
    static let networkPin = "netns"

    func directory(_ id: String) -> String { root + "/" + id }

    /// Creates the container's directory; fails with runc's wording when it exists.
    func makeDirectory(_ id: String) throws(BerthError) -> String {
        do throws(SyscallError) {
            try FileIO.makeDirectories(root, mode: 0o711)
        } catch {
            throw BerthError.system("create state root", error)
        }
        let dir = directory(id)
        if mkdir(dir, 0o711) != 0 {
            let e = currentErrno()
            if e == .fileExists { throw BerthError(.alreadyExists, "container with given ID already exists") }
            throw BerthError.system("create state directory", SyscallError("mkdir", dir, errno: e))
        }
        return dir
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

    func load(_ id: String) throws(BerthError) -> StateRecord {
        let path = directory(id) + "/" + Self.stateFile
        let bytes: [UInt8]
        do throws(SyscallError) { bytes = try FileIO.read(path) } catch {
            if error.errno == .noSuchFileOrDirectory { throw BerthError.containerNotExist }
            throw BerthError.system("read state", error)
        }
        let json: JSONValue
        do throws(JSONSyntaxError) { json = try JSONValue.parse(bytes) } catch {
            throw BerthError(.system, "read state \(path): invalid JSON at line \(error.line), column \(error.column): \(error.reason)")
        }
        do throws(JSONDecodingError) { return try StateRecord(json: json) } catch {
            throw BerthError(.system, "read state \(path): \(error.message)")
        }
    }

    func save(_ record: StateRecord) throws(BerthError) {
        do throws(SyscallError) {
            try FileIO.writeAtomically(directory(record.id) + "/" + Self.stateFile, record.jsonBytes, mode: 0o600)
        } catch { throw BerthError.system("write state", error) }
    }

    func remove(_ id: String) throws(BerthError) {
        // A mount point cannot be unlinked: release the network namespace pin, if any
        // (also after a create that died before recording it).
        try? MountTable.unmount(directory(id) + "/" + Self.networkPin, flags: Int32(MNT_DETACH))
        do throws(SyscallError) { try FileIO.removeTree(directory(id)) } catch {
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
            throw BerthError(error.errno == .noSuchFileOrDirectory ? .notFound : .system,
                             "open \(root): \(errnoText(error.errno))", errno: error.errno.rawValue)
        }
    }

    func hasFifo(_ id: String) -> Bool { FileIO.exists(directory(id) + "/" + Self.fifoFile) }
}
