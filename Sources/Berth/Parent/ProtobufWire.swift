/// The few parts of the protobuf wire format that CRIU's RPC messages use, written by
/// hand: varints (int32, uint32, bool, enums), length-delimited fields (strings and
/// nested messages), repeated fields as repeated keys. Unknown fields are skipped on
/// decoding, so a newer CRIU's extra answer fields do no harm.
///
/// Why not swift-protobuf: berth needs five messages of one schema that has been stable
/// for years (`criu/images/rpc.proto`); the generated code and its runtime would add a
/// code-generation plugin to the build (slow, and a second toolchain step) and several
/// megabytes to the static binary for what fits in this file.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    /// Wire types: 0 varint, 2 length-delimited.
    private static let varintType: UInt64 = 0
    private static let lengthDelimitedType: UInt64 = 2

    private mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func key(_ field: Int, _ wireType: UInt64) {
        appendVarint(UInt64(field) << 3 | wireType)
    }

    /// An int32 field; negative values take ten bytes, as protobuf sign-extends them.
    mutating func int32(_ field: Int, _ value: Int32) {
        key(field, Self.varintType)
        appendVarint(UInt64(bitPattern: Int64(value)))
    }

    mutating func uint32(_ field: Int, _ value: UInt32) {
        key(field, Self.varintType)
        appendVarint(UInt64(value))
    }

    mutating func bool(_ field: Int, _ value: Bool) {
        key(field, Self.varintType)
        appendVarint(value ? 1 : 0)
    }

    mutating func string(_ field: Int, _ value: String) {
        bytesField(field, Array(value.utf8))
    }

    mutating func message(_ field: Int, _ value: ProtobufWriter) {
        bytesField(field, value.bytes)
    }

    private mutating func bytesField(_ field: Int, _ value: [UInt8]) {
        key(field, Self.lengthDelimitedType)
        appendVarint(UInt64(value.count))
        bytes += value
    }
}

/// A decoded message: each field number with its values in order (varints as
/// UInt64, length-delimited fields as bytes).
struct ProtobufMessage {
    enum Value {
        case varint(UInt64)
        case bytes([UInt8])
    }

    private(set) var fields: [Int: [Value]] = [:]

    struct DecodeError: Error {}

    init(_ data: some Collection<UInt8>) throws(DecodeError) {
        let b = Array(data)
        var i = 0
        func varint() throws(DecodeError) -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < b.count, shift < 64 else { throw DecodeError() }
                let byte = b[i]
                i += 1
                result |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
        }
        while i < b.count {
            let key = try varint()
            let field = Int(key >> 3)
            switch key & 7 {
            case 0:
                fields[field, default: []].append(.varint(try varint()))
            case 1:
                guard i + 8 <= b.count else { throw DecodeError() }
                i += 8
            case 2:
                let length = try varint()
                guard length <= UInt64(b.count - i) else { throw DecodeError() }
                fields[field, default: []].append(.bytes(Array(b[i..<(i + Int(length))])))
                i += Int(length)
            case 5:
                guard i + 4 <= b.count else { throw DecodeError() }
                i += 4
            default:
                throw DecodeError()
            }
        }
    }

    func varint(_ field: Int) -> UInt64? {
        for case .varint(let v) in (fields[field] ?? []).reversed() { return v }
        return nil
    }

    func int32(_ field: Int) -> Int32? {
        varint(field).map { Int32(truncatingIfNeeded: $0) }
    }

    func bool(_ field: Int) -> Bool? { varint(field).map { $0 != 0 } }

    func string(_ field: Int) -> String? {
        for case .bytes(let v) in (fields[field] ?? []).reversed() { return String(decoding: v, as: UTF8.self) }
        return nil
    }

    func message(_ field: Int) -> ProtobufMessage? {
        for case .bytes(let v) in (fields[field] ?? []).reversed() { return try? ProtobufMessage(v) }
        return nil
    }
}
