import BerthSystem
import Testing

/// The lexical normalisers: their byte-level shortcut for paths that are normal already
/// must give what the component-by-component rules give for every input.
@Suite struct PathsTests {
    /// The rules, byte by byte as the kernel reads a path: split at every "/", drop `.`
    /// and empty components, apply `..` (canonical) or keep it (withoutDots), join under "/".
    static func reference(_ path: String, keepingDotDot: Bool) -> String {
        var parts: [[UInt8]] = []
        for part in path.utf8.split(separator: UInt8(ascii: "/")) {
            if Array(part) == [UInt8(ascii: ".")] { continue }
            if Array(part) == [UInt8(ascii: "."), UInt8(ascii: ".")] && !keepingDotDot {
                _ = parts.popLast()
                continue
            }
            parts.append(Array(part))
        }
        if parts.isEmpty { return "/" }
        return String(decoding: parts.flatMap { [UInt8(ascii: "/")] + $0 }, as: UTF8.self)
    }

    static let inputs = [
        "", "/", "//", "///", ".", "..", "/.", "/..", "/./", "/../", "a", "a/b", "./a", "../a",
        "/a", "/a/", "/a//b", "/a/./b", "/a/../b", "/a/b/..", "/a/b/.", "/a/b/...", "/.../a",
        "/.a", "/..a", "/a.", "/a..", "/a/.b/c", "/a/b..c", "/dev/pts", "/sys/fs/cgroup",
        "/proc/self/fd/3", "/é/ü", "/a/é/../b", "/\u{301}/x", "/a/\u{301}./b", "/a/.\u{301}/b",
    ]

    @Test(arguments: inputs) func canonicalMatchesTheRules(path: String) {
        #expect(Paths.canonical(path) == Self.reference(path, keepingDotDot: false))
    }

    @Test(arguments: inputs) func withoutDotsMatchesTheRules(path: String) {
        #expect(Paths.withoutDots(path) == Self.reference(path, keepingDotDot: true))
    }

    @Test func relativeDropsEveryLeadingSlash() {
        #expect(RootedPath.relative("/a/b") == "a/b")
        #expect(RootedPath.relative("///a//b/") == "a//b/")
        #expect(RootedPath.relative("a") == "a")
        #expect(RootedPath.relative("/") == "")
        #expect(RootedPath.relative("") == "")
        #expect(RootedPath.relative("/é") == "é")
    }
}
