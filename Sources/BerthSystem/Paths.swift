import Glibc

/// The one lexical path normaliser: no filesystem access, so symlinks are not followed
/// (rooted lookups resolve those, see `RootedPath`).
public enum Paths {
    /// `path` as an absolute path with `.` and empty components removed and `..` applied
    /// lexically (`..` above the root stays at the root); a relative `path` is taken from
    /// the root.
    public static func canonical(_ path: String) -> String {
        if isNormal(path, keepingDotDot: false) { return path }
        var parts: [Substring] = []
        for part in components(path) {
            if isDots(part, 1) { continue }
            if isDots(part, 2) {
                _ = parts.popLast()
                continue
            }
            parts.append(part)
        }
        return joined(parts)
    }

    /// The non-empty components of `path`, split at each "/" byte, as the kernel splits
    /// it (a `Character` split costs grapheme breaking, and would not split where a
    /// combining mark follows a slash).
    public static func components(_ path: String) -> [Substring] {
        var parts: [Substring] = []
        let utf8 = path.utf8
        var start = utf8.startIndex
        var i = start
        while i != utf8.endIndex {
            if utf8[i] == UInt8(ascii: "/") {
                if i != start { parts.append(path[start..<i]) }
                start = utf8.index(after: i)
            }
            i = utf8.index(after: i)
        }
        if start != utf8.endIndex { parts.append(path[start...]) }
        return parts
    }

    /// Whether `part` is `count` dots and nothing else.
    static func isDots(_ part: Substring, _ count: Int) -> Bool {
        part.utf8.count == count && part.utf8.allSatisfy { $0 == UInt8(ascii: ".") }
    }

    /// "/" + the parts joined by "/", without the standard library's unspecialised
    /// `joined(separator:)` (its first use costs a runtime conformance look-up).
    private static func joined(_ parts: [Substring]) -> String {
        var result = parts.isEmpty ? "/" : ""
        for part in parts {
            result += "/"
            result.append(contentsOf: part)
        }
        return result
    }

    /// `path` as an absolute path with `.` and empty components removed but `..` kept: for
    /// a path that is resolved later inside a root (mount destinations), where `..` after
    /// a symlink must go where the symlink leads, not where the text says.
    public static func withoutDots(_ path: String) -> String {
        if isNormal(path, keepingDotDot: true) { return path }
        return joined(components(path).filter { !isDots($0, 1) })
    }

    /// Whether the normalisers would return `path` unchanged: absolute, without an empty
    /// or `.` component or a trailing slash, and without `..` unless `keepingDotDot`. Most
    /// paths are (mount destinations, cgroup paths), and this reads their UTF-8 bytes
    /// once, where splitting a `String` breaks it into `Character`s first.
    static func isNormal(_ path: String, keepingDotDot: Bool) -> Bool {
        let slash = UInt8(ascii: "/")
        let dot = UInt8(ascii: ".")
        // The current component's length and how many of its bytes are dots; -1 before
        // the leading slash.
        var length = -1
        var dots = 0
        for byte in path.utf8 {
            if byte == slash {
                if length == 0 { return false }
                if length > 0 && dots == length && (dots == 1 || (dots == 2 && !keepingDotDot)) { return false }
                length = 0
                dots = 0
            } else {
                if length < 0 { return false }
                length += 1
                if byte == dot { dots += 1 }
            }
        }
        if length < 0 { return false }
        if length == 0 { return path.utf8.count == 1 }
        return !(dots == length && (dots == 1 || (dots == 2 && !keepingDotDot)))
    }

    /// `path` made absolute against the working directory, then canonical. When the
    /// working directory cannot be read, a relative `path` is returned unchanged.
    public static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return canonical(path) }
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX))
        guard getcwd(&buf, buf.count) != nil else { return path }
        return canonical(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/" + path)
    }
}
