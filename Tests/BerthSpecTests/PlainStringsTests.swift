import Testing

@testable import BerthSpec

/// The hot paths' string helpers agree with the standard library's generic operations.
@Suite struct PlainStringsTests {
    @Test func includesAsContains() {
        for (hay, needle) in [("/sys/fs/cgroup/devices/x", "/devices/"), ("abc", ""), ("", "a"), ("aab", "ab"), ("ab", "abc"), ("héllo", "él")] {
            #expect(hay.includes(needle) == (needle.isEmpty || hay.contains(needle)))
        }
    }

    @Test func joinedPlainAsJoined() {
        for parts in [[], ["a"], ["a", "", "b"], ["x", "y", "z"]] as [[String]] {
            #expect(parts.joinedPlain(separator: ", ") == parts.joined(separator: ", "))
            let subs = parts.map { Substring($0) }
            #expect(subs.joinedPlain(separator: "/") == parts.joined(separator: "/"))
        }
    }

    @Test func firstOccurrencesAsASetWouldSay() {
        let values = ["b", "a", "b", "c", "a", "a", "d", ""]
        var seen: Set<String> = []
        #expect(values.firstOccurrences() == values.map { seen.insert($0).inserted })
        #expect([String]().firstOccurrences().isEmpty)
    }
}
