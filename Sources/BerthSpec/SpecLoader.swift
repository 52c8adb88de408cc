import FoundationEssentials

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
        try decode(read(configPath(bundle: bundle)))
    }

    /// The bytes of the regular file at `path`; errors read like runc's:
    /// `open <path>: no such file or directory`.
    public static func read(_ path: String) throws(SpecError) -> Data {
        do {
            return try Data(contentsOf: URL(filePath: path))
        } catch {
            throw readError(error, path: path)
        }
    }

    /// Decodes a configuration from JSON bytes.
    public static func decode(_ data: Data) throws(SpecError) -> Spec {
        try decode(Spec.self, from: data, fileName: configFileName)
    }

    /// Decodes a configuration from JSON bytes.
    public static func decode(_ bytes: [UInt8]) throws(SpecError) -> Spec {
        try decode(Data(bytes))
    }

    /// Decodes any spec document (``Spec``, ``State``, ``Features``, ...) with errors
    /// prefixed by `fileName`.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, fileName: String) throws(SpecError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw decodingError(error, type: T.self, data: data, fileName: fileName)
        } catch {
            throw SpecError("\(fileName): \(error)")
        }
    }

    /// Turns a `DecodingError` into a message with a JSON path or a line and column.
    static func decodingError<T: Decodable>(
        _ error: DecodingError, type: T.Type, data: Data, fileName: String
    ) -> SpecError {
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
            if context.codingPath.isEmpty {
                let bytes = [UInt8](data)
                if let failure = JSONSyntaxCheck.firstError(in: bytes) {
                    return SpecError(
                        "\(fileName): invalid JSON at line \(failure.line), column \(failure.column): \(failure.reason)")
                }
                // Syntactically valid: JSONDecoder rejects numbers that do not fit their field
                // (negative, fractional or too large) this way, without a path. Find the path.
                if let diagnosis = DiagnosticDecoder.firstError(T.self, data: data) as? DecodingError {
                    if case .dataCorrupted(let c) = diagnosis, c.codingPath.isEmpty {
                    } else {
                        return decodingError(diagnosis, type: T.self, data: data, fileName: fileName)
                    }
                }
                return SpecError("\(fileName): a number does not fit its field (negative, fractional or too large)")
            }
            return at(context.codingPath, invalidValueReason(context.debugDescription))
        @unknown default:
            return SpecError("\(fileName): \(error)")
        }
    }

    private static func invalidValueReason(_ debug: String) -> String {
        // e.g. "Number -1 is not representable in Swift."
        if debug.hasPrefix("Number "), debug.hasSuffix(" is not representable in Swift.") {
            let number = debug.dropFirst("Number ".count).dropLast(" is not representable in Swift.".count)
            return "number \(number) is out of range"
        }
        var reason = debug
        if reason.hasSuffix(".") { reason.removeLast() }
        return "invalid value: \(reason)"
    }

    /// A short JSON-flavoured name for a Swift type: `object`, `array`, or the scalar type name.
    static func jsonTypeName(_ type: Any.Type) -> String {
        let name = String(describing: type)
        if name.hasPrefix("Dictionary<") || name.hasPrefix("[") && name.contains(":") { return "object" }
        if name.hasPrefix("Array<") || name.hasPrefix("[") { return "array" }
        return name
    }

    /// Turns a failed read into `open <path>: <reason>`.
    static func readError(_ error: any Error, path: String) -> SpecError {
        var code: Int32?
        if let posix = error as? POSIXError {
            code = posix.code.rawValue
        } else if let cocoa = error as? CocoaError {
            if let posix = cocoa.userInfo["NSUnderlyingError"] as? POSIXError {
                code = posix.code.rawValue
            } else if cocoa.code == .fileReadNoSuchFile {
                code = 2
            } else if cocoa.code == .fileReadNoPermission {
                code = 13
            }
        }
        if let code {
            let verb = code == 21 ? "read" : "open"  // EISDIR shows up on read, as in Go
            return SpecError("\(verb) \(path): \(errnoText(code))")
        }
        return SpecError("open \(path): \(error)")
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
