/// A parsed JSON document: what config.json, state.json and the other spec documents
/// are read into before their types are built from it (see `JSONDecodable`).
///
/// berth parses JSON itself rather than through Foundation's `JSONDecoder`: that decoder,
/// and `Codable` decoding in general, instantiates generic container types at run time,
/// and each first instantiation scans every protocol conformance of the static binary
/// (about 100,000 instructions each, some twenty per config.json). Numbers keep their
/// literal text, so a value that does not fit its field is reported as written.
package enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number, as written in the document.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// Parses a complete document (RFC 8259, UTF-8). A syntax error is reported with its
    /// line and column, as `JSONSyntaxCheck` words it.
    package static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        let result: Result<JSONValue, JSONParser.Failure> = bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(buffer)
            do throws(JSONParser.Failure) {
                let value = try parser.document()
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let value):
            return value
        case .failure(let failure):
            // The syntax checker words errors (and finds their position) as berth always
            // has; what it accepts but the parser does not (invalid UTF-8, nesting deeper
            // than the parser follows) is explained by the parser.
            if let f = JSONSyntaxCheck.firstError(in: bytes) {
                throw JSONSyntaxError(line: f.line, column: f.column, reason: f.reason)
            }
            let (line, column) = JSONSyntaxCheck.position(of: failure.offset, in: bytes)
            throw JSONSyntaxError(line: line, column: column, reason: failure.reason)
        }
    }
}

/// A top-level member left unparsed by `JSONValue.parse(_:leavingAsText:)`: its key and
/// its JSON text.
package struct JSONMemberText: Sendable {
    package var key: String
    package var text: [UInt8]
}

extension JSONValue {
    /// Parses a document whose top level is an object, leaving the members `leaveAsText`
    /// names unparsed: each stands as `null` in the value and comes back as its text,
    /// found by following strings and brackets (a value cut short fails; what is inside is
    /// checked when that text is parsed). For large members that only some readers need:
    /// state.json's config is read by `exec`, not by `state`, `kill` or `delete`.
    ///
    /// No generic type beyond those of `parse(_:)` is involved (no tuples, ranges or
    /// `Result`): each would cost a runtime metadata instantiation, some a conformance scan.
    package static func parse(
        _ bytes: [UInt8], leavingAsText leaveAsText: @escaping (String) -> Bool
    ) throws(JSONSyntaxError) -> JSONValue {
        var texts: [JSONMemberText] = []
        return try parse(bytes, leavingAsText: leaveAsText, texts: &texts)
    }

    /// The same, with the texts left unparsed.
    package static func parse(
        _ bytes: [UInt8], leavingAsText leaveAsText: @escaping (String) -> Bool, texts: inout [JSONMemberText]
    ) throws(JSONSyntaxError) -> JSONValue {
        var value = JSONValue.null
        var failure: JSONParser.Failure?
        var found: [JSONMemberText] = []
        bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(buffer)
            parser.leaveAsText = leaveAsText
            do throws(JSONParser.Failure) {
                value = try parser.document()
                for t in parser.texts { found.append(JSONMemberText(key: t.key, text: Array(buffer[t.start..<t.end]))) }
            } catch {
                failure = error
            }
        }
        if let failure {
            let (line, column) = JSONSyntaxCheck.position(of: failure.offset, in: bytes)
            throw JSONSyntaxError(line: line, column: column, reason: failure.reason)
        }
        texts = found
        return value
    }
}

/// The members of a JSON object, in document order.
package struct JSONObject: Sendable, Equatable {
    package var keys: [String] = []
    package var values: [JSONValue] = []

    package init() {}

    /// The value of `key`; with duplicate keys, the last one (as Go's encoding/json).
    package subscript(key: String) -> JSONValue? {
        var i = keys.count - 1
        while i >= 0 {
            if keys[i] == key { return values[i] }
            i -= 1
        }
        return nil
    }

    package mutating func append(_ key: String, _ value: JSONValue) {
        keys.append(key)
        values.append(value)
    }
}

/// Why a document is not valid JSON, and where.
package struct JSONSyntaxError: Error, Equatable {
    package var line: Int
    package var column: Int
    package var reason: String
}

/// A recursive-descent JSON parser over a byte buffer.
struct JSONParser {
    struct Failure: Error {
        var offset: Int
        var reason: String
    }

    /// Deeper documents are refused rather than risking the stack.
    static let maxDepth = 512

    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0
    var depth = 0
    /// Top-level members to leave as text (see `JSONValue.parse(_:leavingAsText:)`), and
    /// where their texts are.
    var leaveAsText: ((String) -> Bool)? = nil
    var texts: [MemberText] = []

    struct MemberText {
        var key: String
        var start: Int
        var end: Int
    }

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func document() throws(Failure) -> JSONValue {
        let value = try self.value()
        skipSpace()
        guard i == bytes.count else { throw Failure(offset: i, reason: "unexpected data after the top-level value") }
        return value
    }

    private mutating func skipSpace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }

    private func fail(_ reason: String) -> Failure { Failure(offset: i, reason: reason) }

    private mutating func value() throws(Failure) -> JSONValue {
        skipSpace()
        guard i < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return .object(try object())
        case UInt8(ascii: "["): return .array(try array())
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default:
            throw fail("expected a value")
        }
    }

    /// Moves past one value without building it. An object or array is followed by its
    /// strings (escapes included) and brackets to its end; a scalar is parsed.
    private mutating func skipValue() throws(Failure) {
        guard i < bytes.count else { throw fail("unexpected end of input") }
        guard bytes[i] == UInt8(ascii: "{") || bytes[i] == UInt8(ascii: "[") else {
            _ = try value()
            return
        }
        var level = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\""):
                i += 1
                while i < bytes.count && bytes[i] != UInt8(ascii: "\"") {
                    i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard i < bytes.count else { throw fail("unexpected end of input") }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                level += 1
                if level > Self.maxDepth { throw fail("nesting deeper than \(Self.maxDepth) levels") }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                level -= 1
                if level == 0 {
                    i += 1
                    return
                }
            default:
                break
            }
            i += 1
        }
        throw fail("unexpected end of input")
    }

    private mutating func enter() throws(Failure) {
        depth += 1
        if depth > Self.maxDepth { throw fail("nesting deeper than \(Self.maxDepth) levels") }
    }

    private mutating func object() throws(Failure) -> JSONObject {
        try enter()
        i += 1
        var result = JSONObject()
        skipSpace()
        if i < bytes.count && bytes[i] == UInt8(ascii: "}") {
            i += 1
            depth -= 1
            return result
        }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try string()
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            i += 1
            if depth == 1, let leaveAsText, leaveAsText(key) {
                skipSpace()
                let start = i
                try skipValue()
                texts.append(MemberText(key: key, start: start, end: i))
                result.append(key, .null)
            } else {
                result.append(key, try value())
            }
            skipSpace()
            guard i < bytes.count else { throw fail("unexpected end of input") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
            } else if bytes[i] == UInt8(ascii: "}") {
                i += 1
                depth -= 1
                return result
            } else {
                throw fail("expected ',' or '}'")
            }
        }
    }

    private mutating func array() throws(Failure) -> [JSONValue] {
        try enter()
        i += 1
        var result: [JSONValue] = []
        skipSpace()
        if i < bytes.count && bytes[i] == UInt8(ascii: "]") {
            i += 1
            depth -= 1
            return result
        }
        while true {
            result.append(try value())
            skipSpace()
            guard i < bytes.count else { throw fail("unexpected end of input") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
            } else if bytes[i] == UInt8(ascii: "]") {
                i += 1
                depth -= 1
                return result
            } else {
                throw fail("expected ',' or ']'")
            }
        }
    }

    private mutating func string() throws(Failure) -> String {
        i += 1  // opening quote
        let start = i
        // The common case: no escapes, the bytes are the string.
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                let s = try Self.text(UnsafeBufferPointer(rebasing: bytes[start..<i]), at: start)
                i += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw fail("control character in string") }
            i += 1
        }
        var out = Array(UnsafeBufferPointer(rebasing: bytes[start..<i]))
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "\""):
                i += 1
                return try out.withUnsafeBufferPointer { (buffer) throws(Failure) -> String in try Self.text(buffer, at: start) }
            case UInt8(ascii: "\\"):
                guard i + 1 < bytes.count else { throw fail("unexpected end of input in string") }
                let e = bytes[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        // A high surrogate: a low one must follow, else U+FFFD (as Go).
                        if i + 1 < bytes.count && bytes[i] == UInt8(ascii: "\\") && bytes[i + 1] == UInt8(ascii: "u") {
                            let save = i
                            i += 2
                            let low = try hex4()
                            if low >= 0xDC00 && low < 0xE000 {
                                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                i = save
                                scalar = 0xFFFD
                            }
                        } else {
                            scalar = 0xFFFD
                        }
                    } else if scalar >= 0xDC00 && scalar < 0xE000 {
                        scalar = 0xFFFD
                    }
                    out.append(contentsOf: Unicode.UTF8.encode(Unicode.Scalar(scalar)!)!)
                default:
                    i -= 1
                    throw fail("invalid escape sequence in string")
                }
            default:
                if b < 0x20 { throw fail("control character in string") }
                out.append(b)
                i += 1
            }
        }
        throw fail("unexpected end of input in string")
    }

    /// A string's bytes as a String; ASCII (nearly every string of a config) needs no
    /// validation.
    private static func text(_ utf8: UnsafeBufferPointer<UInt8>, at offset: Int) throws(Failure) -> String {
        var ascii = true
        for b in utf8 where b >= 0x80 {
            ascii = false
            break
        }
        if ascii { return String(decoding: utf8, as: UTF8.self) }
        guard let s = String(validating: utf8, as: UTF8.self) else {
            throw Failure(offset: offset, reason: "invalid UTF-8 in string")
        }
        return s
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard i < bytes.count else { throw fail("unexpected end of input in string") }
            let h = bytes[i]
            let d: UInt8
            switch h {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = h - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = h - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = h - UInt8(ascii: "A") + 10
            default: throw fail("invalid \\u escape in string")
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }

    private mutating func digits() -> Int {
        let start = i
        while i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
        return i - start
    }

    private mutating func number() throws(Failure) -> String {
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 else { throw fail("invalid number") }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { throw fail("invalid number: leading zero") }
        } else {
            _ = digits()
        }
        if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
            i += 1
            if digits() == 0 { throw fail("invalid number") }
        }
        if i < bytes.count && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            if digits() == 0 { throw fail("invalid number") }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard i + count <= bytes.count else { throw fail("unexpected end of input") }
        let w = word.utf8Start
        for k in 0..<count where bytes[i + k] != w[k] { throw fail("invalid literal") }
        i += count
    }
}
