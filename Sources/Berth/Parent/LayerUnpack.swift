import BerthSpec
import BerthSystem
import Glibc

/// Unpacks an OCI image layer tarball into a directory that overlayfs can use as a
/// read-only lower layer: `.wh.NAME` entries become whiteouts (0/0 character devices),
/// `.wh..wh..opq` makes its directory opaque (`trusted.overlay.opaque=y`, or for a
/// non-root berth, whose containers mount overlayfs with `userxattr`, `user.overlay.opaque`).
///
/// A hostile tarball cannot write outside the directory: names with `..` or a leading
/// `/` are refused, every directory on the way is opened with O_NOFOLLOW from the
/// layer's own descriptor (a symlink the tarball made earlier is never followed), hard
/// links must name a file already in the layer, and device nodes need a root berth. A
/// refused tarball leaves nothing: the directory is removed.
struct LayerUnpack {
    let source: String
    let directory: String

    private static let block = 512

    /// Unpacks; returns the diff id (sha256 of the tarball as read).
    func run() throws(BerthError) -> String {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw BerthError.system("open layer", SyscallError("open", source, errno: currentErrno())) }
        defer { close(input) }
        if mkdir(directory, 0o755) != 0 {
            let e = currentErrno()
            if e == .fileExists, ((try? FileIO.list(directory)) ?? ["x"]).isEmpty == false {
                throw BerthError(.alreadyExists, "\(directory): exists and is not empty")
            } else if e != .fileExists {
                throw BerthError.system("create layer directory", SyscallError("mkdir", directory, errno: e))
            }
        }
        let root = open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard root >= 0 else {
            throw BerthError.system("open layer directory", SyscallError("open", directory, errno: currentErrno()))
        }
        defer { close(root) }
        var reader = Reader(fd: input, path: source)
        do throws(BerthError) {
            try unpack(&reader, root: root)
        } catch {
            try? FileIO.removeTree(directory, makeAccessible: true)
            throw error
        }
        return reader.hash.finishDigest()
    }

    /// The tarball, read in order (through gzip or zstd when its first bytes say so),
    /// hashed as the uncompressed tar it is.
    struct Reader {
        let fd: Int32
        let path: String
        var hash = SHA256()
        var buffer: [UInt8] = []
        var offset = 0
        private var started = false
        private var decompressor: CompressionStream?
        private var atEnd = false

        init(fd: Int32, path: String) {
            self.fd = fd
            self.path = path
        }

        /// The next uncompressed piece; empty at the end of the file.
        private mutating func next() throws(BerthError) -> [UInt8] {
            while true {
                if atEnd { return [] }
                var chunk = [UInt8](repeating: 0, count: 1 << 16)
                let n = Glibc.read(fd, &chunk, chunk.count)
                if n < 0 && currentErrno() == .interrupted { continue }
                if n < 0 { throw BerthError.system("read layer", SyscallError("read", path, errno: currentErrno())) }
                var raw = Array(chunk[0..<n])
                if !started {
                    started = true
                    if let kind = Compression.detect(raw) {
                        do throws(CompressionError) { decompressor = try CompressionStream(kind, compress: false) } catch {
                            throw BerthError(.system, "\(path): \(error.message)")
                        }
                    }
                }
                if n == 0 { atEnd = true }
                if let decompressor {
                    do throws(CompressionError) {
                        raw = n == 0 ? try decompressor.finish() : try decompressor.update(raw)
                    } catch { throw BerthError(.invalidSpec, "\(path): \(error.message)") }
                }
                hash.update(raw)
                if !raw.isEmpty || atEnd { return raw }
            }
        }

        mutating func read(_ count: Int) throws(BerthError) -> [UInt8] {
            while buffer.count - offset < count {
                let piece = try next()
                if piece.isEmpty { throw BerthError(.invalidSpec, "\(path): the tarball ends in the middle of an entry") }
                buffer = Array(buffer[offset...]) + piece
                offset = 0
            }
            let out = Array(buffer[offset..<(offset + count)])
            offset += count
            return out
        }

        /// Reads what is left (a tarball's trailing zero blocks), for the digest.
        mutating func drain() throws(BerthError) {
            while !(try next()).isEmpty {}
        }
    }

    private func fail(_ name: String, _ why: String) -> BerthError {
        BerthError(.invalidSpec, "\(source): entry \"\(name)\": \(why)")
    }

    private func unpack(_ reader: inout Reader, root: Int32) throws(BerthError) {
        var pax: [String: [UInt8]] = [:]
        var longName: String?
        var longLink: String?
        var directories: [(path: [String], times: timespec)] = []
        while true {
            let header = try reader.read(Self.block)
            if header.allSatisfy({ $0 == 0 }) {
                try reader.drain()
                break
            }
            guard Self.checksumMatches(header) else {
                throw BerthError(.invalidSpec, "\(source): not a tar archive (bad header checksum)")
            }
            let type = header[156]
            let size = Self.number(header[124..<136])
            let data: [UInt8]
            // Only the small meta entries are read whole; a file's content streams.
            if type == UInt8(ascii: "x") || type == UInt8(ascii: "g") || type == UInt8(ascii: "L") || type == UInt8(ascii: "K") {
                guard size < 1 << 20 else { throw BerthError(.invalidSpec, "\(source): a tar meta entry of \(size) bytes") }
                data = try reader.read(Int(size) + Self.padding(Int(size)))
                let body = Array(data[0..<Int(size)])
                switch type {
                case UInt8(ascii: "x"): pax = try Self.paxRecords(body, source)
                case UInt8(ascii: "L"): longName = Self.cString(body[...])
                case UInt8(ascii: "K"): longLink = Self.cString(body[...])
                default: break  // global pax header: nothing berth uses
                }
                continue
            }
            var name = longName ?? Self.ustarName(header)
            if let p = pax["path"] { name = String(decoding: p, as: UTF8.self) }
            var linkName = longLink ?? Self.cString(header[157..<257])
            if let p = pax["linkpath"] { linkName = String(decoding: p, as: UTF8.self) }
            var fileSize = size
            if let p = pax["size"], let v = UInt64(String(decoding: p, as: UTF8.self)) { fileSize = v }
            var uid = UInt32(truncatingIfNeeded: Self.number(header[108..<116]))
            var gid = UInt32(truncatingIfNeeded: Self.number(header[116..<124]))
            if let p = pax["uid"], let v = UInt32(String(decoding: p, as: UTF8.self)) { uid = v }
            if let p = pax["gid"], let v = UInt32(String(decoding: p, as: UTF8.self)) { gid = v }
            let mode = mode_t(Self.number(header[100..<108]) & 0o7777)
            let mtime = timespec(tv_sec: Int(Self.number(header[136..<148])), tv_nsec: 0)
            let xattrs = pax.filter { $0.key.hasPrefix("SCHILY.xattr.") }
                .map { (String($0.key.dropFirst("SCHILY.xattr.".count)), $0.value) }
                .sorted { $0.0 < $1.0 }
            pax = [:]
            longName = nil
            longLink = nil

            let parts = try components(name)
            // Only regular files have content (a link's size field means nothing).
            let isFile = type == UInt8(ascii: "0") || type == 0 || type == UInt8(ascii: "7")
            let contentSize = isFile || !(type == UInt8(ascii: "1") || type == UInt8(ascii: "2")) ? fileSize : 0
            var contentLeft = contentSize
            guard let last = parts.last else {  // "./": the layer's root
                try Self.skip(&reader, contentLeft)
                continue
            }
            let parentParts = Array(parts.dropLast())
            let parent = try openParent(root, parentParts, name: name)
            defer { close(parent) }

            if last.hasPrefix(".wh.") || !isFile {
                // Nothing of the content is used: move past it.
                try Self.skip(&reader, contentLeft)
                contentLeft = 0
            }
            if last == ".wh..wh..opq" {
                do throws(SyscallError) {
                    // A non-root berth may not write trusted.* xattrs: its layers are for
                    // its own (rootless) containers, whose overlay uses user.overlay.*.
                    let attribute = geteuid() == 0 ? "trusted.overlay.opaque" : "user.overlay.opaque"
                    try ExtendedAttributes.set(procFDPath(parent) + "/.", attribute, Array("y".utf8))
                } catch { throw fail(name, "cannot mark the directory opaque: \(errnoText(error.errno))") }
                continue
            }
            if last.hasPrefix(".wh.") {
                let hidden = String(last.dropFirst(4))
                guard !hidden.isEmpty, hidden != ".", hidden != ".." else { throw fail(name, "not a whiteout of a name") }
                try removeExisting(parent, hidden, name: name)
                guard mknodat(parent, hidden, S_IFCHR, 0) == 0 else {
                    throw fail(name, "cannot make the whiteout: \(errnoText(currentErrno()))")
                }
                continue
            }
            switch type {
            case UInt8(ascii: "5"):
                var st = stat()
                if fstatat(parent, last, &st, AT_SYMLINK_NOFOLLOW) == 0, (st.st_mode & S_IFMT) != S_IFDIR {
                    try removeExisting(parent, last, name: name)
                }
                if mkdirat(parent, last, 0o700) != 0 && currentErrno() != .fileExists {
                    throw fail(name, "mkdir: \(errnoText(currentErrno()))")
                }
                directories.append((parts, mtime))
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
                try removeExisting(parent, last, name: name)
                let fd = openat(parent, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
                guard fd >= 0 else { throw fail(name, "create: \(errnoText(currentErrno()))") }
                defer { close(fd) }
                while contentLeft > 0 {
                    let piece = try reader.read(Int(min(contentLeft, 1 << 16)))
                    contentLeft -= UInt64(piece.count)
                    do throws(SyscallError) { try FileIO.writeAll(fd, piece, path: name) } catch {
                        throw fail(name, "write: \(errnoText(error.errno))")
                    }
                }
                _ = try reader.read(Self.padding(Int(contentSize % UInt64(Self.block))))
            case UInt8(ascii: "2"):
                try removeExisting(parent, last, name: name)
                guard symlinkat(linkName, parent, last) == 0 else { throw fail(name, "symlink: \(errnoText(currentErrno()))") }
            case UInt8(ascii: "1"):
                // The target must be in the layer, reached without following symlinks.
                let targetParts = try components(linkName, entry: name, what: "hard link target")
                guard let targetLast = targetParts.last else { throw fail(name, "a hard link to the layer's root") }
                let targetParent = try openParent(root, Array(targetParts.dropLast()), name: name)
                defer { close(targetParent) }
                var st = stat()
                guard fstatat(targetParent, targetLast, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
                    throw fail(name, "hard link to \"\(linkName)\", which is not in the layer")
                }
                guard (st.st_mode & S_IFMT) != S_IFDIR else { throw fail(name, "hard link to a directory") }
                try removeExisting(parent, last, name: name)
                guard linkat(targetParent, targetLast, parent, last, 0) == 0 else {
                    throw fail(name, "link: \(errnoText(currentErrno()))")
                }
                continue  // a hard link shares its target's metadata
            case UInt8(ascii: "3"), UInt8(ascii: "4"), UInt8(ascii: "6"):
                if type != UInt8(ascii: "6") && geteuid() != 0 {
                    throw fail(name, "a device node: a layer with device nodes needs a root berth")
                }
                let kind: mode_t = type == UInt8(ascii: "3") ? S_IFCHR : type == UInt8(ascii: "4") ? S_IFBLK : S_IFIFO
                let dev = DeviceNumber.make(major: Int64(Self.number(header[329..<337])), minor: Int64(Self.number(header[337..<345])))
                try removeExisting(parent, last, name: name)
                guard mknodat(parent, last, kind | 0o600, dev) == 0 else { throw fail(name, "mknod: \(errnoText(currentErrno()))") }
            default:
                throw fail(name, "unknown tar entry type \(type)")
            }
            // Metadata: owner (root only), xattrs, mode, times (a directory's at the end).
            if geteuid() == 0 {
                guard fchownat(parent, last, uid, gid, AT_SYMLINK_NOFOLLOW) == 0 else {
                    throw fail(name, "chown: \(errnoText(currentErrno()))")
                }
            }
            if type != UInt8(ascii: "2") {
                let path = procFDPath(parent) + "/" + last
                for (key, value) in xattrs where !key.hasPrefix("trusted.overlay.") {
                    do throws(SyscallError) { try ExtendedAttributes.set(path, key, value) } catch {
                        if !ExtendedAttributes.isUnsupported(error) { throw fail(name, "xattr \(key): \(errnoText(error.errno))") }
                    }
                }
                guard fchmodat(parent, last, mode, 0) == 0 else { throw fail(name, "chmod: \(errnoText(currentErrno()))") }
            }
            if type != UInt8(ascii: "5") {
                var times = [mtime, mtime]
                _ = utimensat(parent, last, &times, AT_SYMLINK_NOFOLLOW)
            }
        }
        // Directories' times last: what was made in them changed them.
        for (parts, time) in directories.reversed() {
            guard let last = parts.last, let parent = try? openParent(root, Array(parts.dropLast()), name: last) else { continue }
            var times = [time, time]
            _ = utimensat(parent, last, &times, AT_SYMLINK_NOFOLLOW)
            close(parent)
        }
    }

    /// The components of an entry's name: `./` and empty ones dropped; `..` and an
    /// absolute name refused.
    private func components(_ name: String, entry: String? = nil, what: String = "path") throws(BerthError) -> [String] {
        let entry = entry ?? name
        guard !name.hasPrefix("/") else { throw fail(entry, "an absolute \(what) (a layer holds relative names only)") }
        var parts: [String] = []
        for part in name.split(separator: "/") where part != "." {
            guard part != ".." else { throw fail(entry, "\"..\" in a \(what) (it would leave the layer)") }
            parts.append(String(part))
        }
        return parts
    }

    /// Opens the directory `parts` below `root` without following any symlink; missing
    /// directories are made (mode 0755 until their own entry, if any, sets it).
    private func openParent(_ root: Int32, _ parts: [String], name: String) throws(BerthError) -> Int32 {
        var current = dup(root)
        guard current >= 0 else { throw fail(name, "dup: \(errnoText(currentErrno()))") }
        for part in parts {
            var next = openat(current, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && currentErrno() == .noSuchFileOrDirectory {
                _ = mkdirat(current, part, 0o755)
                next = openat(current, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            let e = currentErrno()
            close(current)
            guard next >= 0 else {
                if e == .tooManySymbolicLinkLevels || e == .notDirectory {
                    throw fail(name, "\(part) on its way is not a directory (a symlink is never followed)")
                }
                throw fail(name, "open \(part): \(errnoText(e))")
            }
            current = next
        }
        return current
    }

    /// Removes what is at `name` in `parent` (a later entry replaces an earlier one); a
    /// directory only when empty of anything but what it is replaced with.
    private func removeExisting(_ parent: Int32, _ entry: String, name: String) throws(BerthError) {
        var st = stat()
        guard fstatat(parent, entry, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            do throws(SyscallError) { try FileIO.removeTree(procFDPath(parent) + "/" + entry) } catch {
                throw fail(name, "replace directory: \(errnoText(error.errno))")
            }
        } else if unlinkat(parent, entry, 0) != 0 {
            throw fail(name, "replace: \(errnoText(currentErrno()))")
        }
    }

    /// Moves past `size` bytes of content and their padding.
    static func skip(_ reader: inout Reader, _ size: UInt64) throws(BerthError) {
        var left = size + UInt64(padding(Int(size % UInt64(block))))
        while left > 0 {
            let piece = try reader.read(Int(min(left, 1 << 16)))
            left -= UInt64(piece.count)
        }
    }

    static func padding(_ size: Int) -> Int {
        let rest = size % block
        return rest == 0 ? 0 : block - rest
    }

    static func checksumMatches(_ header: [UInt8]) -> Bool {
        var sum = 0
        for (i, b) in header.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(b) }
        return UInt64(sum) == number(header[148..<156])
    }

    /// An octal field (or GNU base-256 for large values).
    static func number(_ field: ArraySlice<UInt8>) -> UInt64 {
        if let first = field.first, first & 0x80 != 0 {
            var v: UInt64 = UInt64(first & 0x7f)
            for b in field.dropFirst() { v = v << 8 | UInt64(b) }
            return v
        }
        var v: UInt64 = 0
        for b in field {
            if b == 0 || b == 0x20 { if v > 0 { break } else { continue } }
            guard b >= 0x30 && b <= 0x37 else { break }
            v = v * 8 + UInt64(b - 0x30)
        }
        return v
    }

    static func cString(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    static func ustarName(_ header: [UInt8]) -> String {
        let name = cString(header[0..<100])
        let magic = header[257..<263]
        if Array(magic.prefix(5)) == Array("ustar".utf8) {
            let prefix = cString(header[345..<500])
            if !prefix.isEmpty { return prefix + "/" + name }
        }
        return name
    }

    /// pax records: `LEN key=value\n`.
    static func paxRecords(_ data: [UInt8], _ source: String) throws(BerthError) -> [String: [UInt8]] {
        var records: [String: [UInt8]] = [:]
        var i = 0
        while i < data.count {
            guard let space = data[i...].firstIndex(of: 0x20), let length = Int(String(decoding: data[i..<space], as: UTF8.self)),
                length > 0, i + length <= data.count, let equals = data[(space + 1)..<(i + length)].firstIndex(of: 0x3D)
            else { throw BerthError(.invalidSpec, "\(source): a malformed pax header") }
            let key = String(decoding: data[(space + 1)..<equals], as: UTF8.self)
            records[key] = Array(data[(equals + 1)..<(i + length - 1)])
            i += length
        }
        return records
    }
}
