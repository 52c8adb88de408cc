import Glibc

/// Reads and decodes `config.json` (and other spec documents) with single-line errors.
public enum SpecLoader {
    /// The name of the configuration file inside a bundle.
    public static let configFileName = "config.json"

    /// The path of `config.json` inside `bundle`.
    public static func configPath(bundle: String) -> String {
        if bundle.isEmpty { return configFileName }
        return bundle.hasSuffix("/") ? bundle + configFileName : bundle + "/" + configFileName
    }

    /// Reads and decodes `<bundle>/config.json`. It does not validate; call ``Spec/validate()``.
    ///
    /// Errors read like runc's: `open <bundle>/config.json: no such file or directory`,
    /// `config.json: invalid JSON at line 3, column 5: ...`,
    /// `config.json: process.args[0]: expected String`.
    public static func load(bundle: String) throws(SpecError) -> Spec {
        try loadDocument(bundle: bundle).spec
    }

    /// Reads and decodes `<bundle>/config.json`, and returns the parsed document too (the
    /// state record keeps the document as the bundle had it) with its text (see
    /// `objectText`).
    package static func loadDocument(bundle: String) throws(SpecError) -> (spec: Spec, json: JSONValue, text: [UInt8]?) {
        let bytes = try read(configPath(bundle: bundle))
        let json = try parse(bytes, fileName: configFileName)
        return (try decode(Spec.self, from: json, fileName: configFileName), json, objectText(bytes))
    }

    /// The bytes of a parsed document without the JSON whitespace around them, when what
    /// is left is one object (anything else, a byte-order mark say, gives nil): text that
    /// can stand as a member's value in another document as it is, without writing the
    /// parsed tree out again.
    package static func objectText(_ bytes: [UInt8]) -> [UInt8]? {
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }),
            bytes[first] == UInt8(ascii: "{"), bytes[last] == UInt8(ascii: "}")
        else { return nil }
        return Array(bytes[first...last])
    }

    /// Decodes a configuration from JSON bytes.
    public static func decode(_ bytes: [UInt8]) throws(SpecError) -> Spec {
        try decode(Spec.self, from: bytes, fileName: configFileName)
    }

    /// Decodes a spec document with berth's own JSON decoding (see `JSONDecodable`),
    /// errors prefixed by `fileName`.
    package static func decode<T: JSONDecodable>(_ type: T.Type, from bytes: [UInt8], fileName: String) throws(SpecError) -> T {
        try decode(type, from: try parse(bytes, fileName: fileName), fileName: fileName)
    }

    /// Builds a spec type from an already parsed document.
    package static func decode<T: JSONDecodable>(_ type: T.Type, from json: JSONValue, fileName: String) throws(SpecError) -> T {
        do throws(JSONDecodingError) { return try T(json: json) } catch {
            throw SpecError("\(fileName): \(error.message)")
        }
    }

    /// Parses a JSON document, a syntax error worded with its line and column.
    package static func parse(_ bytes: [UInt8], fileName: String) throws(SpecError) -> JSONValue {
        do throws(JSONSyntaxError) { return try JSONValue.parse(bytes) } catch {
            throw SpecError("\(fileName): invalid JSON at line \(error.line), column \(error.column): \(error.reason)")
        }
    }

    /// Decodes any spec document (``Spec``, ``State``, ``Features``, ...) with errors
    /// prefixed by `fileName`.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], fileName: String) throws(SpecError) -> T {
        let json = try parse(bytes, fileName: fileName)
        if let fast = T.self as? any JSONDecodable.Type {
            return try decode(fast, from: json, fileName: fileName) as! T
        }
        do {
            return try T(from: TreeDecoder(value: json, codingPath: []))
        } catch let error as DecodingError {
            throw decodingError(error, fileName: fileName)
        } catch {
            throw SpecError("\(fileName): \(error)")
        }
    }

    /// Turns a `DecodingError` into a message with a JSON path.
    static func decodingError(_ error: DecodingError, fileName: String) -> SpecError {
        func at(_ path: [any CodingKey], _ what: String) -> SpecError {
            let p = jsonPath(path)
            return SpecError(p.isEmpty ? "\(fileName): \(what)" : "\(fileName): \(p): \(what)")
        }
        switch error {
        case .typeMismatch(let type, let context):
            return at(context.codingPath, "expected \(jsonTypeName(type))")
        case .valueNotFound(let type, let context):
            return at(context.codingPath, "expected \(jsonTypeName(type)), found null")
        case .keyNotFound(let key, let context):
            return at(context.codingPath + [key], "missing required field")
        case .dataCorrupted(let context):
            return at(context.codingPath, context.debugDescription)
        @unknown default:
            return SpecError("\(fileName): \(error)")
        }
    }

    /// A short JSON-flavoured name for a Swift type: `object`, `array`, or the scalar type name.
    static func jsonTypeName(_ type: Any.Type) -> String {
        let name = String(describing: type)
        if name.hasPrefix("Dictionary<") || name.hasPrefix("[") && name.contains(":") { return "object" }
        if name.hasPrefix("Array<") || name.hasPrefix("[") { return "array" }
        return name
    }

    /// The whole file; a failure is `open <path>: <reason>` (`read` for a directory, as
    /// in Go).
    public static func read(_ path: String) throws(SpecError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SpecError("open \(path): \(errnoText(errno))") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var st = stat()
        if fstat(fd, &st) == 0 && st.st_size > 0 { bytes.reserveCapacity(Int(st.st_size) + 1) }
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let verb = errno == EISDIR ? "read" : "open"
                throw SpecError("\(verb) \(path): \(errnoText(errno))")
            }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    /// Lower-case `strerror` text (Go style) for the errors a config read can meet.
    static func errnoText(_ code: Int32) -> String {
        switch code {
        case 1: return "operation not permitted"
        case 2: return "no such file or directory"
        case 5: return "input/output error"
        case 12: return "cannot allocate memory"
        case 13: return "permission denied"
        case 20: return "not a directory"
        case 21: return "is a directory"
        case 23: return "too many open files in system"
        case 24: return "too many open files"
        case 36: return "file name too long"
        case 40: return "too many levels of symbolic links"
        default: return "errno \(code)"
        }
    }
}
