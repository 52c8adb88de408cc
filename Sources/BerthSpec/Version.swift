/// The version of the OCI runtime specification that berth implements and writes
/// into the `ociVersion` field of generated documents.
public let ociSpecVersion = "1.2.0"

/// A version in SemVer 2.0.0 form (semver.org): `MAJOR.MINOR.PATCH`, numbers without
/// leading zeros, an optional `-pre.release` (dot-separated identifiers of
/// `[0-9A-Za-z-]`, numeric ones without leading zeros) and `+build` metadata.
public struct SemanticVersion: Equatable, Sendable {
    public var major: UInt64
    public var minor: UInt64
    public var patch: UInt64
    public var prerelease: [String]
    public var build: [String]

    /// nil when `text` is not a SemVer 2.0.0 version.
    public init?(_ text: String) {
        var rest = Substring(text)
        var build: [String] = []
        if let plus = rest.firstIndex(of: "+") {
            let ids = rest[rest.index(after: plus)...].split(separator: ".", omittingEmptySubsequences: false)
            guard ids.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(Self.isIdentifierByte) }) else { return nil }
            build = ids.map(String.init)
            rest = rest[..<plus]
        }
        var prerelease: [String] = []
        if let dash = rest.firstIndex(of: "-") {
            let ids = rest[rest.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false)
            for id in ids {
                guard !id.isEmpty, id.utf8.allSatisfy(Self.isIdentifierByte) else { return nil }
                if id.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) && id.count > 1 && id.first == "0" { return nil }
            }
            prerelease = ids.map(String.init)
            rest = rest[..<dash]
        }
        let core = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard core.count == 3 else { return nil }
        var numbers: [UInt64] = []
        for part in core {
            guard !part.isEmpty, part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                part.count == 1 || part.first != "0", let n = UInt64(part)
            else { return nil }
            numbers.append(n)
        }
        (major, minor, patch) = (numbers[0], numbers[1], numbers[2])
        self.prerelease = prerelease
        self.build = build
    }

    private static func isIdentifierByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D
    }
}
