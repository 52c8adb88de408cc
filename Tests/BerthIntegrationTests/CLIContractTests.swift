// What callers (containerd's shim, conmon, CRI-O) parse: global flags, --version,
// pid-file bytes, state JSON, list output, log files, flag order.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("CLI contract")
struct CLIContractTests {
    @Test("--version: first line '<binary> version X.Y.Z', second 'spec: 1.…'")
    func version() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let r = s.berthRaw(["--version"])
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.lines
        #expect(lines.count >= 2, "\(r)")
        let first = lines.first ?? ""
        #expect(first.hasPrefix("\(Host.binaryName) version "), "\(r)")
        let version = first.dropFirst("\(Host.binaryName) version ".count)
        #expect(version.range(of: #"^\d+\.\d+\.\d+"#, options: .regularExpression) != nil, "\(r)")
        let second = lines.dropFirst().first ?? ""
        if Host.isBerth {
            #expect(second.hasPrefix("spec: 1.2"), "\(r)")
        } else {
            // runc puts a "commit:" line in between.
            #expect(lines.contains { $0.hasPrefix("spec: 1.") }, "\(r)")
        }
    }

    @Test("global flags before the command, as '--flag value' and '--flag=value'")
    func globalFlags() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let log1 = s.dir + "/log1"
        let log2 = s.dir + "/log2"
        let forms: [[String]] = [
            ["--root", s.root, "--log", log1, "--log-format", "text", "list"],
            ["--root=\(s.root)", "--log=\(log2)", "--log-format=json", "list"],
            ["--debug", "--root", s.root, "list", "-q"],
            ["--systemd-cgroup", "--root", s.root, "list"],
            ["--root", s.root, "--log-format", "json", "--debug", "list", "--format", "json"],
        ]
        for args in forms {
            let r = s.berthRaw(args)
            #expect(r.status == 0, "\(r)")
        }
        // --log creates the file even when the call succeeds and logs nothing at error level.
        #expect(FileManager.default.fileExists(atPath: log1))
        #expect(FileManager.default.fileExists(atPath: log2))
    }

    @Test("--root is honoured: a container is listed only under its own root")
    func rootIsolation() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let id = s.newID()
        let c = s.berth(["create", "--bundle", s.bundle.path, id])
        #expect(c.status == 0, "\(c)")
        #expect(FileManager.default.fileExists(atPath: s.root + "/" + id))
        let other = s.dir + "/other-root"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        let r = s.berthRaw(["--root", other, "list", "-q"])
        #expect(r.status == 0 && r.stdout.trimmed.isEmpty, "\(r)")
        let st = s.berthRaw(["--root", other, "state", id])
        #expect(st.status == 1, "\(st)")
    }

    @Test("--pid-file: bare decimal pid of the live container init, written when create returns")
    func pidFile() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let id = s.newID()
        let pidFile = s.dir + "/pid"
        let c = s.berth(["create", "--bundle", s.bundle.path, "--pid-file", pidFile, id])
        #expect(c.status == 0, "\(c)")
        #expect(c.stderr.isEmpty, "\(c)")
        let raw = try #require(FileManager.default.contents(atPath: pidFile), "pid file missing after create")
        let text = String(decoding: raw, as: UTF8.self)
        #expect(
            text.range(of: #"^[1-9][0-9]*$"#, options: .regularExpression) != nil,
            "pid file must hold only digits, no newline: \(raw.map { $0 })")
        let pid = try #require(Int32(text))
        #expect(Host.isAlive(pid))
        // It is the container init: in its own pid namespace, and what `state` reports.
        #expect(Host.nsLink(pid: pid, "pid") != nil)
        #expect(Host.nsLink(pid: pid, "pid") != Host.selfNS("pid"))
        #expect(s.state(id)?["pid"] as? Int == Int(pid))
        // Relative --pid-file is resolved against the caller's cwd, not the bundle: skip that,
        // but an existing file is replaced.
        let id2 = s.newID()
        let c2 = s.berth(["create", "--bundle", s.bundle.path, "--pid-file", pidFile, id2])
        #expect(c2.status == 0, "\(c2)")
        let pid2 = Int32(Host.readFile(pidFile) ?? "")
        #expect(pid2 != nil && pid2 != pid)
        #expect(s.state(id2)?["pid"] as? Int == pid2.map { Int($0) })
    }

    @Test("nothing of the runtime stays running after create returns, except the container init")
    func noLeftoverRuntimeProcess() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let id = s.newID()
        let pidFile = s.dir + "/pid"
        let c = s.berth(["create", "--bundle", s.bundle.path, "--pid-file", pidFile, id])
        #expect(c.status == 0, "\(c)")
        let pid = try #require(Int32(Host.readFile(pidFile) ?? ""))
        #expect(
            s.leftoverProcesses(excluding: [pid]).isEmpty,
            "processes forked by `create` still alive: \(s.leftoverProcesses(excluding: [pid]))")
        // The init's parent is not a runtime process that is still around.
        if let ppid = Host.parentPid(pid) {
            #expect(!Host.pidsCarrying(token: s.token).contains(ppid), "init's parent \(ppid) is a runtime process")
        }
        let st = s.berth(["start", id])
        #expect(st.status == 0, "\(st)")
        #expect(s.leftoverProcesses(excluding: [pid]).isEmpty)
        #expect(s.berth(["delete", "--force", id]).status == 0)
        #expect(Host.waitUntil { s.leftoverProcesses().isEmpty })
    }

    @Test("state JSON: fields, RFC 3339 created, created → running → stopped, empty stderr")
    func stateJSON() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.mountOut()
        // The process runs until the test creates the file /srv/go, so "running" is observable.
        s.bundle.config.shell("while [ ! -e /srv/go ]; do sleep 0.05; done")
        s.bundle.config.setAnnotation("org.example.key", "value-1")
        try s.bundle.write()
        let id = s.newID()
        let c = s.berth(["create", "--bundle", s.bundle.path, id])
        #expect(c.status == 0, "\(c)")

        let r = s.berth(["state", id])
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.isEmpty, "\(r)")
        let st = try #require(Host.parseJSON(r.stdout) as? [String: Any], "state output is not a JSON object: \(r.stdout)")
        for key in ["ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"] {
            #expect(st[key] != nil, "state lacks \(key): \(r.stdout)")
        }
        #expect(st["id"] as? String == id)
        #expect(st["status"] as? String == "created")
        #expect((st["pid"] as? Int ?? 0) > 0)
        #expect(st["bundle"] as? String == s.bundle.path)
        #expect(st["rootfs"] as? String == Host.rootfsPath)
        #expect((st["ociVersion"] as? String ?? "").hasPrefix("1."))
        let created = st["created"] as? String ?? ""
        #expect(Host.isRFC3339(created, requireFraction: true), "created: \(created)")
        #expect(st["owner"] is String)
        let ann = st["annotations"] as? [String: Any]
        #expect(ann?["org.example.key"] as? String == "value-1", "annotations: \(String(describing: st["annotations"]))")

        #expect(s.berth(["start", id]).status == 0)
        #expect(s.status(id) == "running")
        #expect(s.state(id)?["created"] as? String == created, "created must not change")
        try Host.write(s.out + "/go", "")
        #expect(s.waitForStatus(id, "stopped"), "last state: \(String(describing: s.state(id)))")
        let final = s.berth(["state", id])
        #expect(final.status == 0 && final.stderr.isEmpty, "\(final)")
    }

    @Test("create/run flags in any order; -b short form")
    func flagOrder() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let a = s.newID()
        let b = s.newID()
        let c = s.newID()
        let pidB = s.dir + "/pidb"
        #expect(s.berth(["create", a, "--bundle", s.bundle.path]).status == 0)
        #expect(s.berth(["create", "--pid-file", pidB, b, "-b", s.bundle.path]).status == 0)
        #expect(s.berth(["create", "--bundle=\(s.bundle.path)", "--no-new-keyring", c]).status == 0)
        #expect(FileManager.default.fileExists(atPath: pidB))
        for id in [a, b, c] {
            #expect(s.status(id) == "created", "\(id)")
            #expect(s.state(id)?["bundle"] as? String == s.bundle.path)
        }
        let k = s.berth(["kill", a, "KILL"])
        #expect(k.status == 0, "\(k)")
        #expect(s.berth(["delete", "--force", b]).status == 0)
        #expect(s.berth(["delete", c, "--force"]).status == 0)
    }

    @Test("create uses the current directory as the bundle by default")
    func bundleDefaultsToCwd() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.args = ["true"]
        try s.bundle.write()
        let id = s.newID()
        // Run through sh to set the cwd of the runtime.
        let r = Runner.run(
            "/bin/sh",
            ["-c", "cd \(Host.shellQuote(s.bundle.path)) && exec \(Host.shellQuote(Host.binary)) --root \(Host.shellQuote(s.root)) create \(id)"],
            ioDir: s.io, env: [String(s.token.split(separator: "=")[0]): String(s.token.split(separator: "=")[1])])
        #expect(r.status == 0, "\(r)")
        #expect(s.state(id)?["bundle"] as? String == s.bundle.path)
    }

    @Test("list: -q ids, --format json array of objects, table header")
    func list() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        // Empty root: json is null or [], -q prints nothing, table has only the header.
        let e = s.berth(["list", "--format", "json"])
        #expect(e.status == 0, "\(e)")
        #expect(["null", "[]"].contains(e.stdout.trimmed), "\(e)")
        let eq = s.berth(["list", "-q"])
        #expect(eq.status == 0 && eq.stdout.trimmed.isEmpty, "\(eq)")

        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let a = s.newID("la")
        let b = s.newID("lb")
        #expect(s.berth(["create", "--bundle", s.bundle.path, a]).status == 0)
        #expect(s.berth(["create", "--bundle", s.bundle.path, b]).status == 0)
        #expect(s.berth(["start", b]).status == 0)

        let q = s.berth(["list", "-q"])
        #expect(q.status == 0, "\(q)")
        #expect(Set(q.stdout.lines) == [a, b], "\(q)")
        #expect(q.stdout.hasSuffix("\n"))

        let j = s.berth(["list", "--format", "json"])
        #expect(j.status == 0, "\(j)")
        let arr = try #require(Host.parseJSON(j.stdout) as? [[String: Any]], "not a JSON array of objects: \(j.stdout)")
        #expect(arr.count == 2)
        for obj in arr {
            for key in ["id", "pid", "status", "bundle", "created"] {
                #expect(obj[key] != nil, "list entry lacks \(key): \(obj)")
            }
            #expect(obj["bundle"] as? String == s.bundle.path)
            #expect(Host.isRFC3339(obj["created"] as? String ?? "", requireFraction: true))
        }
        let byID = Dictionary(uniqueKeysWithValues: arr.map { ($0["id"] as? String ?? "", $0) })
        #expect(byID[a]?["status"] as? String == "created")
        #expect(byID[b]?["status"] as? String == "running")

        let t = s.berth(["list"])
        #expect(t.status == 0, "\(t)")
        let lines = t.stdout.lines
        #expect(lines.first?.hasPrefix("ID") == true, "\(t)")
        #expect(lines.count == 3, "\(t)")
        #expect(lines.dropFirst().contains { $0.hasPrefix(a) && $0.contains("created") })
        #expect(lines.dropFirst().contains { $0.hasPrefix(b) && $0.contains("running") })
        let tf = s.berth(["list", "--format", "table"])
        #expect(tf.status == 0 && tf.stdout.lines.first?.hasPrefix("ID") == true, "\(tf)")
    }

    @Test("--log with --log-format json: a failing call appends one JSON error line")
    func logFormatJSON() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let log = s.dir + "/log.json"
        // A successful call creates the file.
        let ok = s.berth(["--log", log, "--log-format", "json", "list"])
        #expect(ok.status == 0, "\(ok)")
        #expect(FileManager.default.fileExists(atPath: log), "--log file must exist after a successful call")
        let before = (Host.readFile(log) ?? "").lines.filter { $0.contains("\"error\"") }.count

        let r = s.berthRaw(["--root", s.root, "--log", log, "--log-format", "json", "state", "nosuch"])
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.lines.count == 1, "\(r)")
        let lines = (Host.readFile(log) ?? "").lines
        let errors = lines.compactMap { Host.parseJSON($0) as? [String: Any] }.filter { $0["level"] as? String == "error" }
        #expect(errors.count == before + 1, "log: \(lines)")
        #expect(lines.allSatisfy { Host.parseJSON($0) is [String: Any] }, "every log line must be JSON: \(lines)")
        let e = try #require(errors.last)
        #expect((e["msg"] as? String ?? "").contains("container does not exist"), "\(e)")
        #expect(Host.isRFC3339(e["time"] as? String ?? "", requireFraction: false), "\(e)")

        // The file is appended to, not truncated.
        let r2 = s.berthRaw(["--root", s.root, "--log=\(log)", "--log-format=json", "delete", "nosuch"])
        #expect(r2.status == 1)
        let errors2 = (Host.readFile(log) ?? "").lines.compactMap { Host.parseJSON($0) as? [String: Any] }
            .filter { $0["level"] as? String == "error" }
        #expect(errors2.count == before + 2)
    }

    @Test("--debug adds debug lines (to --log, else stderr); without it only errors; --log-format text is logfmt")
    func debugAndTextLogs() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let quiet = s.dir + "/quiet.json"
        let loud = s.dir + "/loud.json"
        let text = s.dir + "/log.txt"
        #expect(s.berth(["--log", quiet, "--log-format", "json", "list"]).status == 0)
        #expect((Host.readFile(quiet) ?? "") == "", "no lines without --debug or an error")
        let r = s.berth(["--debug", "--log", loud, "--log-format", "json", "list", "-q"])
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r)")
        let lines = (Host.readFile(loud) ?? "").lines
        let parsed = lines.compactMap { Host.parseJSON($0) as? [String: Any] }
        #expect(!lines.isEmpty && parsed.count == lines.count, "\(lines)")
        #expect(parsed.allSatisfy { $0["level"] as? String == "debug" && $0["msg"] is String && $0["time"] is String }, "\(lines)")

        let failing = s.berth(["--debug", "--log", text, "state", "nosuch"])
        #expect(failing.status == 1 && failing.stderr.lines.count == 1, "\(failing)")
        let textLines = (Host.readFile(text) ?? "").lines
        #expect(textLines.contains { $0.hasPrefix("time=\"") && $0.contains(" level=debug msg=\"") }, "\(textLines)")
        #expect(textLines.last?.contains("level=error msg=\"container does not exist\"") == true, "\(textLines)")

        let toStderr = s.berth(["--debug", "list", "-q"])
        #expect(toStderr.status == 0 && toStderr.stderr.contains("level=debug"), "\(toStderr)")
        #expect(toStderr.stdout.isEmpty, "\(toStderr)")
    }
}
