// OCI hooks: all six kinds, in the spec's order, each where the spec runs it, with what
// runc gives them (state, environment, argv, working directory) and runc's wording when
// one fails.
import Foundation
import Testing

@Suite("Hooks")
struct HookTests {
    /// A hook that records its kind and the status it read on stdin into `file`.
    func hook(_ kind: String, file: String) -> [String: Any] {
        [
            "path": "/bin/sh",
            "args": ["sh", "-c", "read -r state; s=${state#*\\\"status\\\":\\\"}; echo \"\(kind) ${s%%\\\"*}\" >> \(file)"],
            "timeout": 10,
        ]
    }

    /// A hook that succeeds and one that writes to stderr and fails: the second, #1.
    let failingPair: [[String: Any]] = [
        ["path": "/bin/true"],
        ["path": "/bin/sh", "args": ["sh", "-c", "echo out-of-hook; echo complaint-of-hook >&2; exit 3"]],
    ]

    @Test("all six kinds run in order; prestart reads created, startContainer runs inside the container")
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
        #expect(
            lines.map { String($0.split(separator: " ")[0]) }
                == ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
            "\(lines)")
        // prestart reads `created` (crun, runtime-spec validation), createRuntime and
        // createContainer `creating`, startContainer `created` (runc).
        #expect(
            Array(lines.prefix(4)) == [
                "prestart created", "createRuntime creating", "createContainer creating",
                "startContainer created",
            ], "\(lines)")
        #expect(lines.last == "poststop stopped", "\(lines)")
    }

    @Test(
        "a failing hook fails create with runc's message and the hook's stderr, and leaves nothing behind",
        arguments: ["prestart", "createRuntime", "createContainer"])
    func failingCreateHook(_ kind: String) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let cgroup = "/berth-itest-hook-\(UUID().uuidString.prefix(8))"
        s.bundle.config["linux.cgroupsPath"] = cgroup
        s.bundle.config["hooks"] = [kind: failingPair]
        s.bundle.config.args = ["sleep", "100"]
        try s.bundle.write()
        let id = s.newID()
        let r = s.berth(["create", "--bundle", s.bundle.path, id])
        expectError(
            r,
            contains: [
                "error running \(kind) hook #1: error running hook: exit status 3",
                "stdout: out-of-hook", "stderr: complaint-of-hook",
            ])
        s.expectNothingLeft(id)
        #expect(
            !FileManager.default.fileExists(atPath: "/sys/fs/cgroup/pids" + cgroup)
                && !FileManager.default.fileExists(atPath: "/sys/fs/cgroup/unified" + cgroup), "cgroup \(cgroup) left behind")
    }

    @Test(
        "a failing startContainer or poststart hook fails run with runc's message; the container is gone",
        arguments: ["startContainer", "poststart"])
    func failingRunHook(_ kind: String) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["hooks"] = [kind: failingPair]
        s.bundle.config.shell("sleep 100")
        try s.bundle.write()
        let id = s.newID()
        let r = s.berth(["run", "--bundle", s.bundle.path, id], timeout: 20)
        #expect(r.status != 0 && !r.timedOut, "\(r)")
        #expect(r.stderr.contains("error running \(kind) hook #1: error running hook: exit status 3"), "\(r)")
        #expect(r.stderr.contains("stderr: complaint-of-hook"), "\(r)")
        s.expectNothingLeft(id)
    }

    @Test("a hook's argv is its args as given (argv[0] apart from path), or the path alone; its env or else the caller's")
    func argvAndEnvironment() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let log = s.out + "/argv.log"
        s.bundle.config["hooks"] = [
            "createRuntime": [
                ["path": "/bin/sh", "args": ["my-hook-name", "-c", "echo \"argv0=$0\" >> \(log)"]],
                ["path": "/bin/echo", "args": [String]()],
                [
                    "path": "/bin/sh", "args": ["sh", "-c", "echo \"env=$HOOKVAR/$BERTH_ITEST_CALLER\" >> \(log)"],
                    "env": ["HOOKVAR=given"],
                ],
                ["path": "/bin/sh", "args": ["sh", "-c", "echo \"inherited=$BERTH_ITEST_CALLER\" >> \(log)"]],
            ]
        ]
        s.bundle.config.args = ["true"]
        try s.bundle.write()
        let r = s.berth(["run", "--bundle", s.bundle.path, s.newID()], env: ["BERTH_ITEST_CALLER": "from-caller"])
        #expect(r.status == 0, "\(r)")
        let lines = (Host.readFile(log) ?? "").lines
        #expect(lines == ["argv0=my-hook-name", "env=given/", "inherited=from-caller"], "\(lines)")
    }

    @Test("startContainer and createContainer hooks get the process's environment; createContainer runs in the rootfs")
    func containerHooks() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.mountOut()
        s.bundle.config["process.env"] = ["PATH=/bin:/usr/bin", "HOOKED=from-process"]
        s.bundle.config["hooks"] = [
            // Before pivot_root: the host's /bin/sh, the host path of the out directory.
            "createContainer": [
                [
                    "path": "/bin/sh",
                    "args": ["sh", "-c", "echo \"create $HOOKED $(pwd)\" >> \(s.out)/env.log"],
                ]
            ],
            // Relative to the working directory runc gives it: the rootfs.
            "startContainer": [["path": "/bin/sh", "args": ["sh", "-c", "echo \"start $HOOKED $HOME\" >> /srv/env.log"]]],
        ]
        let r = try s.sh("echo ran")
        #expect(r.status == 0, "\(r)")
        let lines = (Host.readFile(s.out + "/env.log") ?? "").lines
        #expect(lines == ["create from-process \(Host.rootfsPath)", "start from-process /root"], "\(lines)")
    }

    @Test("a createContainer hook's relative paths are the rootfs's")
    func relativeCreateContainerHook() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.mountOut()
        // srv/ is the rootfs's /srv (the out directory mounted there), reached from the
        // working directory runc gives the hook; the rootfs's own bin/busybox runs too.
        s.bundle.config["hooks"] = [
            "createContainer": [
                [
                    "path": "/bin/sh",
                    "args": ["sh", "-c", "bin/busybox echo relative-ok > srv/rel.log"],
                ]
            ]
        ]
        let r = try s.sh("cat /srv/rel.log")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.trimmed == "relative-ok", "\(r)")
    }
}
