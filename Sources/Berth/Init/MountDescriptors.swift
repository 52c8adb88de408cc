/// Descriptors by mount index (the spec's `mounts` order): a dense table. An
/// `[Int: Int32]` would cost the init a runtime `Int: Hashable` conformance look-up (a scan
/// of every conformance record in the binary) on the path every container takes, even
/// when it stays empty.
struct MountDescriptors: Sendable {
    private var table: [Int32] = []

    init() {}

    subscript(index: Int) -> Int32? {
        get { index >= 0 && index < table.count && table[index] >= 0 ? table[index] : nil }
        set {
            guard index >= 0 else { return }
            if index >= table.count { table += [Int32](repeating: -1, count: index + 1 - table.count) }
            table[index] = newValue ?? -1
        }
    }

    /// The descriptors, each once.
    var distinct: [Int32] {
        var result: [Int32] = []
        for fd in table where fd >= 0 && !result.contains(fd) { result.append(fd) }
        return result
    }
}
