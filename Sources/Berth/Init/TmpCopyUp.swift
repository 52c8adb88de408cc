import BerthSystem
import Glibc

/// `tmpcopyup`: a tmpfs mounted over a directory starts with a copy of what the
/// directory held. The directory is opened before the tmpfs covers it, so the copy reads
/// it through that descriptor; every entry is opened relative to its parent's
/// descriptor without following symlinks, so nothing outside the tree is read or written.
enum TmpCopyUp {
    /// Copies directories, regular files, symlinks and special files from the directory
    /// `from` into the directory `to`, with their owners and modes.
    static func copy(from: Int32, to: Int32, path: String) throws(SyscallError) {
        let listing = dup(from)
        guard listing >= 0, let dir = fdopendir(listing) else {
            let e = currentErrno()
            if listing >= 0 { close(listing) }
            throw SyscallError("opendir", path, errno: e)
        }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name == "." || name == ".." { continue }
            try copyEntry(name, from: from, to: to, path: path + "/" + name)
        }
    }

    private static func copyEntry(_ name: String, from: Int32, to: Int32, path: String) throws(SyscallError) {
        var st = stat()
        try sys("stat", path) { fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) }
        let mode = st.st_mode & 0o7777
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            try sys("mkdir", path) { mkdirat(to, name, 0o700) }
            let source = try sys("open", path) { openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            defer { close(source) }
            let copy = try sys("open", path) { openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            defer { close(copy) }
            try self.copy(from: source, to: copy, path: path)
            // Owner first: chown clears the set-id bits.
            try sys("chown", path) { fchown(copy, st.st_uid, st.st_gid) }
            try sys("chmod", path) { fchmod(copy, mode) }
        case S_IFREG:
            let source = try sys("open", path) { openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
            defer { close(source) }
            let copy = try sys("create", path) { openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
            defer { close(copy) }
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = try sys("read", path) { buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) } }
                if n == 0 { break }
                try FileIO.writeAll(copy, buffer[0..<n], path: path)
            }
            try sys("chown", path) { fchown(copy, st.st_uid, st.st_gid) }
            try sys("chmod", path) { fchmod(copy, mode) }
        case S_IFLNK:
            var link = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = try sys("readlink", path) { readlinkat(from, name, &link, link.count - 1) }
            link[n] = 0
            try sys("symlink", path) { symlinkat(link, to, name) }
            try sys("chown", path) { fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) }
        default:
            try sys("mknod", path) { mknodat(to, name, st.st_mode, st.st_rdev) }
            try sys("chown", path) { fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) }
            try sys("chmod", path) { fchmodat(to, name, mode, 0) }
        }
    }
}
