/// A small JSON encoder that keeps object keys in the order they are encoded
/// (FoundationEssentials' `JSONEncoder` hashes them), so documents come out in
/// specification order. Pretty output matches Go's `json.MarshalIndent(v, "", "\t")`,
/// which is what runc writes.
struct OrderedJSONEncoder {
    /// Indent with tabs and put one member per line.
    var pretty: Bool

    /// Encodes `value` as UTF-8 JSON.
    func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let root = JSONNode()
        try value.encode(to: NodeEncoder(node: root, codingPath: []))
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        root.write(to: &out, pretty: pretty, depth: 0)
        return out
    }
}

/// A JSON value under construction. A reference type so nested containers can fill it in later.
final class JSONNode {
    enum Kind {
        case empty
        case scalar([UInt8])
        case object
        case array
    }

    var kind = Kind.empty
    var keys: [String] = []
    var members: [String: JSONNode] = [:]
    var items: [JSONNode] = []

    func makeObject() {
        if case .object = kind { return }
        kind = .object
    }

    func makeArray() {
        if case .array = kind { return }
        kind = .array
    }

    func member(_ key: String) -> JSONNode {
        makeObject()
        if let existing = members[key] { return existing }
        let node = JSONNode()
        keys.append(key)
        members[key] = node
        return node
    }

    func append() -> JSONNode {
        makeArray()
        let node = JSONNode()
        items.append(node)
        return node
    }

    func set(_ bytes: [UInt8]) { kind = .scalar(bytes) }

    func set(string: String) {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for b in string.utf8 {
            switch b {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
        kind = .scalar(out)
    }

    private static func newline(_ out: inout [UInt8], depth: Int) {
        out.append(0x0A)
        for _ in 0..<depth { out.append(0x09) }
    }

    func write(to out: inout [UInt8], pretty: Bool, depth: Int) {
        switch kind {
        case .empty:
            out += Array("{}".utf8)
        case .scalar(let bytes):
            out += bytes
        case .object:
            if keys.isEmpty {
                out += Array("{}".utf8)
                return
            }
            out.append(UInt8(ascii: "{"))
            for (n, key) in keys.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { Self.newline(&out, depth: depth + 1) }
                let keyNode = JSONNode()
                keyNode.set(string: key)
                keyNode.write(to: &out, pretty: pretty, depth: depth + 1)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(UInt8(ascii: " ")) }
                members[key]!.write(to: &out, pretty: pretty, depth: depth + 1)
            }
            if pretty { Self.newline(&out, depth: depth) }
            out.append(UInt8(ascii: "}"))
        case .array:
            if items.isEmpty {
                out += Array("[]".utf8)
                return
            }
            out.append(UInt8(ascii: "["))
            for (n, item) in items.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { Self.newline(&out, depth: depth + 1) }
                item.write(to: &out, pretty: pretty, depth: depth + 1)
            }
            if pretty { Self.newline(&out, depth: depth) }
            out.append(UInt8(ascii: "]"))
        }
    }
}

/// The `Encoder` that fills a ``JSONNode``.
struct NodeEncoder: Encoder {
    let node: JSONNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.makeObject()
        return KeyedEncodingContainer(KeyedNodeContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.makeArray()
        return UnkeyedNodeContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleNodeContainer(node: node, codingPath: codingPath)
    }
}

/// Encodes one scalar or nested value into a node.
private func encodeValue<T: Encodable>(_ value: T, into node: JSONNode, path: [any CodingKey]) throws {
    switch value {
    case let v as String: node.set(string: v)
    case let v as Bool: node.set(Array((v ? "true" : "false").utf8))
    case let v as Int: node.set(Array(String(v).utf8))
    case let v as Int32: node.set(Array(String(v).utf8))
    case let v as Int64: node.set(Array(String(v).utf8))
    case let v as UInt: node.set(Array(String(v).utf8))
    case let v as UInt16: node.set(Array(String(v).utf8))
    case let v as UInt32: node.set(Array(String(v).utf8))
    case let v as UInt64: node.set(Array(String(v).utf8))
    default: try value.encode(to: NodeEncoder(node: node, codingPath: path))
    }
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: JSONNode
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.member(key.stringValue).set(Array("null".utf8)) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try encodeValue(value, into: node.member(key.stringValue), path: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = node.member(key.stringValue)
        child.makeObject()
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = node.member(key.stringValue)
        child.makeArray()
        return UnkeyedNodeContainer(node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        NodeEncoder(node: node.member("super"), codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key])
    }
}

private struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

private struct UnkeyedNodeContainer: UnkeyedEncodingContainer {
    let node: JSONNode
    let codingPath: [any CodingKey]
    var count: Int { node.items.count }

    mutating func encodeNil() throws { node.append().set(Array("null".utf8)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = codingPath + [IndexKey(count)]
        try encodeValue(value, into: node.append(), path: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let path = codingPath + [IndexKey(count)]
        let child = node.append()
        child.makeObject()
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(node: child, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = codingPath + [IndexKey(count)]
        let child = node.append()
        child.makeArray()
        return UnkeyedNodeContainer(node: child, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let path = codingPath + [IndexKey(count)]
        return NodeEncoder(node: node.append(), codingPath: path)
    }
}

private struct SingleNodeContainer: SingleValueEncodingContainer {
    let node: JSONNode
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.set(Array("null".utf8)) }
    mutating func encode(_ value: Bool) throws { node.set(Array((value ? "true" : "false").utf8)) }
    mutating func encode(_ value: String) throws { node.set(string: value) }
    mutating func encode(_ value: Double) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "non-finite number"))
        }
        node.set(Array((value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)).utf8))
    }
    mutating func encode(_ value: Float) throws { try encode(Double(value)) }
    mutating func encode(_ value: Int) throws { node.set(Array(String(value).utf8)) }
    mutating func encode(_ value: Int8) throws { node.set(Array(String(value).utf8)) }
    mutating func encode(_ value: Int16) throws { node.set(Array(String(value).utf8)) }
    mutating func encode(_ value: Int32) throws { node.set(Array(String(value).utf8)) }
    mutating func encode(_ value: Int64) throws { node.set(Array(String(value).utf8)) }
    mutating func encode(_ value: UInt) throws { node.set(Array(String(value).utf8)) }
    mutating func encode(_ value: UInt8) throws { node.set(Array(String(value).utf8)) }
    mutating func encode(_ value: UInt16) throws { node.set(Array(String(value).utf8)) }
    mutating func encode(_ value: UInt32) throws { node.set(Array(String(value).utf8)) }
    mutating func encode(_ value: UInt64) throws { node.set(Array(String(value).utf8)) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try encodeValue(value, into: node, path: codingPath)
    }
}
