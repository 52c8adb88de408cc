/// String operations for the hot paths that avoid the standard library's generic ones
/// whose first use in a process costs a runtime look-up: `contains(_:)` with a string
/// argument builds a search table keyed by `Character` (a `Character: Hashable`
/// conformance look-up, which scans every conformance record in the binary, about 40 µs
/// here), and `joined(separator:)` is called unspecialised (an associated-type look-up of
/// the same kind). Each command pays such a look-up once per type, so the few of them on
/// the paths every container takes are worth avoiding.
extension String {
    /// True when `needle` occurs in the string, byte for byte (UTF-8): `contains(_:)`
    /// without the search table.
    public func includes(_ needle: String) -> Bool {
        let hay = [UInt8](utf8)
        let pin = [UInt8](needle.utf8)
        if pin.isEmpty { return true }
        if pin.count > hay.count { return false }
        var i = 0
        while i + pin.count <= hay.count {
            var j = 0
            while j < pin.count && hay[i + j] == pin[j] { j += 1 }
            if j == pin.count { return true }
            i += 1
        }
        return false
    }
}

extension Array where Element == String {
    /// For each element, whether it is the first of its value in the array: what a
    /// `Set<String>` of those seen would say, found by sorting (O(n log n)) instead of
    /// hashing, whose first use costs a process the `String: Hashable` look-up.
    public func firstOccurrences() -> [Bool] {
        let order = indices.sorted { self[$0] != self[$1] ? self[$0] < self[$1] : $0 < $1 }
        var first = [Bool](repeating: false, count: count)
        for (position, index) in order.enumerated() where position == 0 || self[order[position - 1]] != self[index] {
            first[index] = true
        }
        return first
    }

    /// `joined(separator:)`, specialised for `[String]`.
    public func joinedPlain(separator: String) -> String {
        var result = ""
        for (i, part) in enumerated() {
            if i > 0 { result += separator }
            result += part
        }
        return result
    }
}

extension Array where Element == Substring {
    /// `joined(separator:)`, specialised for `[Substring]`.
    public func joinedPlain(separator: String) -> String {
        var result = ""
        for (i, part) in enumerated() {
            if i > 0 { result += separator }
            result.append(contentsOf: part)
        }
        return result
    }
}
