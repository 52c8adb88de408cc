/// A strict RFC 8259 syntax scanner used only to explain why a document failed to
/// decode: `JSONDecoder` reports "not valid JSON" without a position.
struct JSONSyntaxCheck {
    /// Where and why a document is not valid JSON.
    struct Failure: Equatable {
        /// Byte offset of the offending byte (or the end of input).
        var offset: Int
        /// 1-based line.
        var line: Int
        /// 1-based column, counted in characters (UTF-8 sequences).
        var column: Int
        /// What is wrong.
        var reason: String
    }

    private enum Container { case object, array }
    private enum Expect { case value, valueOrEnd, key, keyOrEnd, colon, commaOrEnd }

    let bytes: [UInt8]
    private var i = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Returns the first syntax error, or `nil` when the document is valid JSON.
    static func firstError(in bytes: [UInt8]) -> Failure? {
        var scanner = JSONSyntaxCheck(bytes)
        guard let (offset, reason) = scanner.scan() else { return nil }
        let (line, column) = position(of: offset, in: bytes)
        return Failure(offset: offset, line: line, column: column, reason: reason)
    }

    /// The 1-based line and column of a byte offset.
    static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        var k = 0
        while k < offset && k < bytes.count {
            let b = bytes[k]
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
            k += 1
        }
        return (line, column)
    }

    private static func describe(_ b: UInt8) -> String {
        if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        let hex = String(b, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count < 2 ? "0" + hex : hex)
    }

    private mutating func skipSpace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }

    private func found() -> String { i < bytes.count ? "found " + Self.describe(bytes[i]) : "found end of input" }

    private mutating func scan() -> (Int, String)? {
        var stack: [Container] = []
        var expect = Expect.value
        while true {
            skipSpace()
            if i >= bytes.count {
                if stack.isEmpty && expect == .commaOrEnd { return nil }
                return (i, "unexpected end of input")
            }
            let b = bytes[i]
            switch expect {
            case .value, .valueOrEnd:
                if expect == .valueOrEnd && b == UInt8(ascii: "]") {
                    i += 1
                    stack.removeLast()
                    expect = .commaOrEnd
                    continue
                }
                switch b {
                case UInt8(ascii: "{"):
                    i += 1
                    stack.append(.object)
                    expect = .keyOrEnd
                case UInt8(ascii: "["):
                    i += 1
                    stack.append(.array)
                    expect = .valueOrEnd
                case UInt8(ascii: "\""):
                    if let e = scanString() { return e }
                    expect = .commaOrEnd
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    if let e = scanNumber() { return e }
                    expect = .commaOrEnd
                case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                    if let e = scanLiteral() { return e }
                    expect = .commaOrEnd
                default:
                    return (i, "expected a value, \(found())")
                }
            case .key, .keyOrEnd:
                if expect == .keyOrEnd && b == UInt8(ascii: "}") {
                    i += 1
                    stack.removeLast()
                    expect = .commaOrEnd
                    continue
                }
                guard b == UInt8(ascii: "\"") else { return (i, "expected a string key, \(found())") }
                if let e = scanString() { return e }
                expect = .colon
            case .colon:
                guard b == UInt8(ascii: ":") else { return (i, "expected ':' after object key, \(found())") }
                i += 1
                expect = .value
            case .commaOrEnd:
                guard let top = stack.last else {
                    return (i, "unexpected \(Self.describe(b)) after the top-level value")
                }
                let close = top == .object ? UInt8(ascii: "}") : UInt8(ascii: "]")
                if b == UInt8(ascii: ",") {
                    i += 1
                    expect = top == .object ? .key : .value
                } else if b == close {
                    i += 1
                    stack.removeLast()
                    expect = .commaOrEnd
                } else if top == .object {
                    return (i, "expected ',' or '}' after object member, \(found())")
                } else {
                    return (i, "expected ',' or ']' after array element, \(found())")
                }
            }
        }
    }

    private mutating func scanString() -> (Int, String)? {
        i += 1  // opening quote
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "\""):
                i += 1
                return nil
            case UInt8(ascii: "\\"):
                guard i + 1 < bytes.count else { return (bytes.count, "unexpected end of input in string") }
                let e = bytes[i + 1]
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    var k = i + 2
                    while k < i + 6 {
                        guard k < bytes.count else { return (bytes.count, "unexpected end of input in string") }
                        let h = bytes[k]
                        let isHex = (h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66)
                        if !isHex { return (k, "invalid \\u escape in string") }
                        k += 1
                    }
                    i = k
                default:
                    return (i, "invalid escape sequence \\\(Self.describe(e).filter { $0 != "'" }) in string")
                }
            default:
                if b < 0x20 { return (i, "control character \(Self.describe(b)) in string") }
                i += 1
            }
        }
        return (bytes.count, "unexpected end of input in string")
    }

    private mutating func digits() -> Int {
        var n = 0
        while i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 {
            i += 1
            n += 1
        }
        return n
    }

    private mutating func scanNumber() -> (Int, String)? {
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 else {
            return (i, "invalid number: expected a digit, \(found())")
        }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                return (i, "invalid number: leading zero")
            }
        } else {
            _ = digits()
        }
        if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
            i += 1
            if digits() == 0 { return (i, "invalid number: expected a digit after '.', \(found())") }
        }
        if i < bytes.count && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            if digits() == 0 { return (i, "invalid number: expected a digit in exponent, \(found())") }
        }
        return nil
    }

    private mutating func scanLiteral() -> (Int, String)? {
        let word: [UInt8]
        switch bytes[i] {
        case UInt8(ascii: "t"): word = Array("true".utf8)
        case UInt8(ascii: "f"): word = Array("false".utf8)
        default: word = Array("null".utf8)
        }
        let start = i
        for expected in word {
            guard i < bytes.count else { return (i, "unexpected end of input") }
            if bytes[i] != expected {
                let name = String(decoding: word, as: UTF8.self)
                return (start, "invalid literal, expected '\(name)'")
            }
            i += 1
        }
        return nil
    }
}
