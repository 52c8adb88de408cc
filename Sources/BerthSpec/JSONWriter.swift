/// Writes compact JSON, member by member: the state record, the state document hooks
/// and seccomp agents receive. No `Codable` (see `JSONValue` for why).
package struct JSONWriter {
    package private(set) var bytes: [UInt8] = []
    /// Per open object or array: whether the next member needs a comma first.
    private var needsComma: [Bool] = []

    package init() { bytes.reserveCapacity(512) }

    package mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    package mutating func endObject() {
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    package mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
    }

    package mutating func endArray() {
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    /// A member's key; its value follows.
    package mutating func key(_ key: String) {
        separate()
        quote(key)
        bytes.append(UInt8(ascii: ":"))
        if !needsComma.isEmpty { needsComma[needsComma.count - 1] = false }
    }

    package mutating func string(_ value: String) {
        separate()
        quote(value)
    }

    // Digits written in place, last first, then turned round: no String per number (the
    // generic `String(value)` was most of what writing a state record cost). Concrete
    // integer types, not a generic one: called from another module the generic stayed
    // unspecialised, and the first number of each type made the runtime look its `Words`
    // up by mangled name (a demangling per type).
    package mutating func number(_ value: UInt64) {
        separate()
        digits(value)
    }

    package mutating func number(_ value: Int64) {
        separate()
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        digits(value.magnitude)
    }

    package mutating func number(_ value: Int) {
        number(Int64(value))
    }

    private mutating func digits(_ value: UInt64) {
        let start = bytes.count
        var rest = value
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        bytes[start...].reverse()
    }

    package mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    package mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
    }

    /// A value already in JSON text (see `JSONValue.parse(_:leavingAsText:)`), as it is.
    package mutating func raw(_ text: [UInt8]) {
        separate()
        bytes.append(contentsOf: text)
    }

    /// A parsed value, written back compactly (numbers as they were written).
    package mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let text):
            separate()
            bytes.append(contentsOf: text.utf8)
        case .string(let s): string(s)
        case .array(let items):
            beginArray()
            for item in items { self.value(item) }
            endArray()
        case .object(let o):
            beginObject()
            for (k, v) in zip(o.keys, o.values) {
                key(k)
                self.value(v)
            }
            endObject()
        }
    }

    package mutating func field(_ name: String, _ value: String) {
        key(name)
        string(value)
    }

    package mutating func field(_ name: String, _ value: String?) {
        if let value { field(name, value) }
    }

    package mutating func field(_ name: String, _ value: Int64) {
        key(name)
        number(value)
    }

    package mutating func field(_ name: String, _ value: UInt64) {
        key(name)
        number(value)
    }

    package mutating func field(_ name: String, _ value: Int32) { field(name, Int64(value)) }

    package mutating func field(_ name: String, _ value: Int) { field(name, Int64(value)) }

    package mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bool(value)
    }

    package mutating func field(_ name: String, _ values: [String]) {
        key(name)
        beginArray()
        for v in values { string(v) }
        endArray()
    }

    /// A string dictionary, keys sorted (stable output).
    package mutating func field(_ name: String, _ values: [String: String]) {
        key(name)
        beginObject()
        for k in values.keys.sorted() {
            field(k, values[k]!)
        }
        endObject()
    }

    private mutating func separate() {
        guard let last = needsComma.last else { return }
        if last {
            bytes.append(UInt8(ascii: ","))
        } else {
            needsComma[needsComma.count - 1] = true
        }
    }

    private mutating func quote(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [
                    UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                    hex[Int(b >> 4)], hex[Int(b & 0xF)],
                ])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
