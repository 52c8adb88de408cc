import BerthSpec
import Synchronization

/// The last state record this process parsed, with the bytes it came from, and the
/// config decoded from it once asked for. `exec` reads a container's record twice (for the
/// configuration its process starts from, then to launch it) and decodes its config
/// twice: the second time costs a comparison. A record parsed from the same bytes is the
/// same record, and any change to state.json (always replaced whole) shows in its bytes.
enum StateCache {
    private struct Entry {
        var path: String
        var bytes: [UInt8]
        var record: StateRecord
        var spec: Spec?
    }

    private static let last = Mutex<Entry?>(nil)

    /// The record parsed from exactly these bytes of `path`, if it is the last one.
    static func record(path: String, bytes: [UInt8]) -> StateRecord? {
        last.withLock { entry in
            guard let entry, entry.path == path, entry.bytes == bytes else { return nil }
            return entry.record
        }
    }

    static func remember(path: String, bytes: [UInt8], record: StateRecord) {
        last.withLock { $0 = Entry(path: path, bytes: bytes, record: record, spec: nil) }
    }

    /// The config decoded from `record`'s, when it is the last record's (same config
    /// document: a copy shares its storage, so the comparison is quick).
    static func spec(of record: StateRecord) -> Spec? {
        last.withLock { entry in
            guard let entry, let spec = entry.spec, entry.record.id == record.id, entry.record.configText == record.configText,
                entry.record.config == record.config
            else {
                return nil
            }
            return spec
        }
    }

    static func remember(spec: Spec, of record: StateRecord) {
        last.withLock { entry in
            guard entry != nil, entry!.record.id == record.id, entry!.record.configText == record.configText,
                entry!.record.config == record.config
            else { return }
            entry!.spec = spec
        }
    }
}
