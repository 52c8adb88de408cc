/// A type built from a parsed JSON value (see `JSONValue`), with errors that name the
/// JSON path of the offending value, as `SpecLoader` reports them:
/// `process.args[0]: expected String`, `process.user.uid: number -1 is out of range`.
///
/// The spec types decode like Go's encoding/json, as their `Codable` conformances do:
/// unknown members are ignored, a missing or `null` member leaves an optional field `nil`
/// and gives a required one its zero value (`JSONFields.lenient`); validation reports
/// what is missing. It refines `Decodable` so that, where both apply, the faster overload
/// is chosen.
package protocol JSONDecodable: Decodable {
    /// How an error names this type: `String`, `UInt32`, `object`, `array`.
    static var jsonTypeName: String { get }
    init(json: JSONValue) throws(JSONDecodingError)
}

extension JSONDecodable {
    package static var jsonTypeName: String { "object" }
}

/// A value that does not fit its type, and where it is.
package struct JSONDecodingError: Error, Equatable {
    /// One step of a JSON path.
    package enum Step: Equatable {
        /// A member of a spec type: `.name`.
        case member(String)
        /// A dictionary entry: `["key"]`.
        case key(String)
        /// An array element: `[index]`.
        case index(Int)
    }

    /// The path from the document's root, outermost step last (steps are added while the
    /// error travels up).
    package var reversedPath: [Step] = []
    /// What is wrong: `expected String`, `number -1 is out of range`.
    package var reason: String

    package init(_ reason: String) { self.reason = reason }

    package func under(_ step: Step) -> JSONDecodingError {
        var e = self
        e.reversedPath.append(step)
        return e
    }

    /// The path as `process.args[0]` or `linux.sysctl["net.ipv4.ip_forward"]`.
    package var path: String {
        var out = ""
        for step in reversedPath.reversed() {
            switch step {
            case .member(let name):
                if !out.isEmpty { out += "." }
                out += name
            case .key(let key): out += "[\"" + key + "\"]"
            case .index(let index): out += "[" + String(index) + "]"
            }
        }
        return out
    }

    /// `path: reason`, or the reason alone at the root.
    package var message: String {
        let p = path
        return p.isEmpty ? reason : p + ": " + reason
    }

    package static func mismatch(_ typeName: String, _ value: JSONValue) -> JSONDecodingError {
        if case .null = value { return JSONDecodingError("expected \(typeName), found null") }
        return JSONDecodingError("expected \(typeName)")
    }
}

/// The members of a JSON object seen as the fields of a spec type.
package struct JSONFields {
    let object: JSONObject
    let foldingCase: Bool

    /// Fails with `expected object` unless `value` is an object.
    /// - Parameter foldingCase: find a field as Go's encoding/json (and so runc) does:
    ///   the exact key, else the last key that differs only in ASCII case (`pagesize`
    ///   for `pageSize`, `CPU` for `cpu`). `linux.resources` is read this way.
    package init(_ value: JSONValue, foldingCase: Bool = false) throws(JSONDecodingError) {
        guard case .object(let o) = value else { throw JSONDecodingError.mismatch("object", value) }
        object = o
        self.foldingCase = foldingCase
    }

    /// The member's value as parsed, if present.
    package func value(_ key: String) -> JSONValue? { object[key] }

    /// The key as the document writes it, and its value.
    @usableFromInline
    func member(_ key: String) -> (String, JSONValue)? {
        if let value = object[key] { return (key, value) }
        guard foldingCase else { return nil }
        var i = object.keys.count - 1
        while i >= 0 {
            if Self.equalFoldingASCIICase(object.keys[i], key) { return (object.keys[i], object.values[i]) }
            i -= 1
        }
        return nil
    }

    private static func equalFoldingASCIICase(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        for (x, y) in zip(a.utf8, b.utf8) where x != y {
            let lx = x >= 0x41 && x <= 0x5A ? x + 0x20 : x
            let ly = y >= 0x41 && y <= 0x5A ? y + 0x20 : y
            if lx != ly { return false }
        }
        return true
    }

    /// An OPTIONAL field: `nil` when missing or `null`. Inlinable, so that the other
    /// modules' decoders (the state record's) are specialised for their field types
    /// instead of calling the generic function through metadata.
    @inlinable
    package func optional<T: JSONDecodable>(_ key: String) throws(JSONDecodingError) -> T? {
        guard let (written, value) = member(key) else { return nil }
        if case .null = value { return nil }
        do throws(JSONDecodingError) { return try T(json: value) } catch { throw error.under(.member(written)) }
    }

    /// A REQUIRED field decoded as Go does: missing or `null` is `fallback` (the zero
    /// value), and validation reports it.
    @inlinable
    package func lenient<T: JSONDecodable>(_ key: String, _ fallback: T) throws(JSONDecodingError) -> T {
        try optional(key) ?? fallback
    }
}

extension String: JSONDecodable {
    package static var jsonTypeName: String { "String" }
    package init(json: JSONValue) throws(JSONDecodingError) {
        guard case .string(let s) = json else { throw JSONDecodingError.mismatch("String", json) }
        self = s
    }
}

extension Bool: JSONDecodable {
    package static var jsonTypeName: String { "Bool" }
    package init(json: JSONValue) throws(JSONDecodingError) {
        guard case .bool(let b) = json else { throw JSONDecodingError.mismatch("Bool", json) }
        self = b
    }
}

extension Double: JSONDecodable {
    package static var jsonTypeName: String { "Double" }
    package init(json: JSONValue) throws(JSONDecodingError) {
        guard case .number(let text) = json, let d = Double(text) else { throw JSONDecodingError.mismatch("Double", json) }
        self = d
    }
}

/// An integer field: the literal must be an integer in range, or a fraction or exponent
/// form whose value is one (`1.0`, `1e3`).
private func integer<N: FixedWidthInteger>(_ json: JSONValue, _ name: String) throws(JSONDecodingError) -> N {
    guard case .number(let text) = json else { throw JSONDecodingError.mismatch(name, json) }
    if let n = N(text, radix: 10) { return n }
    if text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }),
        let d = Double(text), let n = N(exactly: d)
    {
        return n
    }
    throw JSONDecodingError("number \(text) is out of range")
}

extension Int: JSONDecodable {
    package static var jsonTypeName: String { "Int" }
    package init(json: JSONValue) throws(JSONDecodingError) { self = try integer(json, "Int") }
}

extension Int32: JSONDecodable {
    package static var jsonTypeName: String { "Int32" }
    package init(json: JSONValue) throws(JSONDecodingError) { self = try integer(json, "Int32") }
}

extension Int64: JSONDecodable {
    package static var jsonTypeName: String { "Int64" }
    package init(json: JSONValue) throws(JSONDecodingError) { self = try integer(json, "Int64") }
}

extension UInt: JSONDecodable {
    package static var jsonTypeName: String { "UInt" }
    package init(json: JSONValue) throws(JSONDecodingError) { self = try integer(json, "UInt") }
}

extension UInt8: JSONDecodable {
    package static var jsonTypeName: String { "UInt8" }
    package init(json: JSONValue) throws(JSONDecodingError) { self = try integer(json, "UInt8") }
}

extension UInt16: JSONDecodable {
    package static var jsonTypeName: String { "UInt16" }
    package init(json: JSONValue) throws(JSONDecodingError) { self = try integer(json, "UInt16") }
}

extension UInt32: JSONDecodable {
    package static var jsonTypeName: String { "UInt32" }
    package init(json: JSONValue) throws(JSONDecodingError) { self = try integer(json, "UInt32") }
}

extension UInt64: JSONDecodable {
    package static var jsonTypeName: String { "UInt64" }
    package init(json: JSONValue) throws(JSONDecodingError) { self = try integer(json, "UInt64") }
}

extension Array: JSONDecodable where Element: JSONDecodable {
    package static var jsonTypeName: String { "array" }
    package init(json: JSONValue) throws(JSONDecodingError) {
        guard case .array(let items) = json else { throw JSONDecodingError.mismatch("array", json) }
        var result: [Element] = []
        result.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            do throws(JSONDecodingError) { result.append(try Element(json: item)) } catch { throw error.under(.index(i)) }
        }
        self = result
    }
}

extension Dictionary: JSONDecodable where Key == String, Value: JSONDecodable {
    package static var jsonTypeName: String { "object" }
    package init(json: JSONValue) throws(JSONDecodingError) {
        guard case .object(let o) = json else { throw JSONDecodingError.mismatch("object", json) }
        var result: [String: Value] = [:]
        result.reserveCapacity(o.keys.count)
        for (key, value) in zip(o.keys, o.values) {
            do throws(JSONDecodingError) { result[key] = try Value(json: value) } catch { throw error.under(.key(key)) }
        }
        self = result
    }
}
