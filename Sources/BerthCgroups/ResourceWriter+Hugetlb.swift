import BerthSpec
import BerthSystem

/// `linux.resources.hugepageLimits`.
extension ResourceWriter {
    /// v1 `hugetlb.<size>.limit_in_bytes`, v2 `hugetlb.<size>.max`, and the reservation
    /// limits (`.rsvd.`) beside them where the kernel has them, as runc writes both. A
    /// hybrid host whose v1 hierarchies lack hugetlb (Debian 12: the controller sits on
    /// the v2 mount) gets the v2 files of the container's cgroup there, with the
    /// controller enabled down to it.
    func hugetlb(_ limits: [LinuxHugepageLimit]) throws(SyscallError) {
        for h in limits {
            let size = h.pageSize
            guard !size.isEmpty, !size.contains("/"), !size.contains(".") else {
                throw SyscallError("linux.resources.hugepageLimits: invalid pageSize \"\(size)\"", errno: .invalidArgument)
            }
            let value = String(h.limit)
            if !unified, let dir = directory(for: "hugetlb.\(size).limit_in_bytes") {
                try write(dir, "hugetlb.\(size).limit_in_bytes", value)
                if FileIO.exists(dir + "/hugetlb.\(size).rsvd.limit_in_bytes") {
                    try write(dir, "hugetlb.\(size).rsvd.limit_in_bytes", value)
                }
                continue
            }
            guard let dir = hugetlbV2Directory(file: "hugetlb.\(size).max") else {
                throw SyscallError(
                    "linux.resources.hugepageLimits: no hugetlb.\(size) files (no hugetlb controller, or a page size this kernel lacks)",
                    errno: .noSuchFileOrDirectory)
            }
            try write(dir, "hugetlb.\(size).max", value)
            if FileIO.exists(dir + "/hugetlb.\(size).rsvd.max") {
                try write(dir, "hugetlb.\(size).rsvd.max", value)
            }
        }
    }

    /// The container's cgroup v2 directory holding `file`, after enabling the hugetlb
    /// controller on its ancestors if it was not.
    func hugetlbV2Directory(file: String) -> String? {
        guard let dir = set.paths.first(where: { FileIO.exists($0 + "/cgroup.controllers") }) else { return nil }
        if !FileIO.exists(dir + "/" + file) { CgroupSet.enableControllers(["hugetlb"], above: dir) }
        return FileIO.exists(dir + "/" + file) ? dir : nil
    }
}
