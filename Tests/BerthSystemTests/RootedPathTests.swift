import BerthSystem
import Foundation
import Glibc
import Testing

/// Path creation confined to a root, on a temporary directory (no privileges needed).
@Suite struct RootedPathTests {
    func withRoot(_ body: (String, RootedPath) throws -> Void) throws {
        var template = Array("/tmp/berth-rooted-XXXXXX".utf8CString)
        let root = String(cString: try #require(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: root) }
        try body(root, try RootedPath(root: root))
    }

    @Test func missingParentsAreCreatedInsideTheRoot() throws {
        try withRoot { root, rooted in
            let fd = try rooted.makeDirectories("/a/b/c")
            close(fd)
            #expect(FileManager.default.fileExists(atPath: root + "/a/b/c"))
        }
    }

    @Test func aSymlinkToAMissingDirectoryHasItsTargetCreatedInsideTheRoot() throws {
        try withRoot { root, rooted in
            let fm = FileManager.default
            try fm.createSymbolicLink(atPath: root + "/abs", withDestinationPath: "/data")
            try fm.createDirectory(atPath: root + "/d", withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: root + "/d/rel", withDestinationPath: "../../../up/x")
            close(try rooted.makeDirectories("/abs/p/q"))
            close(try rooted.makeDirectories("/d/rel/r"))
            #expect(fm.fileExists(atPath: root + "/data/p/q"))
            // `..` stops at the root.
            #expect(fm.fileExists(atPath: root + "/up/x/r"))
            #expect(!fm.fileExists(atPath: "/data/p/q"))
        }
    }

    @Test func aSymlinkLoopFails() throws {
        try withRoot { root, rooted in
            try FileManager.default.createSymbolicLink(atPath: root + "/loop", withDestinationPath: "/loop")
            #expect(throws: SyscallError.self) { close(try rooted.makeDirectories("/loop/x")) }
        }
    }
}
