import BerthSpec
import BerthSystem
import Glibc

/// `linux.readonlyPaths` and `linux.maskedPaths`, after the root switch.
///
/// A masked file gets /dev/null bound over it; a masked directory an empty read-only
/// tmpfs. As runc does since 1.3.x, the masked directories share one tmpfs: the first
/// gets it, the others a bind of it (each bind keeps its read-only flag), so a long list
/// (one entry per CPU, as Kubernetes writes) costs one superblock. A path listed twice
/// is masked once.
struct MaskedPaths {
    let rooted: RootedPath
    let mountLabel: String?

    func apply(readOnly: [String], masked: [String]) throws {
        for path in readOnly { try makeReadOnly(path) }
        let first = masked.map(Paths.withoutDots).firstOccurrences()
        var sharedTmpfs: Int32 = -1
        defer { if sharedTmpfs >= 0 { close(sharedTmpfs) } }
        for (i, path) in masked.enumerated() where first[i] {
            guard let fd = try? rooted.open(path, flags: O_PATH | O_NOFOLLOW) else { continue }
            defer { close(fd) }
            var st = stat()
            guard fstat(fd, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) != S_IFDIR {
                try MountTable.mount(source: "/dev/null", target: procFDPath(fd), type: nil, flags: UInt(MS_BIND), errorPath: path)
            } else if sharedTmpfs >= 0 {
                try MountTable.mount(
                    source: procFDPath(sharedTmpfs), target: procFDPath(fd), type: nil, flags: UInt(MS_BIND),
                    errorPath: path)
            } else {
                try MountTable.mount(
                    source: "tmpfs", target: procFDPath(fd), type: "tmpfs", flags: UInt(MS_RDONLY),
                    data: LSM.mountData("size=0k", type: "tmpfs", label: mountLabel), errorPath: path)
                sharedTmpfs = try rooted.open(path, flags: O_PATH | O_NOFOLLOW)
            }
        }
    }

    /// A read-only bind of `path` over itself: a detached recursive copy, made read-only
    /// at its top and attached where it came from (what a recursive bind and a read-only
    /// remount do, without looking the path up again; its other flags, the locked ones
    /// included, stay as they are).
    private func makeReadOnly(_ path: String) throws {
        guard let fd = try? rooted.open(path, flags: O_PATH | O_NOFOLLOW) else { return }
        defer { close(fd) }
        let tree = try MountTree.clone(fd, recursive: true, errorPath: path)
        defer { close(tree) }
        try MountTree.setAttributes(tree, MountAttributes(set: MountAttributes.readOnly), recursive: false, errorPath: path)
        try MountTree.attach(tree, to: fd, errorPath: path)
    }
}
