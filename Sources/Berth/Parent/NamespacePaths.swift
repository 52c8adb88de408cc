import BerthSpec

/// The namespaces a container uses, by kind name (`pid`, `network`, ...): the init's
/// `/proc/<pid>/ns/*` paths or the joined ones, as the state record keeps them.
///
/// A list, not a `[String: String]`: decoding a dictionary would cost every `state`,
/// `start`, `kill` and `delete` a runtime `String: Hashable` conformance look-up (a scan
/// of every conformance record in the binary) for at most eight entries.
struct NamespacePaths: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    private var kinds: [String] = []
    private var paths: [String] = []

    init() {}

    init(dictionaryLiteral elements: (String, String)...) {
        for (kind, path) in elements { self[kind] = path }
    }

    /// The same kinds with the same paths, in any order.
    static func == (l: NamespacePaths, r: NamespacePaths) -> Bool {
        l.kinds.count == r.kinds.count && zip(l.kinds, l.paths).allSatisfy { r[$0.0] == $0.1 }
    }

    subscript(kind: String) -> String? {
        get { kinds.firstIndex(of: kind).map { paths[$0] } }
        set {
            if let i = kinds.firstIndex(of: kind) {
                kinds.remove(at: i)
                paths.remove(at: i)
            }
            if let newValue {
                kinds.append(kind)
                paths.append(newValue)
            }
        }
    }

    /// The entries with their kinds sorted (the record's stable order).
    var sorted: [(kind: String, path: String)] {
        zip(kinds, paths).map { (kind: $0.0, path: $0.1) }.sorted { $0.kind < $1.kind }
    }
}

extension NamespacePaths: JSONDecodable {
    init(json: JSONValue) throws(JSONDecodingError) {
        guard case .object(let o) = json else { throw JSONDecodingError.mismatch("object", json) }
        for (key, value) in zip(o.keys, o.values) {
            do throws(JSONDecodingError) { self[key] = try String(json: value) } catch { throw error.under(.key(key)) }
        }
    }
}

extension JSONWriter {
    /// The paths as an object, kinds sorted.
    mutating func field(_ name: String, _ value: NamespacePaths) {
        key(name)
        beginObject()
        for entry in value.sorted { field(entry.kind, entry.path) }
        endObject()
    }
}
