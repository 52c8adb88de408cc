import BerthSpec

/// Minimal JSON output with a fixed key order, matching what runc prints.
enum JSONText {
    static func quote(_ s: String) -> String {
        // The usual string needs no escape: copied whole, not scalar by scalar.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x3C || $0 == 0x3E || $0 == 0x26 }) {
            return "\"" + s + "\""
        }
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// An object from ordered key/raw-JSON-value pairs; `indent` nil for one line.
    static func object(_ fields: [(String, String)], indent: String? = nil, level: Int = 0) -> String {
        guard let indent else {
            return "{" + fields.map { quote($0.0) + ":" + $0.1 }.joinedPlain(separator: ",") + "}"
        }
        let pad = String(repeating: indent, count: level + 1)
        let end = String(repeating: indent, count: level)
        return "{\n" + fields.map { pad + quote($0.0) + ": " + $0.1 }.joinedPlain(separator: ",\n") + "\n" + end + "}"
    }
}
