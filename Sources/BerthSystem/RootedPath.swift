import CBerth
import Glibc

/// Path resolution confined to a root directory (the container's rootfs).
///
/// Every lookup goes through openat2(2) with RESOLVE_IN_ROOT, so `..` and absolute or
/// relative symlinks in the image resolve as if the rootfs were `/`: a hostile image
/// cannot point a mount, a device node or a masked path at the host. The returned
/// descriptors are O_PATH; mounting onto `/proc/self/fd/N` then hits exactly the object
/// that was resolved, even if the image swaps a component for a symlink afterwards.
public final class RootedPath {
    /// O_PATH descriptor of the root.
    public let rootFD: Int32
    /// The root's host path, for messages.
    public let rootPath: String
    /// Set when the root is an overlay with a writable layer of the container's: what is
    /// created through this object is marked as berth's own (see `CreationMarker`).
    public var marker: CreationMarker?

    static let resolveInRoot = UInt64(BERTH_RESOLVE_IN_ROOT)
    static let resolveNoMagiclinks = UInt64(BERTH_RESOLVE_NO_MAGICLINKS)

    public init(root: String) throws(SyscallError) {
        rootFD = try sys("open", root) { Glibc.open(root, O_PATH | O_DIRECTORY | O_CLOEXEC) }
        rootPath = root
    }

    deinit { close(rootFD) }

    /// Opens `path` (interpreted inside the root) with `flags`; O_CLOEXEC is added.
    public func open(_ path: String, flags: Int32 = O_PATH, mode: mode_t = 0) throws(SyscallError) -> Int32 {
        let rel = Self.relative(path)
        // With RESOLVE_IN_ROOT the kernel answers EAGAIN when a rename or mount anywhere
        // on the system raced with a `..` in the lookup (it cannot then prove the walk
        // stayed inside): look up again, a bounded number of times.
        var attempts = 0
        return try sys("openat2", rootPath + "/" + rel) {
            while true {
                let fd = berth_openat2(
                    rootFD, rel.isEmpty ? "." : rel, UInt64(UInt32(bitPattern: flags | O_CLOEXEC)),
                    UInt64(mode), Self.resolveInRoot | Self.resolveNoMagiclinks)
                attempts += 1
                if fd >= 0 || currentErrno() != .resourceTemporarilyUnavailable || attempts >= 1000 { return fd }
            }
        }
    }

    /// Creates the directory `path` and its missing parents inside the root, each
    /// component resolved in the root; returns an O_PATH fd of the directory. A component
    /// that is a symlink to a directory that does not exist yet has its target created
    /// (as runc does), resolved in the root like any other path.
    ///
    /// `knownMissing`: the caller has just seen `path` missing, so the first lookup is
    /// skipped.
    public func makeDirectories(_ path: String, mode: mode_t = 0o755, knownMissing: Bool = false) throws(SyscallError) -> Int32 {
        // Most destinations exist already (/proc, /dev, /sys in any image): one lookup.
        var missing = knownMissing
        if !knownMissing {
            do throws(SyscallError) { return try open(path, flags: O_PATH | O_DIRECTORY) } catch {
                missing = error.errno == .noSuchFileOrDirectory
            }
        }
        // Next most often only the last component is missing (/dev/pts, /dev/shm on the
        // /dev tmpfs): made in its parent, resolved in the root, and opened there without
        // following a symlink. Anything else (a missing parent too, a symlink in the way)
        // takes the walk below, component by component.
        let rel = Self.relative(path)
        if missing, let slash = rel.lastIndex(of: "/") ?? (rel.isEmpty ? nil : rel.startIndex) {
            let parentPath = rel[..<slash]
            let name = String(rel[(rel[slash] == "/" ? rel.index(after: slash) : slash)...])
            if !name.isEmpty && name != "." && name != "..",
                let parent = try? open(String(parentPath), flags: O_PATH | O_DIRECTORY)
            {
                defer { close(parent) }
                if created(in: parent, name, { mkdirat(parent, name, mode) }) == 0 || currentErrno() == .fileExists {
                    let fd = Glibc.openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    if fd >= 0 { return fd }
                }
            }
        }
        return try makeDirectories(path, mode: mode, linksLeft: Self.maxLinks)
    }

    /// The symlinks followed while creating one path, as the kernel's limit (ELOOP).
    static let maxLinks = 40

    private func makeDirectories(_ path: String, mode: mode_t, linksLeft: Int) throws(SyscallError) -> Int32 {
        var current = try open("/", flags: O_PATH | O_DIRECTORY)
        var sofar = ""
        let parts = Self.relative(path).split(separator: "/").filter { $0 != "." }
        for (i, part) in parts.enumerated() {
            let name = String(part)
            let parent = sofar
            sofar += "/" + name
            let next: Int32
            if let fd = try? open(sofar, flags: O_PATH | O_DIRECTORY) {
                next = fd
            } else {
                if created(in: current, name, { mkdirat(current, name, mode) }) != 0 {
                    let e = currentErrno()
                    if e == .fileExists, let link = Self.readLink(current, name) {
                        close(current)
                        guard linksLeft > 0 else { throw SyscallError("mkdir", rootPath + sofar, errno: .tooManySymbolicLinkLevels) }
                        let target = link.hasPrefix("/") ? link : parent + "/" + link
                        let rest = parts[(i + 1)...].joined(separator: "/")
                        return try makeDirectories(target + "/" + rest, mode: mode, linksLeft: linksLeft - 1)
                    }
                    if e != .fileExists {
                        close(current)
                        throw SyscallError("mkdir", rootPath + sofar, errno: e)
                    }
                }
                do throws(SyscallError) { next = try open(sofar, flags: O_PATH | O_DIRECTORY) } catch {
                    close(current)
                    throw error
                }
            }
            close(current)
            current = next
        }
        return current
    }

    /// The target of the symlink `name` in the directory `dirfd`, or nil when it is not one.
    static func readLink(_ dirfd: Int32, _ name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlinkat(dirfd, name, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Makes sure `path` exists inside the root as a directory (`directory: true`) or an
    /// empty regular file, creating parents; returns an O_PATH fd of it.
    /// `knownMissing`: the caller has just seen `path` missing.
    public func makeMountPoint(_ path: String, directory: Bool, knownMissing: Bool = false) throws(SyscallError) -> Int32 {
        if directory { return try makeDirectories(path, knownMissing: knownMissing) }
        if let fd = try? open(path, flags: O_PATH) { return fd }
        let parts = Paths.components(path)
        let parent = parts.dropLast().reduce(into: "") { $0 += ($0.isEmpty ? "" : "/") + $1 }
        let name = String(parts.last ?? "")
        let dirfd = try makeDirectories("/" + parent)
        defer { close(dirfd) }
        // The parent is already confined; create the file relative to its descriptor.
        let reopened = try sys("open", rootPath + "/" + parent) {
            Glibc.openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        defer { close(reopened) }
        let fd = created(in: reopened, name) { Glibc.openat(reopened, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o644) }
        if fd >= 0 {
            close(fd)
        } else if currentErrno() != .fileExists {
            throw SyscallError("create", rootPath + "/" + Self.relative(path), errno: currentErrno())
        }
        return try open(path, flags: O_PATH)
    }

    /// Runs `make`, which creates `name` in the directory `parent` and returns -1 on
    /// failure; with a `marker`, what it made is marked as berth's.
    public func created(in parent: Int32, _ name: String, _ make: () -> Int32) -> Int32 {
        guard let marker else { return make() }
        return marker.create(in: parent, name, make)
    }

    /// `path` without leading slashes.
    public static func relative(_ path: String) -> String {
        // By UTF-8 byte: a slash is one, and the index after it starts a scalar.
        let utf8 = path.utf8
        var start = utf8.startIndex
        while start != utf8.endIndex && utf8[start] == UInt8(ascii: "/") { start = utf8.index(after: start) }
        return start == utf8.startIndex ? path : String(path[start...])
    }
}

/// The magic-link path that names an open descriptor for mount(2) and friends.
public func procFDPath(_ fd: Int32) -> String { "/proc/self/fd/\(fd)" }
