import Glibc

extension MountTable {
    /// The id of the mount `path` resolves to (the topmost one where several are stacked
    /// on it), as `/proc/self/fdinfo/N` reports it (`mnt_id:`), or nil when `path` cannot
    /// be opened. Ids are not reused while the mount exists, so an id recorded when berth
    /// made a mount tells later whether the mount found there is still that one.
    public static func id(of path: String) -> Int? {
        let fd = Glibc.open(path, O_PATH | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard let info = try? FileIO.readString("/proc/self/fdinfo/\(fd)") else { return nil }
        for line in info.split(separator: "\n") where line.hasPrefix("mnt_id:") {
            return Int(line.dropFirst("mnt_id:".count).filter { $0 != " " && $0 != "\t" })
        }
        return nil
    }
}
