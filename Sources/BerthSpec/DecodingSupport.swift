/// Marker for the `CodingKeys` of the spec types.
///
/// Error reporting uses it to tell struct members (`.name`) from dictionary keys
/// (`["name"]`) when it turns a decoding path into a JSON path.
protocol SpecCodingKey: CodingKey {}

extension KeyedDecodingContainer where Key: SpecCodingKey {
    /// Decodes a field the spec marks REQUIRED the way Go's `encoding/json` does:
    /// a missing or `null` value becomes the zero value, and validation reports it.
    @inline(__always)
    func lenient<T: Decodable>(_ key: Key, _ fallback: @autoclosure () -> T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback()
    }

    /// Decodes an OPTIONAL field.
    @inline(__always)
    func optional<T: Decodable>(_ key: Key) throws -> T? {
        try decodeIfPresent(T.self, forKey: key)
    }
}

/// Renders a `Decoder` coding path as a JSON path such as `process.args[0]` or
/// `linux.sysctl["net.ipv4.ip_forward"]`.
func jsonPath(_ codingPath: [any CodingKey]) -> String {
    var out = ""
    for key in codingPath {
        if key is any SpecCodingKey {
            if !out.isEmpty { out += "." }
            out += key.stringValue
        } else if let index = key.intValue, key.stringValue == "Index \(index)" {
            out += "[\(index)]"
        } else {
            out += "[\"\(key.stringValue)\"]"
        }
    }
    return out
}

/// Any key of a JSON object, as found in the document.
struct FoldedKey: SpecCodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A keyed container that finds a field the way Go's `encoding/json` (and so runc) does:
/// the exact key first, else a key that differs only in ASCII case (`pagesize` for
/// `pageSize`, `CPU` for `cpu`). Used for `linux.resources`, which runc's own tests and
/// callers write with such keys; everywhere else berth keeps exact keys.
struct FoldedContainer<Key: SpecCodingKey> {
    let container: KeyedDecodingContainer<FoldedKey>
    private let folded: [String: FoldedKey]

    init(_ decoder: any Decoder) throws {
        container = try decoder.container(keyedBy: FoldedKey.self)
        var folded: [String: FoldedKey] = [:]
        // Go applies the keys in document order, so the last of several spellings wins.
        for key in container.allKeys { folded[key.stringValue.lowercased()] = key }
        self.folded = folded
    }

    private func key(_ key: Key) -> FoldedKey? {
        let exact = FoldedKey(stringValue: key.stringValue)
        if container.contains(exact) { return exact }
        return folded[key.stringValue.lowercased()]
    }

    /// Decodes an OPTIONAL field.
    func optional<T: Decodable>(_ key: Key) throws -> T? {
        guard let k = self.key(key) else { return nil }
        return try container.decodeIfPresent(T.self, forKey: k)
    }

    /// Decodes a REQUIRED field as Go does: missing or `null` is the zero value.
    func lenient<T: Decodable>(_ key: Key, _ fallback: @autoclosure () -> T) throws -> T {
        try optional(key) ?? fallback()
    }
}
