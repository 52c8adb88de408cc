import BerthSpec
import BerthSystem
import Glibc

/// A container's layer as an OCI image layer tarball (POSIX pax/ustar): what `diff`
/// reports, with overlayfs's whiteouts written as `.wh.NAME` and an opaque directory as
/// its `.wh..wh..opq` entry, and the directories above each entry. Owners, modes, times
/// (seconds), symlinks, hard links, device nodes and xattrs (overlayfs's and berth's own
/// left out) are kept; user and group names are left empty.
///
/// The bytes depend on the layer's content only: entries in one order (depth first,
/// names in byte order), no time of writing, no host names, so committing the same
/// layer twice gives the same tarball and the same digest.
struct LayerTar {
    let walk: LayerWalk
    /// Receives the tarball's bytes in order.
    var sink: ([UInt8]) throws(BerthError) -> Void

    private static let block = 512

    /// Writes the whole tarball.
    func write() throws(BerthError) {
        // First pass: what is reported, and the directories above it.
        var included = Set<String>()
        for entry in try walk.entries() where entry.reported && entry.stat != nil {
            included.insert(entry.path)
            var parent = Substring(entry.path)
            while let slash = parent.lastIndex(of: "/"), slash != parent.startIndex {
                parent = parent[..<slash]
                included.insert(String(parent))
            }
        }
        var links: [String: String] = [:]  // "dev:ino" of a file with several links → its first name
        try walk.run { (entry, dirFD) throws(BerthError) in
            guard included.contains(entry.path), let st = entry.stat else { return }
            try self.entry(entry, st, dirFD: dirFD, links: &links)
        }
        try sink([UInt8](repeating: 0, count: Self.block * 2))
    }

    private func entry(_ entry: LayerWalk.Entry, _ st: stat, dirFD: Int32, links: inout [String: String]) throws(BerthError) {
        let name = String(entry.path.dropFirst())  // no leading slash
        var header = Header(name: name, st: st)
        if entry.whiteout {
            let parent = name.split(separator: "/").dropLast().joined(separator: "/")
            header = Header(whiteoutIn: parent, name: ".wh." + entry.name, st: st)
            try emit(header, content: nil)
            return
        }
        let hostPath = procFDPath(dirFD) + "/" + entry.name
        header.xattrs = Self.xattrs(hostPath)
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            header.type = "5"
            header.name = name + "/"
            try emit(header, content: nil)
            if entry.opaque {
                try emit(Header(whiteoutIn: name, name: ".wh..wh..opq", st: st), content: nil)
            }
        case S_IFREG:
            let key = "\(st.st_dev):\(st.st_ino)"
            if st.st_nlink > 1, let first = links[key] {
                header.type = "1"
                header.linkName = first
                try emit(header, content: nil)
                return
            }
            if st.st_nlink > 1 { links[key] = name }
            header.type = "0"
            header.size = UInt64(st.st_size)
            let fd = openat(dirFD, entry.name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else {
                throw BerthError.system("read layer", SyscallError("open", walk.upper + entry.path, errno: currentErrno()))
            }
            defer { close(fd) }
            try emit(header, content: fd)
        case S_IFLNK:
            header.type = "2"
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlinkat(dirFD, entry.name, &buffer, buffer.count - 1)
            guard n >= 0 else {
                throw BerthError.system("read layer", SyscallError("readlink", walk.upper + entry.path, errno: currentErrno()))
            }
            header.linkName = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            try emit(header, content: nil)
        case S_IFCHR, S_IFBLK:
            header.type = (st.st_mode & S_IFMT) == S_IFCHR ? "3" : "4"
            header.devMajor = DeviceNumber.major(st.st_rdev)
            header.devMinor = DeviceNumber.minor(st.st_rdev)
            try emit(header, content: nil)
        case S_IFIFO:
            header.type = "6"
            try emit(header, content: nil)
        default:
            return  // a socket: nothing a layer can carry
        }
    }

    /// The xattrs a layer carries: not overlayfs's own, not berth's marks.
    static func xattrs(_ path: String) -> [(String, [UInt8])] {
        let skipped = ["trusted.overlay.", "user.overlay.", "trusted.berth.", "user.berth."]
        var result: [(String, [UInt8])] = []
        let names = ((try? ExtendedAttributes.names(path)) ?? []).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for name in names where !skipped.contains(where: { name.hasPrefix($0) }) {
            if let value = try? ExtendedAttributes.get(path, name) { result.append((name, value)) }
        }
        return result
    }

    /// One tar member: a pax header first when ustar cannot hold it all.
    struct Header {
        var name: String
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
        var size: UInt64 = 0
        var mtime: Int
        var type: Character = "0"
        var linkName = ""
        var devMajor: UInt32 = 0
        var devMinor: UInt32 = 0
        var xattrs: [(String, [UInt8])] = []

        init(name: String, st: stat) {
            self.name = name
            mode = UInt32(st.st_mode & 0o7777)
            uid = st.st_uid
            gid = st.st_gid
            mtime = max(0, st.st_mtim.tv_sec)
        }

        /// An empty marker file (`.wh.NAME`, `.wh..wh..opq`) in `directory`, with the
        /// times of the entry it stands for.
        init(whiteoutIn directory: String, name: String, st: stat) {
            self.init(name: directory.isEmpty ? name : directory + "/" + name, st: st)
            mode = 0
            uid = 0
            gid = 0
            type = "0"
        }
    }

    private func emit(_ h: Header, content: Int32?) throws(BerthError) {
        var pax: [(String, [UInt8])] = []
        if h.name.utf8.count > 100 { pax.append(("path", Array(h.name.utf8))) }
        if h.linkName.utf8.count > 100 { pax.append(("linkpath", Array(h.linkName.utf8))) }
        if h.size > 0o77777777777 { pax.append(("size", Array(String(h.size).utf8))) }
        if h.uid > 0o7777777 { pax.append(("uid", Array(String(h.uid).utf8))) }
        if h.gid > 0o7777777 { pax.append(("gid", Array(String(h.gid).utf8))) }
        for (name, value) in h.xattrs { pax.append(("SCHILY.xattr." + name, value)) }
        if !pax.isEmpty {
            var records: [UInt8] = []
            for (key, value) in pax {
                // "LEN key=value\n", LEN counting itself.
                let body = 1 + key.utf8.count + 1 + value.count + 1
                var length = body + String(body).utf8.count
                if String(length).utf8.count != String(body).utf8.count { length = body + String(length).utf8.count }
                records += Array("\(length) \(key)=".utf8) + value + [0x0A]
            }
            var paxHeader = h
            let base = h.name.split(separator: "/").last.map(String.init) ?? "entry"
            paxHeader.name = "PaxHeaders/" + String(decoding: base.utf8.prefix(80), as: UTF8.self)
            paxHeader.type = "x"
            paxHeader.size = UInt64(records.count)
            paxHeader.linkName = ""
            try sink(Self.ustar(paxHeader))
            try sink(records + Self.padding(records.count))
        }
        try sink(Self.ustar(h))
        guard let fd = content else { return }
        var remaining = h.size
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while remaining > 0 {
            let n = read(fd, &buffer, Int(min(UInt64(buffer.count), remaining)))
            if n < 0 && currentErrno() == .interrupted { continue }
            guard n > 0 else {
                // Shorter than its size said (changed while the container runs): pad it out.
                if n < 0 { throw BerthError.system("read layer", SyscallError("read", h.name, errno: currentErrno())) }
                try sink([UInt8](repeating: 0, count: Int(remaining)))
                break
            }
            try sink(Array(buffer[0..<n]))
            remaining -= UInt64(n)
        }
        try sink(Self.padding(Int(h.size % UInt64(Self.block))))
    }

    private static func padding(_ used: Int) -> [UInt8] {
        let rest = used % block
        return rest == 0 ? [] : [UInt8](repeating: 0, count: block - rest)
    }

    /// The 512-byte ustar header of `h` (fields too large for it are in the pax header).
    static func ustar(_ h: Header) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: block)
        func put(_ bytes: some Collection<UInt8>, _ offset: Int, _ length: Int) {
            for (i, byte) in bytes.prefix(length).enumerated() { b[offset + i] = byte }
        }
        func octal(_ value: UInt64, _ offset: Int, _ length: Int) {
            let limit = UInt64(1) << UInt64(3 * (length - 1))
            let text = String(value < limit ? value : 0, radix: 8)
            let padded = String(repeating: "0", count: max(0, length - 1 - text.count)) + text
            put(Array(padded.utf8), offset, length - 1)
        }
        put(Array(h.name.utf8), 0, 100)
        octal(UInt64(h.mode), 100, 8)
        octal(UInt64(h.uid), 108, 8)
        octal(UInt64(h.gid), 116, 8)
        octal(h.size, 124, 12)
        octal(UInt64(h.mtime), 136, 12)
        put(Array("        ".utf8), 148, 8)
        b[156] = UInt8(ascii: h.type.unicodeScalars.first!)
        put(Array(h.linkName.utf8), 157, 100)
        put(Array("ustar\0".utf8), 257, 6)
        put(Array("00".utf8), 263, 2)
        octal(UInt64(h.devMajor), 329, 8)
        octal(UInt64(h.devMinor), 337, 8)
        let sum = b.reduce(0) { $0 + Int($1) }
        let text = String(sum, radix: 8)
        put(Array((String(repeating: "0", count: max(0, 6 - text.count)) + text).utf8), 148, 6)
        b[154] = 0
        b[155] = UInt8(ascii: " ")
        return b
    }
}
