extension Spec {
    /// Encodes the configuration as JSON, keys in specification order and dictionary keys
    /// sorted. `pretty` output is byte-for-byte what runc writes (`json.MarshalIndent`
    /// with tabs, no trailing newline); otherwise the JSON is compact.
    public func jsonData(pretty: Bool = true) throws(SpecError) -> [UInt8] {
        try SpecEncoding.encode(self, pretty: pretty)
    }
}

/// JSON encoding shared by the spec documents.
public enum SpecEncoding {
    /// Encodes a spec document (``Spec``, ``State``, ``Features``, ...) as JSON with keys
    /// in the order the type encodes them.
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = true) throws(SpecError) -> [UInt8] {
        do {
            return try OrderedJSONEncoder(pretty: pretty).encode(value)
        } catch {
            throw SpecError("encoding JSON: \(error)")
        }
    }
}

/// A coding key for dictionary entries.
struct DictionaryKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension KeyedEncodingContainer {
    /// Encodes a dictionary with its keys in sorted order (stable output), or nothing when `nil`.
    mutating func encodeSorted<V: Encodable>(_ dictionary: [String: V]?, forKey key: Key) throws {
        guard let dictionary else { return }
        var nested = nestedContainer(keyedBy: DictionaryKey.self, forKey: key)
        for k in dictionary.keys.sorted() {
            try nested.encode(dictionary[k]!, forKey: DictionaryKey(stringValue: k))
        }
    }
}
