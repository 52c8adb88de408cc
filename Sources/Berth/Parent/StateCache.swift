import BerthSpec
import Glibc

/// The last state record this process parsed or wrote, with its bytes, and the config
/// decoded from it once asked for. `exec` reads a container's record twice (for the
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

    /// A pthread mutex, not Synchronization's `Mutex`: that one asks the kernel for the
    /// thread id (gettid) on every lock, two system calls per command for a lock that a
    /// single-threaded berth never contends.
    private final class Guarded: @unchecked Sendable {
        /// Allocated once: a pthread mutex must not move.
        private let mutex: UnsafeMutablePointer<pthread_mutex_t>
        private var entry: Entry?

        init() {
            mutex = .allocate(capacity: 1)
            pthread_mutex_init(mutex, nil)
        }

        func withLock<T>(_ body: (inout Entry?) -> T) -> T {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return body(&entry)
        }
    }

    private static let last = Guarded()

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
