import BerthSpec
import Foundation
import Testing

@testable import Berth

/// The state root on disk, against a temporary directory: one locked directory per
/// container, state.json written atomically, partial records, listing and removal.
@Suite struct StateStoreTests {
    static func makeStore() throws -> (StateStore, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("berth-store-\(UInt32.random(in: 0...UInt32.max))")
        return (StateStore(root: dir.appendingPathComponent("root").path), dir)
    }

    static func record(_ id: String) throws -> StateRecord {
        StateRecord(
            ociVersion: "1.2.0", id: id, pid: 1, startTime: 1, bundle: "/b", rootfs: "/b/rootfs",
            created: "2026-01-01T00:00:00Z", owner: "", namespacePaths: [:], cgroupPaths: [],
            cgroupCreated: [], cgroupUnified: true,
            config: try JSONValue.parse(Array(#"{"ociVersion":"1.2.0"}"#.utf8)), notifySocket: nil)
    }

    @Test func directoryIsMadeLockedAndOnlyOnce() throws {
        let (store, dir) = try Self.makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (path, lock) = try store.makeDirectory("c1")
        defer { close(lock) }
        #expect(path == store.root + "/c1")
        #expect(store.isLocked("c1"))
        var st = stat()
        #expect(stat(store.root, &st) == 0 && st.st_mode & 0o777 == 0o711)
        do {
            _ = try store.makeDirectory("c1")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .alreadyExists)
            #expect(error.message == "container with given ID already exists")
        }
    }

    @Test func partialUntilSavedThenComplete() throws {
        let (store, dir) = try Self.makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (_, lock) = try store.makeDirectory("c2")
        close(lock)
        guard case .partial = try store.entry("c2") else { Issue.record("expected a partial entry"); return }
        // A create in progress (or dead) is not a running container.
        #expect(throws: BerthError.containerNotRunning) { try store.load("c2") }
        try store.save(try Self.record("c2"))
        guard case .complete(let record) = try store.entry("c2") else { Issue.record("expected a record"); return }
        #expect(record.id == "c2")
        #expect(!FileManager.default.fileExists(atPath: store.directory("c2") + "/state.json.tmp"))
        let mode = try FileManager.default.attributesOfItem(atPath: store.directory("c2") + "/state.json")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // A record cut short counts as partial, not as an error.
        try Data("{\"id\":".utf8).write(to: URL(fileURLWithPath: store.directory("c2") + "/state.json"))
        guard case .partial = try store.entry("c2") else { Issue.record("expected a partial entry"); return }
    }

    /// A second read of the same bytes reuses the parsed record and the decoded config;
    /// a record saved in between is read anew, and so is its config.
    @Test func rereadsAreCachedUntilTheFileChanges() throws {
        let (store, dir) = try Self.makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (_, lock) = try store.makeDirectory("c4")
        close(lock)
        var first = try Self.record("c4")
        try store.save(first)
        #expect(try store.load("c4").pid == 1)
        #expect(try store.load("c4").spec().ociVersion == "1.2.0")
        first.pid = 2
        first.config = try JSONValue.parse(Array(#"{"ociVersion":"1.1.0"}"#.utf8))
        try store.save(first)
        let again = try store.load("c4")
        #expect(again.pid == 2)
        #expect(try again.spec().ociVersion == "1.1.0")
        #expect(try store.load("c4").spec().ociVersion == "1.1.0")
    }

    @Test func listsValidIdsSortedAndRemoves() throws {
        let (store, dir) = try Self.makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try store.ids() == [])
        do {
            _ = try store.ids(rootMustExist: true)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .notFound)
            #expect(error.message == "open \(store.root): no such file or directory")
        }
        for id in ["b", "a", "c"] {
            let (_, lock) = try store.makeDirectory(id)
            close(lock)
            try store.save(try Self.record(id))
        }
        try FileManager.default.createDirectory(atPath: store.root + "/.hidden", withIntermediateDirectories: true)
        #expect(try store.ids() == ["a", "b", "c"])
        try Data().write(to: URL(fileURLWithPath: store.directory("b") + "/leftover"))
        try store.remove("b")
        #expect(!FileManager.default.fileExists(atPath: store.directory("b")))
        #expect(try store.ids() == ["a", "c"])
        #expect(throws: BerthError.containerNotExist) { try store.entry("b") }
        try store.remove("b")
    }
}
