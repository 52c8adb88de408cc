// SCMP_ACT_NOTIFY: the init loads the filter with a listener, berth passes the listener fd
// to linux.seccomp.listenerPath with the container process state, and the listener (a
// python3 agent) answers the trapped syscalls: the container sees its answers.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Seccomp notify")
struct SeccompNotifyTests {
    /// mkdir and mkdirat notify (the agent answers ENOMEDIUM), chmod and fchmodat notify
    /// (the agent lets them run); everything else is allowed.
    func profile(listener: String?) -> [String: Any] {
        var p: [String: Any] = [
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64"],
            "listenerMetadata": "agent-metadata-42",
            "syscalls": [
                ["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"],
                ["names": ["chmod", "fchmodat", "fchmodat2"], "action": "SCMP_ACT_NOTIFY"],
            ],
        ]
        if let listener { p["listenerPath"] = listener }
        return p
    }

    static let answers: [Int: SeccompAgent.Answer] = [
        SeccompAgent.Syscall.mkdir: .errno(ENOMEDIUM), SeccompAgent.Syscall.mkdirat: .errno(ENOMEDIUM),
        SeccompAgent.Syscall.chmod: .continue, SeccompAgent.Syscall.fchmodat: .continue,
        SeccompAgent.Syscall.fchmodat2: .continue,
    ]

    static let script = "mkdir /tmp/made 2>&1; echo mkdir=$?; touch /tmp/f; chmod 600 /tmp/f; echo chmod=$?; stat -c mode=%a /tmp/f"

    func configure(_ s: Sandbox, agent: SeccompAgent, noNewPrivileges: Bool) {
        s.bundle.config["linux.seccomp"] = profile(listener: agent.socketPath)
        s.bundle.config["process.noNewPrivileges"] = noNewPrivileges
        s.bundle.config.addMount("/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev"])
        s.bundle.config.setAnnotation("org.example.seccomp", "yes")
        s.bundle.config.shell(Self.script)
    }

    /// What the container printed: the agent's errno for mkdir, a working chmod.
    func expectAnswered(_ out: String, _ agent: SeccompAgent, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(out.contains("No medium found"), "mkdir should fail with the agent's ENOMEDIUM: \(out)", sourceLocation: sourceLocation)
        #expect(out.contains("mkdir=1"), "\(out)", sourceLocation: sourceLocation)
        #expect(out.contains("chmod=0") && out.contains("mode=600"), "chmod should run (CONTINUE): \(out)", sourceLocation: sourceLocation)
        // The agent logs a notification after answering it: give the log a moment.
        let expected = [
            SeccompAgent.Syscall.mkdir, SeccompAgent.Syscall.mkdirat, SeccompAgent.Syscall.chmod,
            SeccompAgent.Syscall.fchmodat, SeccompAgent.Syscall.fchmodat2,
        ]
        _ = Host.waitUntil(timeout: 5) {
            Set(agent.notifications.compactMap { $0["nr"] as? Int }).intersection(expected).count >= 2
        }
        let numbers = agent.notifications.compactMap { $0["nr"] as? Int }
        #expect(
            numbers.contains { [SeccompAgent.Syscall.mkdir, SeccompAgent.Syscall.mkdirat].contains($0) },
            "the agent saw no mkdir: \(agent.events)", sourceLocation: sourceLocation)
        #expect(
            numbers.contains { [SeccompAgent.Syscall.chmod, SeccompAgent.Syscall.fchmodat, SeccompAgent.Syscall.fchmodat2].contains($0) },
            "the agent saw no chmod: \(agent.events)", sourceLocation: sourceLocation)
    }

    /// The ContainerProcessState document, as the runtime spec defines it.
    func expectProcessState(_ received: [String: Any]?, id: String, bundle: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let received else {
            Issue.record("the agent received nothing", sourceLocation: sourceLocation)
            return
        }
        #expect(received["fds"] as? Int == 1, "exactly one fd: \(received)", sourceLocation: sourceLocation)
        let doc = received["state"] as? [String: Any] ?? [:]
        #expect((doc["ociVersion"] as? String)?.isEmpty == false, "\(doc)", sourceLocation: sourceLocation)
        #expect(doc["fds"] as? [String] == ["seccompFd"], "\(doc)", sourceLocation: sourceLocation)
        #expect(doc["metadata"] as? String == "agent-metadata-42", "\(doc)", sourceLocation: sourceLocation)
        let state = doc["state"] as? [String: Any] ?? [:]
        #expect(state["id"] as? String == id, "\(doc)", sourceLocation: sourceLocation)
        #expect(state["status"] as? String == "creating", "\(doc)", sourceLocation: sourceLocation)
        #expect(state["bundle"] as? String == bundle, "\(doc)", sourceLocation: sourceLocation)
        #expect((state["annotations"] as? [String: String])?["org.example.seccomp"] == "yes", "\(doc)", sourceLocation: sourceLocation)
        let pid = doc["pid"] as? Int ?? 0
        #expect(pid > 0 && state["pid"] as? Int == pid, "pid and state.pid: \(doc)", sourceLocation: sourceLocation)
    }

    @Test("run with no_new_privileges: the filter loads before ready, the agent's answers reach the container")
    func runLateLoad() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let agent = try SeccompAgent(dir: s.dir, answers: Self.answers); defer { agent.stop() }
        configure(s, agent: agent, noNewPrivileges: true)
        try s.bundle.write()
        let id = s.newID("notify")
        let r = s.berth(["run", "--bundle", s.bundle.path, id])
        #expect(r.status == 0, "\(r)")
        expectAnswered(r.stdout, agent)
        expectProcessState(agent.receivedState(), id: id, bundle: s.bundle.path)
        // The container is gone: the agent sees the listener hang up and ends by itself.
        let done = agent.finish()
        #expect(!done.timedOut, "the listener fd stayed open somewhere after the container exited: \(done)")
    }

    @Test("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (and LOG): the filter is loaded with the flags through seccomp(2); the agent still answers")
    func waitKillableRecv() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let agent = try SeccompAgent(dir: s.dir, answers: Self.answers); defer { agent.stop() }
        configure(s, agent: agent, noNewPrivileges: true)
        var p = profile(listener: agent.socketPath)
        p["flags"] = ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "SECCOMP_FILTER_FLAG_LOG"]
        s.bundle.config["linux.seccomp"] = p
        try s.bundle.write()
        let id = s.newID("notify")
        let r = s.berth(["run", "--bundle", s.bundle.path, id])
        #expect(r.status == 0, "\(r)")
        expectAnswered(r.stdout, agent)
        #expect(!agent.finish().timedOut)
    }

    @Test("create then start without no_new_privileges: the fd is handed over before create returns, answers come after start")
    func createStartEarlyLoad() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let agent = try SeccompAgent(dir: s.dir, answers: Self.answers); defer { agent.stop() }
        configure(s, agent: agent, noNewPrivileges: false)
        s.mountOut()
        s.bundle.config.shell("(\(Self.script)) > /srv/out 2>&1; touch /srv/done")
        try s.bundle.write()
        let id = s.newID("notify")
        let created = s.berth(["create", "--bundle", s.bundle.path, id])
        #expect(created.status == 0, "\(created)")
        // berth create has exited; the agent already holds the fd.
        expectProcessState(agent.receivedState(timeout: 5), id: id, bundle: s.bundle.path)
        #expect(agent.notifications.isEmpty, "nothing the user's process does has run yet: \(agent.events)")
        #expect(s.berth(["start", id]).status == 0)
        #expect(s.waitForOutFile("done") != nil)
        expectAnswered(Host.readFile(s.out + "/out") ?? "", agent)
    }

    @Test("notify without listenerPath, on write, or as the default action is refused before anything is made")
    func refusedConfigs() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("true")
        s.bundle.config["linux.seccomp"] = profile(listener: nil)
        try s.expectCreateFails(["linux.seccomp.listenerPath", "SCMP_ACT_NOTIFY"])

        var onWrite = profile(listener: s.dir + "/none.sock")
        onWrite["syscalls"] = [["names": ["getpid", "write"], "action": "SCMP_ACT_NOTIFY"]]
        s.bundle.config["linux.seccomp"] = onWrite
        try s.expectCreateFails(["SCMP_ACT_NOTIFY cannot be used for the write syscall"])

        var onSendmsg = profile(listener: s.dir + "/none.sock")
        onSendmsg["syscalls"] = [["names": ["sendmsg"], "action": "SCMP_ACT_NOTIFY"]]
        s.bundle.config["linux.seccomp"] = onSendmsg
        try s.expectCreateFails(["SCMP_ACT_NOTIFY cannot be used for the sendmsg syscall"])

        var byDefault = profile(listener: s.dir + "/none.sock")
        byDefault["defaultAction"] = "SCMP_ACT_NOTIFY"
        s.bundle.config["linux.seccomp"] = byDefault
        try s.expectCreateFails(["SCMP_ACT_NOTIFY cannot be used as default action"])
    }

    @Test("nobody listening at listenerPath: create and run fail with runc's 'failed to connect with seccomp agent', leave nothing")
    func noListener() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("true")
        s.bundle.config["linux.seccomp"] = profile(listener: s.dir + "/nobody.sock")
        let wording = "failed to connect with seccomp agent specified in the seccomp profile: dial unix \(s.dir)/nobody.sock"
        try s.expectCreateFails([wording])
        let id = s.newID()
        let r = s.berth(["run", "--bundle", s.bundle.path, id])
        expectError(r, contains: [wording])
        s.expectNothingLeft(id)
    }
}
