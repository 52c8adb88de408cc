// checkpoint and restore on this host, where CRIU itself cannot run (the VM runs the
// real ones: scripts/checkpoint-guest.sh): every flag parsed as runc parses it, every
// failure one line in runc's words with nothing changed, and the RPC requests berth
// sends checked against CRIU's own schema by a stand-in CRIU that decodes them with
// pycriu's rpc_pb2 (Debian's criu package).
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A stand-in for `criu`: `criu check` fails as on a host CRIU cannot run on; `criu swrk
/// 3` answers VERSION and FEATURE_CHECK (per FAKE_CRIU_MODE), decodes every request with
/// CRIU's generated protobuf classes and appends it in text form to FAKE_CRIU_RECORD, and
/// fails a DUMP, PRE_DUMP or RESTORE with an error in its log, as CRIU writes one.
let fakeCRIU = #"""
    #!/usr/bin/python3
    import os, socket, sys
    from pycriu import rpc_pb2 as rpc
    mode = os.environ.get("FAKE_CRIU_MODE", "cannot-run")
    record = os.environ.get("FAKE_CRIU_RECORD")
    if sys.argv[1:2] == ["check"]:
        sys.stderr.write("Warn  (criu/kerndat.c:1): kerndat: a warning first\n"
                         "Error (criu/vdso.c:613): vdso: Failed to fill self vdso symtable\n")
        sys.exit(1)
    sk = socket.socket(fileno=int(sys.argv[2]))
    while True:
        data = sk.recv(1 << 16)
        if not data:
            break
        req = rpc.criu_req()
        req.ParseFromString(data)
        if record:
            with open(record, "a") as f:
                f.write(str(req) + "----\n")
        resp = rpc.criu_resp()
        resp.type = req.type
        if req.type == rpc.VERSION:
            resp.success = True
            resp.version.major_number = 2 if mode == "old" else 3
            resp.version.minor_number = 17
            resp.version.sublevel = 1
        elif req.type == rpc.FEATURE_CHECK:
            resp.success = mode != "cannot-run"
            if resp.success:
                resp.features.mem_track = mode != "no-memtrack"
                resp.features.lazy_pages = False
        else:
            o = req.opts
            d = o.work_dir_fd if o.HasField("work_dir_fd") else o.images_dir_fd
            with open("/proc/%d/fd/%d/%s" % (os.getppid(), d, o.log_file), "w") as f:
                f.write("(00.000010) Warn  (criu/x.c:1): not this one\n(00.000020) Error (criu/cr-dump.c:1): fake: no way\n")
            resp.success = False
            resp.cr_errno = 5
        sk.send(resp.SerializeToString())
        if not req.keep_open:
            break
    """#

@Suite("Checkpoint and restore (host)")
struct CheckpointTests {
    /// Writes the stand-in CRIU into the sandbox; returns its path.
    func fake(_ s: Sandbox) throws -> String {
        let path = s.dir + "/fake-criu"
        try Host.write(path, fakeCRIU)
        chmod(path, 0o755)
        return path
    }

    /// A detached container running sleep, with a bind mount; its id.
    func sleeper(_ s: Sandbox) throws -> String {
        s.bundle.config.args = ["sleep", "1000"]
        s.bundle.config.addMount("/srv", source: s.out, options: ["bind"])
        try s.bundle.write()
        let id = s.newID()
        let r = s.berth(["run", "-d", "--bundle", s.bundle.path, id])
        try #require(r.status == 0, "\(r)")
        return id
    }

    /// The container's cgroup directories that exist (pids and unified hierarchies).
    func cgroupDirs(_ id: String) -> [String] {
        var found: [String] = []
        for line in (Host.readFile("/proc/self/cgroup") ?? "").split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3 else { continue }
            let base =
                f[1] == "pids"
                ? "/sys/fs/cgroup/pids"
                : f[1].isEmpty
                    ? (FileManager.default.fileExists(atPath: "/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup") : nil
            guard let base else { continue }
            let dir = base + f[2] + "/" + id
            if FileManager.default.fileExists(atPath: dir) { found.append(dir) }
        }
        return found
    }

    @Test("checkpoint: runc's flags and errors, checked in runc's order; nothing is written and the container keeps running")
    func checkpointErrors() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let images = s.dir + "/images"
        let criu = try fake(s)
        expectError(s.berth(["checkpoint"]), contains: ["checkpoint", "container id"])
        expectError(s.berth(["checkpoint", "a", "b"]), contains: ["unexpected argument \"b\""])
        expectError(s.berth(["checkpoint", "--bogus", "x"]), contains: ["flag provided but not defined: -bogus"])
        expectError(s.berth(["checkpoint", "--status-fd", "abc", "x"]), contains: ["invalid value \"abc\" for flag -status-fd"])
        expectError(s.berth(["checkpoint", "--image-path", images, "nothere"]), contains: ["container does not exist"])

        // A created container, and a stopped one, cannot be checkpointed.
        s.bundle.config.args = ["true"]
        try s.bundle.write()
        let created = s.newID()
        #expect(s.berth(["create", "--bundle", s.bundle.path, created]).status == 0)
        expectError(
            s.berth(["--criu", criu, "checkpoint", "--image-path", images, created]),
            contains: ["Container cannot be checkpointed in created state"])
        let stopped = s.newID()
        #expect(s.berth(["run", "-d", "--bundle", s.bundle.path, stopped]).status == 0)
        #expect(s.waitForStatus(stopped, "stopped"))
        expectError(
            s.berth(["--criu", criu, "checkpoint", "--image-path", images, stopped]),
            contains: ["Container cannot be checkpointed in stopped state"])

        let id = try sleeper(s)
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        try Host.write(images + "/afile", "")
        let cases: [([String], String)] = [
            (["--parent-path", "/abs/parent"], "--parent-path must be relative"),
            (["--parent-path", "../nothere"], "invalid --parent-path: stat \(s.dir)/nothere: no such file or directory"),
            (["--parent-path", "afile"], "invalid --parent-path: \(images)/afile: not a directory"),
            (["--page-server", "nohost"], "Use --page-server ADDRESS:PORT to specify page server"),
            (["--page-server", ":27277"], "Use --page-server ADDRESS:PORT to specify page server"),
            (["--page-server", "127.0.0.1:"], "Use --page-server ADDRESS:PORT to specify page server"),
            (["--page-server", "127.0.0.1:port"], "Invalid port number"),
            (["--manage-cgroups-mode", "hard"], "Invalid manage-cgroups-mode value"),
            (["--empty-ns", "network", "--empty-ns", "pid"], "namespace \"pid\" is not supported"),
            (["--lazy-pages", "--status-fd", "99"], "invalid --status-fd argument 99: bad file descriptor"),
            (["--lazy-pages", "--status-fd", "0"], "invalid --status-fd argument 0: not writable"),
        ]
        for (flags, message) in cases {
            // The parent path is relative to an image directory that exists.
            let imagePath = flags.first == "--parent-path" ? images : images + "/new"
            let r = s.berth(["--criu", criu, "checkpoint", "--image-path", imagePath] + flags + [id], stdin: "")
            expectError(r, contains: [message])
        }
        // No CRIU at all: runc's words (its first use of CRIU is the version check).
        expectError(
            s.berth(["--criu", "berth-no-such-criu", "checkpoint", "--image-path", images + "/new", id]),
            contains: ["CRIU version check failed: exec: \"berth-no-such-criu\": executable file not found in $PATH"])
        expectError(
            s.berth(["--criu", criu, "checkpoint", "--image-path", images + "/new", id], env: ["FAKE_CRIU_MODE": "old"]),
            contains: ["CRIU version 21701 must be 30000 or higher"])
        expectError(
            s.berth(
                ["--criu", criu, "checkpoint", "--pre-dump", "--image-path", images + "/new", id],
                env: ["FAKE_CRIU_MODE": "no-memtrack"]),
            contains: ["criu is missing features: [MemTrack]"])
        // The stand-in's kernel has no userfaultfd for lazy pages.
        expectError(
            s.berth(
                ["--criu", criu, "checkpoint", "--lazy-pages", "--image-path", images + "/new", id],
                env: ["FAKE_CRIU_MODE": "works"]),
            contains: ["criu is missing features: [LazyPages]"])
        #expect(!FileManager.default.fileExists(atPath: images + "/new"), "an image directory was made")
        #expect(s.status(id) == "running")
    }

    @Test("checkpoint where CRIU cannot run: one line naming CRIU and criu check's reason, exit 1, nothing changed")
    func criuCannotRun() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = try sleeper(s)
        let images = s.dir + "/images"
        let r = s.berth(["--criu", try fake(s), "checkpoint", "--image-path", images, id])
        expectError(r, contains: ["CRIU cannot checkpoint or restore on this host: criu check: vdso: Failed to fill self vdso symtable"])
        #expect(!FileManager.default.fileExists(atPath: images))
        #expect(s.status(id) == "running")

        // And the CRIU installed here: on this kernel `criu check` fails, and berth says why.
        let check = Runner.run("/usr/sbin/criu", ["check"], ioDir: s.io, timeout: 60)
        if check.status != 0 {
            let reason = check.stderr.lines.first { $0.hasPrefix("Error (") }.map {
                String($0[$0.index(after: $0.firstIndex(of: ")")!)...].dropFirst(2))
            }
            let real = s.berth(["checkpoint", "--image-path", images, id])
            expectError(real, contains: ["CRIU cannot checkpoint or restore on this host: criu check: " + (reason ?? "")])
            #expect(!FileManager.default.fileExists(atPath: images))
            #expect(s.status(id) == "running")
            let restore = s.berth(["restore", "-d", "--image-path", images, s.newID()])
            expectError(restore, contains: ["open \(images)/descriptors.json: no such file or directory"])
        }
    }

    @Test("checkpoint: the RPC request carries every flag, as CRIU's own rpc.proto decodes it; a failed dump quotes CRIU's log")
    func checkpointRequest() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let id = try sleeper(s)
        let images = s.dir + "/images"
        let work = s.dir + "/work"
        try FileManager.default.createDirectory(atPath: images + "/parent", withIntermediateDirectories: true)
        let record = s.dir + "/requests"
        let r = s.berth(
            [
                "--criu", try fake(s), "checkpoint", "--image-path", images, "--work-path", work,
                "--parent-path", "parent", "--leave-running", "--tcp-established", "--ext-unix-sk", "--shell-job",
                "--file-locks", "--manage-cgroups-mode", "ignore", "--page-server", "192.0.2.1:27277",
                "--auto-dedup", "--empty-ns", "network", id,
            ],
            env: ["FAKE_CRIU_MODE": "works", "FAKE_CRIU_RECORD": record])
        expectError(r, contains: ["criu failed: type DUMP errno 5: fake: no way (see \(work)/dump.log)"])
        #expect(s.status(id) == "running", "a failed dump leaves the container alone")
        let requests = (Host.readFile(record) ?? "").components(separatedBy: "----\n").filter { !$0.isEmpty }
        #expect(requests.count == 3, "VERSION, FEATURE_CHECK, DUMP: \(requests)")
        #expect(requests.first?.contains("type: VERSION") == true && requests.first?.contains("keep_open: true") == true)
        #expect(requests.dropFirst().first?.contains("type: FEATURE_CHECK") == true)
        let dump = requests.last ?? ""
        let pid = try #require((s.state(id)?["pid"] as? NSNumber)?.int32Value)
        for field in [
            "type: DUMP", "pid: \(pid)", "leave_running: true", "ext_unix_sk: true", "tcp_established: true",
            "shell_job: true", "file_locks: true", "log_level: 4", "log_file: \"dump.log\"", "notify_scripts: true",
            "root: \"\(Host.rootfsPath)\"", "parent_img: \"parent\"", "track_mem: true", "auto_dedup: true",
            "manage_cgroups: true", "manage_cgroups_mode: IGNORE", "empty_ns: 1073741824", "orphan_pts_master: true",
            "config_file: \"/etc/criu/runc.conf\"", "address: \"192.0.2.1\"", "port: 27277",
            "key: \"/srv\"", "val: \"/srv\"", "key: \"/etc/hosts\"", "key: \"/etc/resolv.conf\"", "freeze_cgroup:",
        ] {
            #expect(dump.contains(field), "\(field) missing from the DUMP request:\n\(dump)")
        }
        // The image directory has runc's descriptors.json: where the init's stdio pointed.
        let descriptors = Host.parseJSON(Host.readFile(images + "/descriptors.json") ?? "") as? [String]
        #expect(descriptors?.count == 3, "\(String(describing: descriptors))")
    }

    @Test("restore: runc's flags and errors; a failed restore leaves no state, cgroup, mount or process behind")
    func restoreErrors() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let criu = try fake(s)
        let images = s.dir + "/images"
        expectError(s.berth(["restore"]), contains: ["restore", "container id"])
        expectError(s.berth(["restore", "--bogus", "x"]), contains: ["flag provided but not defined: -bogus"])
        let id = s.newID()
        expectError(
            s.berth(["restore", "--image-path", images, "--bundle", s.bundle.path, id]),
            contains: ["open \(images)/descriptors.json: no such file or directory"])
        expectError(
            s.berth(["restore", "--manage-cgroups-mode", "soft-ish", "--image-path", images, id]),
            contains: ["Invalid manage-cgroups-mode value"])
        expectError(
            s.berth(["restore", "--empty-ns", "mount", "--image-path", images, id]),
            contains: ["namespace \"mount\" is not supported"])
        // runc's default image path: ./checkpoint of the caller's directory.
        let r = Runner.run(
            "/bin/sh",
            [
                "-c",
                "cd \(Host.shellQuote(s.dir)) && exec \(Host.shellQuote(Host.binary)) --root \(Host.shellQuote(s.root)) restore --bundle \(Host.shellQuote(s.bundle.path)) \(id)",
            ],
            ioDir: s.io)
        expectError(r, contains: ["open \(s.dir)/checkpoint/descriptors.json: no such file or directory"])
        s.expectNothingLeft(id)

        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        try Host.write(images + "/descriptors.json", #"["pipe:[4242]","/dev/null","pipe:[4243]"]"#)
        // Terminal and console socket, as create checks them.
        let tty = try s.newBundle("tty")
        tty.config.args = ["sh"]
        tty.config["process.terminal"] = true
        try tty.write()
        expectError(
            s.berth(["--criu", criu, "restore", "-d", "--image-path", images, "--bundle", tty.path, id]),
            contains: ["cannot allocate tty if berth will detach without setting console socket"])
        expectError(
            s.berth([
                "--criu", criu, "restore", "-d", "--console-socket", s.dir + "/c.sock", "--image-path", images,
                "--bundle", s.bundle.path, id,
            ]),
            contains: ["cannot use console socket if berth will not detach or allocate tty"])
        s.expectNothingLeft(id)

        // CRIU that cannot run here, then one whose restore fails: nothing is left. The
        // restore binds the rootfs on the host for CRIU: a rootfs of this test's own, so
        // other tests checking the shared one's host mounts never see it.
        try FileManager.default.createDirectory(atPath: s.dir + "/own-rootfs", withIntermediateDirectories: true)
        s.bundle.config["root.path"] = s.dir + "/own-rootfs"
        try s.bundle.write()
        expectError(
            s.berth(["--criu", criu, "restore", "-d", "--image-path", images, "--bundle", s.bundle.path, id]),
            contains: ["CRIU cannot checkpoint or restore on this host: criu check: vdso: Failed to fill self vdso symtable"])
        s.expectNothingLeft(id)
        #expect(cgroupDirs(id).isEmpty, "cgroup left: \(cgroupDirs(id))")

        let record = s.dir + "/requests"
        s.bundle.config.addMount("/srv", source: s.out, options: ["bind"])
        try s.bundle.write()
        let f = s.berth(
            [
                "--criu", criu, "restore", "-d", "--image-path", images, "--work-path", s.dir + "/work",
                "--manage-cgroups-mode", "full", "--tcp-established", "--ext-unix-sk", "--shell-job", "--file-locks",
                "--auto-dedup", "--lsm-profile", "apparmor:x", "--pid-file", s.dir + "/pid", "--no-pivot",
                "--no-subreaper", "--bundle", s.bundle.path, id,
            ],
            env: ["FAKE_CRIU_MODE": "works", "FAKE_CRIU_RECORD": record])
        expectError(f, contains: ["criu failed: type RESTORE errno 5: fake: no way (see \(s.dir)/work/restore.log)"])
        s.expectNothingLeft(id)
        #expect(cgroupDirs(id).isEmpty, "cgroup left: \(cgroupDirs(id))")
        #expect(!FileManager.default.fileExists(atPath: s.dir + "/pid"))
        let restore = (Host.readFile(record) ?? "").components(separatedBy: "----\n").filter { !$0.isEmpty }.last ?? ""
        for field in [
            "type: RESTORE", "rst_sibling: true", "evasive_devices: true", "root: \"\(s.root)/\(id)/criu-root\"",
            "log_file: \"restore.log\"", "manage_cgroups_mode: FULL", "tcp_established: true", "ext_unix_sk: true",
            "shell_job: true", "file_locks: true", "auto_dedup: true", "lsm_profile: \"apparmor:x\"",
            "orphan_pts_master: true", "empty_ns: 1073741824",
            // The dumped pipes become berth's stdio 0 and 2; /dev/null needs nothing.
            "key: \"pipe:[4242]\"\n    fd: 0", "key: \"pipe:[4243]\"\n    fd: 2",
            // Bind mounts from their host sources, the init layer from files made afresh.
            "key: \"/srv\"\n    val: \"\(s.out)\"", "val: \"\(s.root)/\(id)/criu-layer/hosts\"", "cg_root",
        ] {
            #expect(restore.contains(field), "\(field) missing from the RESTORE request:\n\(restore)")
        }

        // Lazy pages that this CRIU and kernel cannot serve.
        expectError(
            s.berth(
                ["--criu", criu, "restore", "-d", "--lazy-pages", "--image-path", images, "--bundle", s.bundle.path, id],
                env: ["FAKE_CRIU_MODE": "works"]),
            contains: ["criu is missing features: [LazyPages]"])
        s.expectNothingLeft(id)
        #expect(cgroupDirs(id).isEmpty, "cgroup left: \(cgroupDirs(id))")

        // An id that exists already.
        s.bundle.config["root.path"] = Host.rootfsPath
        let existing = try sleeper(s)
        expectError(
            s.berth(["--criu", criu, "restore", "-d", "--image-path", images, "--bundle", s.bundle.path, existing]),
            contains: ["container with given ID already exists"])
        #expect(s.status(existing) == "running")
    }

    @Test(
        "restore killed at every phase: list shows it, delete --force removes state, cgroup, mounts and CRIU, and never the rootfs bound in the state directory"
    )
    func restoreKilledAtEveryPhase() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let criu = try fake(s)
        let parent = s.useOwnCgroupParent()
        let images = s.dir + "/images"
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        try Host.write(images + "/descriptors.json", #"["/dev/null","/dev/null","/dev/null"]"#)
        // A rootfs of the test's own: a restore binds it into the state directory, and a
        // removal that walked into that bind would empty it.
        let rootfs = s.dir + "/own-rootfs"
        try FileManager.default.createDirectory(atPath: rootfs + "/etc", withIntermediateDirectories: true)
        try Host.write(rootfs + "/etc/keep", "kept")
        let source = s.dir + "/bind-source"
        try FileManager.default.createDirectory(atPath: source + "/inner", withIntermediateDirectories: true)
        try Host.write(source + "/inner/keep", "kept")
        s.bundle.config["root.path"] = rootfs
        s.bundle.config.addMount("/srv", source: source, options: ["bind"])
        var phases: [String] = []
        var ended = false
        for n in 1...40 {
            let id = s.newID("r\(n)")
            s.bundle.config["linux.cgroupsPath"] = parent + "/" + id
            try s.bundle.write()
            let r = s.berth(
                ["--criu", criu, "restore", "-d", "--image-path", images, "--bundle", s.bundle.path, id],
                env: ["BERTH_TEST_KILL_AT": String(n), "FAKE_CRIU_MODE": "works"])
            #expect(!r.timedOut, "restore killed at phase \(n) hung: \(r)")
            let phase = r.stderr.lines.first { $0.hasPrefix("berth: test kill at phase") } ?? "none"
            if r.signal == SIGKILL {
                phases.append(phase)
                if FileManager.default.fileExists(atPath: s.root + "/" + id) {
                    let list = s.berth(["list", "--format", "json"])
                    let entries = (Host.parseJSON(list.stdout) as? [[String: Any]]) ?? []
                    #expect(entries.contains { $0["id"] as? String == id }, "killed at \(phase): list does not show \(id): \(list)")
                }
            } else {
                // Past the last phase: the stand-in CRIU fails the restore itself.
                expectError(r, contains: ["criu failed: type RESTORE errno 5: fake: no way"])
                ended = true
            }
            let d = s.berth(["delete", "--force", id], timeout: 30)
            #expect(d.status == 0 || d.stderr.contains("container does not exist"), "killed at \(phase): delete --force: \(d)")
            #expect(!FileManager.default.fileExists(atPath: s.root + "/" + id), "killed at \(phase): state directory left")
            s.expectHostClean(cgroupParent: parent, "after restore killed at \(phase)")
            #expect(Host.readFile(rootfs + "/etc/keep") == "kept", "killed at \(phase): the rootfs lost its files")
            #expect(Host.readFile(source + "/inner/keep") == "kept", "killed at \(phase): the bind source lost its files")
            if ended { break }
        }
        #expect(ended, "restore never got past its phases: \(phases)")
        for name in ["restore: rootfs bound", "restore: mountpoints made", "restore: criu in the cgroup", "restore: request sent"] {
            #expect(phases.contains { $0.hasSuffix(name) }, "never killed at \(name): \(phases)")
        }
    }

    @Test("help lists runc's checkpoint and restore flags; `checkpoint --help` exits 0 (podman probes it); features says so")
    func helpAndFeatures() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let c = s.berth(["checkpoint", "--help"])
        #expect(c.status == 0)
        for flag in [
            "--image-path", "--work-path", "--parent-path", "--leave-running", "--tcp-established", "--ext-unix-sk",
            "--shell-job", "--lazy-pages", "--status-fd", "--page-server", "--file-locks", "--pre-dump",
            "--manage-cgroups-mode", "--empty-ns", "--auto-dedup",
        ] {
            #expect(c.stdout.contains(flag), "checkpoint --help lacks \(flag)")
        }
        let r = s.berth(["help", "restore"])
        #expect(r.status == 0)
        for flag in [
            "--console-socket", "--image-path", "--work-path", "--tcp-established", "--ext-unix-sk", "--shell-job",
            "--file-locks", "--manage-cgroups-mode", "--bundle", "-b", "--detach", "-d", "--pid-file", "--no-subreaper",
            "--no-pivot", "--empty-ns", "--auto-dedup", "--lazy-pages", "--lsm-profile", "--lsm-mount-context",
        ] {
            #expect(r.stdout.contains(flag), "restore --help lacks \(flag)")
        }
        let f = Host.parseJSON(s.berth(["features"]).stdout) as? [String: Any]
        let annotations = f?["annotations"] as? [String: String]
        #expect(annotations?["org.opencontainers.runc.checkpoint.enabled"] == "true")
        #expect((f?["potentiallyUnsafeConfigAnnotations"] as? [String])?.contains("org.criu.config") == true)
    }
}
