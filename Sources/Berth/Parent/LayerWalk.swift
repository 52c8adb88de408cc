import BerthSpec
import BerthSystem
import Glibc

/// What a container's copy-on-write layer holds, compared with the read-only layers
/// beneath it: the entries of the overlayfs upper directory, each an addition, a change,
/// or (a whiteout, or what an opaque directory hides) a deletion. `diff` prints it;
/// `commit` writes it as a layer tarball.
///
/// The walk goes by descriptors (openat with O_NOFOLLOW), in the upper directory and in
/// each lower layer alike, so a container that swaps a directory for a symlink while it
/// runs cannot send the walk elsewhere on the host. A lower layer is consulted as
/// overlayfs consults it: top first, a whiteout or a non-directory hides the layers below,
/// an opaque directory hides what is below it.
///
/// Left out: what berth made in the layer for its own mount points and device nodes
/// (marked, see `CreationMarker`), unless the container changed it since; and a directory
/// overlayfs only copied up for such a mount point (same mode, owner and times as in the
/// lower layer, which the marker keeps).
struct LayerWalk {
    /// One entry of the layer.
    struct Entry {
        /// `/etc/passwd`.
        var path: String
        var change: LayerChange.Kind
        /// The upper directory's entry; nil for a deletion an opaque directory implies.
        var stat: stat?
        /// A whiteout (a 0/0 character device): the lower entry is deleted.
        var whiteout: Bool = false
        /// An opaque directory: everything of the lower layers below it is hidden.
        var opaque: Bool = false
        /// Berth's own mount point or device node: not a change of the container's.
        var marked: Bool = false
        /// The diff lists it (a marked entry and an unchanged copied-up directory do not).
        var reported: Bool
        /// The entry's name in its directory.
        var name: String = ""
    }

    /// Called for each entry with its directory's descriptor (open while it runs).
    typealias Visitor = (Entry, Int32) throws(BerthError) -> Void

    let upper: String
    let lowers: [String]

    static let opaqueAttributes = ["trusted.overlay.opaque", "user.overlay.opaque"]

    init(upper: String, lowers: [String]) {
        self.upper = upper
        self.lowers = lowers
    }

    /// Walks the whole layer, depth first, each directory's names in byte order (a
    /// directory before what it holds), calling `visit` for every entry.
    func run(_ visit: Visitor) throws(BerthError) {
        let top = Glibc.open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard top >= 0 else {
            throw BerthError.system("open layer", SyscallError("open", upper, errno: currentErrno()))
        }
        var lowerFDs: [Int32] = []
        defer { for fd in [top] + lowerFDs { Glibc.close(fd) } }
        for lower in lowers {
            let fd = Glibc.open(lower, O_PATH | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else {
                throw BerthError.system("open lower layer", SyscallError("open", lower, errno: currentErrno()))
            }
            lowerFDs.append(fd)
        }
        try walk(dirFD: top, path: "", lowerDirs: lowerFDs, hidden: false, visit)
    }

    /// Every entry, sorted by path (bytewise).
    func entries() throws(BerthError) -> [Entry] {
        var all: [Entry] = []
        try run { (entry, _) throws(BerthError) in all.append(entry) }
        return all.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }

    /// The entry `name` in the lower directories `dirs` (top first) as overlayfs sees it:
    /// nil when absent or whited out.
    private static func lowerEntry(_ dirs: [Int32], _ name: String) -> stat? {
        for dir in dirs {
            var st = stat()
            if fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 {
                return isWhiteout(st) ? nil : st
            }
        }
        return nil
    }

    /// The lower directories of `name`, top first, for a walk below it: a directory
    /// entry in a layer continues it, a non-directory, a whiteout or an opaque directory
    /// ends it.
    private func lowerDirectories(_ dirs: [Int32], _ name: String) -> [Int32] {
        var result: [Int32] = []
        for dir in dirs {
            var st = stat()
            guard fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            guard (st.st_mode & S_IFMT) == S_IFDIR else { break }
            let fd = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { break }
            result.append(fd)
            if Self.isOpaque(procFDPath(fd) + "/.") { break }
        }
        return result
    }

    /// The names the lower directories `dirs` show together (whiteouts removed).
    private static func lowerNames(_ dirs: [Int32]) -> [String] {
        var seen = Set<String>()
        var names: [String] = []
        for dir in dirs {
            for name in (try? FileIO.list(procFDPath(dir))) ?? [] where !seen.contains(name) {
                seen.insert(name)
                if lowerEntry(dirs, name) != nil { names.append(name) }
            }
        }
        return names
    }

    static func isWhiteout(_ st: stat) -> Bool {
        (st.st_mode & S_IFMT) == S_IFCHR && st.st_rdev == 0
    }

    /// `path` (not followed if a symlink; `/proc/self/fd/N/.` for a descriptor) is an
    /// opaque directory.
    static func isOpaque(_ path: String) -> Bool {
        opaqueAttributes.contains { (try? ExtendedAttributes.get(path, $0)) == Array("y".utf8) }
    }

    static func isMarked(_ path: String) -> Bool {
        let names = (try? ExtendedAttributes.names(path)) ?? []
        return CreationMarker.attributes.contains { names.contains($0) }
    }

    /// `hidden`: the directory is below an opaque one, whose lower contents are gone.
    private func walk(dirFD: Int32, path: String, lowerDirs: [Int32], hidden: Bool, _ visit: Visitor) throws(BerthError) {
        let names: [String]
        do throws(SyscallError) {
            names = try FileIO.list(procFDPath(dirFD)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        } catch {
            throw BerthError.system("read layer", error)
        }
        let present = Set(names)
        // Below an opaque directory: what the lower layers had and the layer lacks is gone.
        if hidden {
            for name in Self.lowerNames(lowerDirs).sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            where !present.contains(name) {
                try visit(Entry(path: path + "/" + name, change: .deleted, stat: nil, reported: true, name: name), dirFD)
            }
        }
        for name in names {
            var st = stat()
            guard fstatat(dirFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
                if currentErrno() == .noSuchFileOrDirectory { continue }  // gone while the container runs
                throw BerthError.system("read layer", SyscallError("stat", upper + path + "/" + name, errno: currentErrno()))
            }
            let entryPath = path + "/" + name
            let hostPath = procFDPath(dirFD) + "/" + name
            let lower = Self.lowerEntry(lowerDirs, name)
            var entry = Entry(
                path: entryPath, change: lower == nil ? .added : .changed, stat: st, reported: true,
                name: name)
            if Self.isWhiteout(st) {
                entry.whiteout = true
                entry.change = .deleted
                // A whiteout of nothing (the lower entry went meanwhile) deletes nothing.
                entry.reported = lower != nil || hidden
                try visit(entry, dirFD)
                continue
            }
            entry.marked = Self.isMarked(hostPath)
            let isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
            if isDirectory {
                entry.opaque = Self.isOpaque(hostPath)
                if let lower, !entry.opaque, !hidden, (lower.st_mode & S_IFMT) == S_IFDIR {
                    // Copied up: a change only if its own metadata changed (an entry added
                    // or removed in it changes its times).
                    entry.reported = !Self.sameMetadata(st, lower)
                }
            }
            if entry.marked { entry.reported = false }
            try visit(entry, dirFD)
            if isDirectory {
                let fd = openat(dirFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard fd >= 0 else {
                    if currentErrno() == .noSuchFileOrDirectory { continue }
                    throw BerthError.system("read layer", SyscallError("open", upper + entryPath, errno: currentErrno()))
                }
                let below = lower != nil ? lowerDirectories(lowerDirs, name) : []
                defer { for d in [fd] + below { Glibc.close(d) } }
                try walk(dirFD: fd, path: entryPath, lowerDirs: below, hidden: hidden || entry.opaque, visit)
            }
        }
    }

    private static func sameMetadata(_ a: stat, _ b: stat) -> Bool {
        a.st_mode == b.st_mode && a.st_uid == b.st_uid && a.st_gid == b.st_gid
            && a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec
    }
}
