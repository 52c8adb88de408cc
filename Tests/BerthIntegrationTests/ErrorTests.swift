// Errors: one line on stderr, exit status 1, runc's wording where callers match on it,
// and nothing left behind (no state dir, no process) after a failed create.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// One line on stderr, status 1.
func expectError(_ r: ProcResult, contains fragments: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status == 1, "expected exit status 1: \(r)", sourceLocation: sourceLocation)
    #expect(!r.timedOut, "\(r)", sourceLocation: sourceLocation)
    #expect(r.stderr.lines.count == 1, "expected exactly one line on stderr: \(r)", sourceLocation: sourceLocation)
    for f in fragments {
        #expect(r.stderr.contains(f), "stderr should contain \(f.debugDescription): \(r)", sourceLocation: sourceLocation)
    }
}

extension Sandbox {
    /// After a failed create: no state dir for `id`, list empty, no process left.
    func expectNothingLeft(_ id: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(
            !FileManager.default.fileExists(atPath: root + "/" + id),
            "state dir left behind: \(stateEntries())", sourceLocation: sourceLocation)
        let l = berth(["list", "-q"])
        #expect(l.status == 0 && l.stdout.trimmed.isEmpty, "list not empty: \(l)", sourceLocation: sourceLocation)
        #expect(
            Host.waitUntil(timeout: 10) { self.leftoverProcesses().isEmpty },
            "processes left: \(leftoverProcesses())", sourceLocation: sourceLocation)
        #expect(
            Host.hostMounts(containing: dir).isEmpty, "mounts left: \(Host.hostMounts(containing: dir))",
            sourceLocation: sourceLocation)
    }

    /// create with the default bundle, expecting failure with these fragments.
    func expectCreateFails(_ fragments: [String], id: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try bundle.write()
        let id = id ?? newID("bad")
        let r = berth(["create", "--bundle", bundle.path, id])
        expectError(r, contains: fragments, sourceLocation: sourceLocation)
        if !id.isEmpty && !id.contains("/") { expectNothingLeft(id, sourceLocation: sourceLocation) }
        #expect(stateEntries().isEmpty, "state root not empty: \(stateEntries())", sourceLocation: sourceLocation)
    }
}

@Suite("Errors")
struct ErrorTests {
    @Test("state of a missing container: 'container does not exist'")
    func stateMissing() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let r = s.berth(["state", "nosuch"])
        expectError(r, contains: ["container does not exist"])
        #expect(r.stdout.isEmpty)
        for cmd in [["start", "nosuch"], ["kill", "nosuch"], ["delete", "nosuch"]] {
            expectError(s.berth(cmd), contains: ["container does not exist"])
        }
    }

    @Test("create twice with the same id: 'container with given ID already exists'")
    func duplicateID() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let id = s.newID()
        let pidFile = s.dir + "/pid"
        #expect(s.berth(["create", "--bundle", s.bundle.path, "--pid-file", pidFile, id]).status == 0)
        let pid = Int32(Host.readFile(pidFile) ?? "") ?? -1
        let r = s.berth(["create", "--bundle", s.bundle.path, id])
        expectError(r, contains: ["container with given ID already exists"])
        // The first container is untouched.
        #expect(s.status(id) == "created")
        #expect(Host.isAlive(pid))
        #expect(s.state(id)?["pid"] as? Int == Int(pid))
        #expect(s.leftoverProcesses(excluding: [pid]).isEmpty)
        let r2 = s.berth(["run", "--detach", "--bundle", s.bundle.path, id])
        expectError(r2, contains: ["container with given ID already exists"])
    }

    @Test("delete of a running container without --force is refused")
    func deleteRunning() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let id = s.newID()
        #expect(s.berth(["run", "--detach", "--bundle", s.bundle.path, id]).status == 0)
        expectError(s.berth(["delete", id]), contains: ["cannot delete container \(id) that is not stopped: running"])
        #expect(s.status(id) == "running")
        #expect(s.berth(["delete", "--force", id]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: s.root + "/" + id))
    }

    @Test("kill of a stopped container: 'container not running'")
    func killStopped() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["true"]
        try s.bundle.write()
        let id = s.newID()
        #expect(s.berth(["run", "--detach", "--bundle", s.bundle.path, id]).status == 0)
        #expect(s.waitForStatus(id, "stopped"))
        expectError(s.berth(["kill", id]), contains: ["container not running"])
        expectError(s.berth(["kill", id, "KILL"]), contains: ["container not running"])
        #expect(s.berth(["delete", id]).status == 0)
    }

    @Test("delete --force of a missing container succeeds; plain delete fails")
    func deleteMissing() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let f = s.berth(["delete", "--force", "nosuch"])
        #expect(f.status == 0, "\(f)")
        expectError(s.berth(["delete", "nosuch"]), contains: ["container does not exist"])
    }

    @Test("missing absolute binary fails at create, naming the path")
    func missingAbsoluteBinary() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["/nope"]
        try s.expectCreateFails(["/nope", "no such file or directory"])
    }

    @Test("binary not found in PATH fails at create")
    func missingPathBinary() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["nope"]
        try s.expectCreateFails(["nope", "executable file not found in $PATH"])
    }

    @Test("non-executable file fails at create with permission denied")
    func notExecutable() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["/etc/passwd"]
        try s.expectCreateFails(["/etc/passwd", "permission denied"])
    }

    @Test("run with a missing binary fails too and leaves nothing")
    func runMissingBinary() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["/nope"]
        try s.bundle.write()
        let id = s.newID()
        let r = s.berth(["run", "--bundle", s.bundle.path, id])
        #expect(r.status != 0, "\(r)")
        #expect(r.stderr.contains("/nope"), "\(r)")
        s.expectNothingLeft(id)
    }

    @Test("malformed config.json")
    func malformedJSON() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID("bad")
        try Data("{\n  \"ociVersion\": \"1.0.2\",\n  \"process\": {\n".utf8).write(to: URL(fileURLWithPath: s.bundle.configPath))
        let r = s.berth(["create", "--bundle", s.bundle.path, id])
        expectError(r)
        if Host.isBerth {
            // berth names the file and where the parser stopped.
            #expect(r.stderr.contains("config.json"), "\(r)")
            #expect(r.stderr.lowercased().contains("line"), "\(r)")
            #expect(r.stderr.lowercased().contains("column"), "\(r)")
        }
        s.expectNothingLeft(id)
    }

    @Test("wrong JSON type in config.json")
    func wrongType() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = s.newID("bad")
        try Data(#"{"ociVersion":"1.0.2","process":{"args":[1],"cwd":"/"},"root":{"path":"/"}}"#.utf8)
            .write(to: URL(fileURLWithPath: s.bundle.configPath))
        let r = s.berth(["create", "--bundle", s.bundle.path, id])
        expectError(r)
        if Host.isBerth { #expect(r.stderr.contains("process.args"), "\(r)") }
        s.expectNothingLeft(id)
    }

    @Test("missing config.json")
    func missingConfig() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        try FileManager.default.removeItem(atPath: s.bundle.configPath)
        let id = s.newID("bad")
        let r = s.berth(["create", "--bundle", s.bundle.path, id])
        expectError(r, contains: ["config.json"])
        s.expectNothingLeft(id)
    }

    @Test("missing rootfs")
    func missingRootfs() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let missing = s.dir + "/no-such-rootfs"
        s.bundle.config["root.path"] = missing
        s.bundle.config.args = ["true"]
        try s.expectCreateFails(Host.isBerth ? ["root.path: \(missing) does not exist"] : [missing])
    }

    @Test("invalid container ids are rejected", arguments: ["../x", "a/b", ""])
    func badID(_ id: String) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["true"]
        try s.expectCreateFails([], id: id)
        #expect(!FileManager.default.fileExists(atPath: s.dir + "/x"), "../x escaped the state root")
        #expect(!FileManager.default.fileExists(atPath: s.root + "/a"))
    }

    @Test("unknown namespace type")
    func unknownNamespace() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["true"]
        s.bundle.config.setNamespace("foo")
        let index = s.bundle.config.namespaces.count - 1
        try s.expectCreateFails(Host.isBerth ? ["linux.namespaces[\(index)].type: unknown namespace \"foo\""] : ["foo"])
    }

    @Test("empty process.args")
    func emptyArgs() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = []
        try s.expectCreateFails(Host.isBerth ? ["process.args: must not be empty"] : ["args must not be empty"])
    }

    @Test("terminal without a console socket is an error for create and run --detach")
    func terminalWithoutConsoleSocket() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["true"]
        s.bundle.config["process.terminal"] = true
        try s.expectCreateFails(["console socket"])
        let id = s.newID()
        expectError(s.berth(["run", "--detach", "--bundle", s.bundle.path, id]), contains: ["console socket"])
        s.expectNothingLeft(id)
    }

    @Test("start of a created container whose init was killed reports an error")
    func startAfterInitKilled() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let id = s.newID()
        let pidFile = s.dir + "/pid"
        #expect(s.berth(["create", "--bundle", s.bundle.path, "--pid-file", pidFile, id]).status == 0)
        let pid = try #require(Int32(Host.readFile(pidFile) ?? ""))
        #expect(kill(pid, SIGKILL) == 0)
        #expect(Host.waitUntil { !Host.isAlive(pid) })
        let r = s.berth(["start", id])
        #expect(!r.timedOut, "start hung: \(r)")
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.lines.count == 1, "\(r)")
        #expect(s.berth(["delete", "--force", id]).status == 0)
    }

    @Test("start of a running container is an error")
    func startTwice() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let id = s.newID()
        #expect(s.berth(["create", "--bundle", s.bundle.path, id]).status == 0)
        #expect(s.berth(["start", id]).status == 0)
        let r = s.berth(["start", id])
        expectError(r)
        #expect(s.status(id) == "running")
    }

    @Test("unknown command and unknown flag fail with status != 0 and a message")
    func unknownCommand() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let r = s.berth(["frobnicate"])
        #expect(r.status != 0, "\(r)")
        #expect(!r.stderr.isEmpty, "\(r)")
        let f = s.berth(["create", "--no-such-flag", "x"])
        #expect(f.status != 0, "\(f)")
        #expect(s.stateEntries().isEmpty)
    }
}
