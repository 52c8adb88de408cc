// OCI hooks: all six kinds, in the spec's order, each where the spec runs it.
import Foundation
import Testing

@Suite("Hooks")
struct HookTests {
    /// A hook that records its kind and the status it read on stdin into `file`.
    func hook(_ kind: String, file: String) -> [String: Any] {
        ["path": "/bin/sh",
         "args": ["sh", "-c", "read -r state; s=${state#*\\\"status\\\":\\\"}; echo \"\(kind) ${s%%\\\"*}\" >> \(file)"],
         "timeout": 10]
    }

    @Test("all six kinds run in order; startContainer runs inside the container")
    func allKinds() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.mountOut()
        let host = s.out + "/hooks.log"
        s.bundle.config["hooks"] = [
            "prestart": [hook("prestart", file: host)],
            "createRuntime": [hook("createRuntime", file: host)],
            "createContainer": [hook("createContainer", file: host)],
            // After pivot_root: the hook and its file are the container's.
            "startContainer": [hook("startContainer", file: "/srv/hooks.log")],
            "poststart": [hook("poststart", file: host)],
            "poststop": [hook("poststop", file: host)],
        ]
        let r = try s.sh("echo ran")
        #expect(r.status == 0, "\(r)")
        let lines = (Host.readFile(host) ?? "").split(separator: "\n").map(String.init)
        #expect(lines.map { String($0.split(separator: " ")[0]) }
                == ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
                "\(lines)")
        #expect(lines.first == "prestart creating", "\(lines)")
        #expect(lines.last == "poststop stopped", "\(lines)")
    }

    @Test("a failing createRuntime hook fails create, names the hook, and leaves nothing behind")
    func failingHook() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["hooks"] = ["createRuntime": [["path": "/bin/false"]]]
        try s.bundle.write()
        let id = s.newID()
        let r = s.berth(["create", "--bundle", s.bundle.path, id])
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains("/bin/false"), "\(r)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r)")
        #expect(s.stateEntries().isEmpty, "\(s.stateEntries())")
        #expect(s.leftoverProcesses().isEmpty)
    }
}
