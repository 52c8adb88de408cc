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
