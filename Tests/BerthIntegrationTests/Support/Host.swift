// Host-side facts and small helpers shared by the integration tests.
//
// The tests talk to the runtime only through its command line, exactly as containerd,
// podman or CRI-O would. They run against whatever binary BERTH_BIN names, so the same
// suite can be validated against runc (BERTH_BIN=/usr/sbin/runc) before berth exists.
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An error that makes a test fail with a readable reason (never a skip).
struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum Host {
    /// The repository root, found from this file's location (symlinks resolved, so a
    /// scratch package that symlinks Tests/BerthIntegrationTests still finds the repo).
    static let repoRoot: String = {
        let file = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        // .../Tests/BerthIntegrationTests/Support/Host.swift
        return file.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }()

    static let env = ProcessInfo.processInfo.environment

    /// The runtime under test.
    static let binary: String = {
        if let b = env["BERTH_BIN"], !b.isEmpty { return b }
        return repoRoot + "/.build/release/berth"
    }()

    /// `berth`, or `runc` when the suite is validated against runc.
    static let binaryName: String = (binary as NSString).lastPathComponent

    /// True when the binary under test is berth itself: berth-only expectations
    /// (wording, init layer, ramfs fallback) are asserted only then.
    static let isBerth: Bool = binaryName == "berth"

    static let isCI: Bool = env["CI"] == "true"

    static var isRoot: Bool { geteuid() == 0 }

    /// The shared, read-only busybox rootfs (absolute path).
    static let rootfsPath: String = {
        if let r = env["BERTH_ROOTFS"], !r.isEmpty {
            return URL(fileURLWithPath: r).standardizedFileURL.path
        }
        return repoRoot + "/build/rootfs"
    }()

    private static let rootfsLock = NSLock()
    nonisolated(unsafe) private static var rootfsReady: Result<Void, TestSetupError>?

    /// Builds the rootfs once per test process when it is missing or lacks the mount
    /// points the tests use (/srv, /mnt): containers must never need to create those in
    /// the shared, read-only rootfs.
    static func ensureRootfs() throws {
        rootfsLock.lock()
        defer { rootfsLock.unlock() }
        if let r = rootfsReady { return try r.get() }
        let result: Result<Void, TestSetupError>
        let fm = FileManager.default
        if fm.isExecutableFile(atPath: rootfsPath + "/bin/busybox"),
            fm.fileExists(atPath: rootfsPath + "/srv"), fm.fileExists(atPath: rootfsPath + "/mnt")
        {
            result = .success(())
        } else {
            let script = repoRoot + "/scripts/mkrootfs.sh"
            let io = NSTemporaryDirectory() + "berth-mkrootfs-\(getpid())"
            try? FileManager.default.createDirectory(atPath: io, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: io) }
            let r = Runner.run("/bin/sh", [script, rootfsPath], ioDir: io, timeout: 120)
            if r.status == 0, FileManager.default.isExecutableFile(atPath: rootfsPath + "/bin/busybox") {
                result = .success(())
            } else {
                result = .failure(
                    TestSetupError(
                        "could not build the rootfs at \(rootfsPath) with \(script): status \(r.status), \(r.stderr)"))
            }
        }
        rootfsReady = result
        return try result.get()
    }

    /// Fails (throws) with the reason when the suite cannot run: never skips.
    static func checkPreconditions() throws {
        guard isRoot else {
            throw TestSetupError("integration tests must run as root (euid is \(geteuid())); run them with sudo")
        }
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw TestSetupError(
                "runtime binary \(binary) is missing or not executable: build it (swift build -c release) or set BERTH_BIN")
        }
        try ensureRootfs()
    }

    // MARK: - /proc helpers

    /// Builds a static executable from C `source` (for helpers that run inside a busybox
    /// container), with the first of cc, clang or gcc on PATH.
    static func compileStatic(_ source: String, to output: String, ioDir: String) throws {
        let compiler = ["cc", "clang", "gcc"].first { name in
            (env["PATH"] ?? "").split(separator: ":").contains {
                FileManager.default.isExecutableFile(atPath: "\($0)/\(name)")
            }
        }
        guard let cc = compiler else { throw TestSetupError("no C compiler (cc, clang or gcc) on PATH to build \(output)") }
        let r = Runner.run("/usr/bin/env", [cc, "-static", "-O2", "-o", output, source], ioDir: ioDir)
        guard r.status == 0 else { throw TestSetupError("building \(output) failed: \(r)") }
    }

    static func readFile(_ path: String) -> String? {
        guard let d = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: d, as: UTF8.self)
    }

    /// Writes a file (throws so a failing write fails the test).
    static func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func readLink(_ path: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: path)
    }

    /// `readlink /proc/<pid>/ns/<ns>`, e.g. `net:[4026531840]`.
    static func nsLink(pid: Int32, _ ns: String) -> String? {
        readLink("/proc/\(pid)/ns/\(ns)")
    }

    static func selfNS(_ ns: String) -> String? { readLink("/proc/self/ns/\(ns)") }

    /// Whether the process exists and is not a zombie.
    static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0, let stat = readFile("/proc/\(pid)/stat") else { return false }
        // The state is the first field after the ")" that closes comm.
        guard let close = stat.lastIndex(of: ")") else { return false }
        let rest = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces)
        return !(rest.hasPrefix("Z") || rest.hasPrefix("X"))
    }

    static func parentPid(_ pid: Int32) -> Int32? {
        guard let status = readFile("/proc/\(pid)/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("PPid:") {
            return Int32(line.dropFirst(5).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    static func allPids() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
    }

    /// Pids whose environment carries `token` (every runtime invocation of a test gets a
    /// unique token, so processes it forked without exec are found even under parallel tests).
    static func pidsCarrying(token: String) -> [Int32] {
        let needle = Array(token.utf8)
        return allPids().filter { pid in
            guard pid != getpid(), let d = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return d.split(separator: 0).contains { Array($0) == needle }
        }
    }

    /// Lines of the host's /proc/self/mountinfo that mention `fragment`.
    static func hostMounts(containing fragment: String) -> [String] {
        stableMountInfo().split(separator: "\n").map(String.init).filter { $0.contains(fragment) }
    }

    /// /proc/self/mountinfo read until two reads in a row agree: the kernel produces it a
    /// page at a time, so a line can be skipped while other tests mount and unmount.
    static func stableMountInfo() -> String {
        var last = readFile("/proc/self/mountinfo") ?? ""
        for _ in 0..<20 {
            let next = readFile("/proc/self/mountinfo") ?? ""
            if next == last { break }
            last = next
        }
        return last
    }

    /// The host's /proc/uptime first field.
    static func uptime() -> Double? {
        readFile("/proc/uptime").flatMap { Double($0.split(separator: " ").first ?? "") }
    }

    // MARK: - misc

    /// Polls `condition` until it holds or `timeout` seconds pass. Bounded waiting
    /// only: the tests never assert on how long something took.
    @discardableResult
    static func waitUntil(timeout: Double = 30, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if condition() { return true }
            if Date() > deadline { return false }
            usleep(10_000)
        }
    }

    /// RFC 3339 with fractional seconds (`2024-05-01T12:00:00.123456789Z` or with an offset).
    static func isRFC3339(_ s: String, requireFraction: Bool) -> Bool {
        let pattern =
            requireFraction
            ? #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,9}(Z|[+-]\d{2}:\d{2})$"#
            : #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"#
        return s.range(of: pattern, options: .regularExpression) != nil
    }

    static func parseJSON(_ s: String) -> Any? {
        guard let d = s.data(using: .utf8) else { return nil }
        return try? JSONSerialization.jsonObject(with: d, options: [.fragmentsAllowed])
    }

    static func shellQuote(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

extension String {
    /// Non-empty lines.
    var lines: [String] { split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
