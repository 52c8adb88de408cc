import Glibc

/// The one lexical path normaliser: no filesystem access, so symlinks are not followed
/// (rooted lookups resolve those, see `RootedPath`).
public enum Paths {
    /// `path` as an absolute path with `.` and empty components removed and `..` applied
    /// lexically (`..` above the root stays at the root); a relative `path` is taken from
    /// the root.
    public static func canonical(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return joined(parts)
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
        joined(path.split(separator: "/").filter { $0 != "." })
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
