// Escape attempts. Each test mounts a real attack from inside a container (or from its
// image or config) and asserts that it fails and that the host is unchanged: the runtime
// binary's digest, sentinel files and directories, the host's mount table.
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// How an attacking process is started. `exec` (into a running container) is the third
/// way once it exists: add a case and its branch in `EscapeTests.launch`.
enum LaunchPath: String, CaseIterable, CustomStringConvertible {
    case run
    case createStart
    /// The bundle's process exec'd (`exec --process`) into a running container of the
    /// same bundle whose own process sleeps.
    case exec
    var description: String { rawValue }
}

extension Sandbox {
    /// A private, writable copy of the busybox rootfs, for images that plant symlinks.
    func copyRootfs(_ name: String = "rootfs") throws -> String {
        let path = dir + "/" + name
        let r = Runner.run("/bin/cp", ["-a", Host.rootfsPath, path], ioDir: io)
        guard r.status == 0 else { throw TestSetupError("cp rootfs: \(r)") }
        return path
    }
}

enum HostState {
    static func sha256(_ path: String, _ s: Sandbox) -> String {
        let r = Runner.run("/usr/bin/sha256sum", [path], ioDir: s.io)
        return String(r.stdout.split(separator: " ").first ?? "")
    }

    /// A host directory with a file in it, outside every rootfs, and its snapshot.
    static func sentinel(in s: Sandbox) throws -> (path: String, snapshot: [String]) {
        let sentinel = s.dir + "/host-sentinel"
        try FileManager.default.createDirectory(atPath: sentinel, withIntermediateDirectories: true)
        try Host.write(sentinel + "/file", "host data\n")
        chmod(sentinel + "/file", 0o600)
        return (sentinel, snapshot(sentinel))
    }

    /// A directory tree's paths, types, modes and file contents.
    static func snapshot(_ dir: String) -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for rel in (fm.subpaths(atPath: dir) ?? []).sorted() + [""] {
            let p = rel.isEmpty ? dir : dir + "/" + rel
            var st = stat()
            guard lstat(p, &st) == 0 else { continue }
            let content = (st.st_mode & S_IFMT) == S_IFREG ? (Host.readFile(p) ?? "?") : ""
            out.append("\(rel) \(String(st.st_mode, radix: 8)) \(content)")
        }
        return out
    }
}

@Suite("Escapes")
struct EscapeTests {
    /// Starts `bundle`'s process the given way and waits for it (at most 30 s).
    func launch(_ s: Sandbox, _ b: TestBundle, _ how: LaunchPath, extra: [String] = [], extraFds: [Int32] = []) throws -> ProcResult {
        try b.write()
        let id = s.newID("esc")
        switch how {
        case .run:
            return s.berth(["run", "--bundle", b.path] + extra + [id], extraFds: extraFds)
        case .createStart:
            let out = s.io + "/\(id).out"
            let created = s.berth(["create", "--bundle", b.path] + extra + [id], extraFds: extraFds, stdoutPath: out)
            guard created.status == 0 else { return created }
            let started = s.berth(["start", id])
            guard started.status == 0 else { return started }
            // The container writes into the file create's stdout was; wait for it to exit.
            Host.waitUntil(timeout: 30) { s.status(id) == "stopped" }
            var r = created
            r.stdout = Host.readFile(out) ?? ""
            r.stderr = created.stderr + started.stderr
            return r
        case .exec:
            var sleeping = b.config
            sleeping.args = ["sleep", "1000"]
            sleeping["process.cwd"] = "/"
            let target = try s.newBundle("target-\(id)", config: sleeping)
            let started = s.berth(["run", "-d", "--bundle", target.path, id])
            guard started.status == 0 else { return started }
            let processFile = s.dir + "/process-\(id).json"
            let process = try #require(b.config["process"] as? [String: Any])
            try JSONSerialization.data(withJSONObject: process).write(to: URL(fileURLWithPath: processFile))
            return s.berth(["exec", "--process", processFile] + extra + [id], extraFds: extraFds)
        }
    }

    // MARK: - CVE-2019-5736: the runtime binary through /proc/self/exe

    /// Ways an image can make the runtime exec itself: args[0] and files it plants.
    static let exeTricks: [(String, [String: String], [String])] = [
        ("args[0] is /proc/self/exe", [:], ["/proc/self/exe", "--version"]),
        ("args[0] is /proc/1/exe (the init itself)", [:], ["/proc/1/exe", "--version"]),
        ("args[0] is /proc/thread-self/exe", [:], ["/proc/thread-self/exe", "--version"]),
        ("a symlink to /proc/self/exe", ["bin/evil": "->/proc/self/exe"], ["/bin/evil", "--version"]),
        ("a relative symlink to it", ["bin/evil": "->../proc/self/exe"], ["evil", "--version"]),
        ("a #!/proc/self/exe script", ["bin/evil.sh": "#!/proc/self/exe\n"], ["/bin/evil.sh", "--version"]),
        (
            "a #! script whose interpreter is such a script",
            ["bin/evil.sh": "#!/proc/self/exe\n", "bin/evil2.sh": "#! /bin/evil.sh --x\n"], ["evil2.sh"]
        ),
    ]

    @Test(
        "the container process is never the runtime's own binary, and the binary is unchanged",
        arguments: LaunchPath.allCases)
    func selfExe(how: LaunchPath) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let before = HostState.sha256(Host.binary, s)
        #expect(before.count == 64)
        for (name, files, args) in Self.exeTricks {
            let rootfs = try s.copyRootfs("rootfs-\(s.ids.count)")
            for (path, content) in files {
                if content.hasPrefix("->") {
                    try FileManager.default.createSymbolicLink(atPath: rootfs + "/" + path, withDestinationPath: String(content.dropFirst(2)))
                } else {
                    try Host.write(rootfs + "/" + path, content)
                    chmod(rootfs + "/" + path, 0o755)
                }
            }
            let b = try s.newBundle("b-\(s.ids.count)", config: Config.base(rootfs: rootfs))
            b.config.args = args
            let r = try launch(s, b, how)
            #expect(r.status != 0, "\(name): the container ran: \(r)")
            #expect(!r.stdout.contains("version"), "\(name): the runtime binary ran in the container: \(r)")
            // Under exec, /proc/1/exe is the container's own process (busybox here), not
            // the runtime: running it is harmless and says so.
            if Host.isBerth && !(how == .exec && args[0] == "/proc/1/exe") {
                #expect(r.stderr.contains("container runtime's own binary"), "\(name): \(r)")
            }
        }
        #expect(HostState.sha256(Host.binary, s) == before, "the runtime binary changed")
    }

    @Test("exec while the container swaps the command between a real binary and /proc/self/exe never runs the runtime")
    func execSwapRace() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let before = HostState.sha256(Host.binary, s)
        let rootfs = try s.copyRootfs()
        chmod(rootfs + "/tmp", 0o1777)
        // The container's own process exchanges /tmp/cmd and /tmp/alt (symlinks to a real
        // binary and to /proc/self/exe) atomically, as fast as it can.
        try Host.write(
            s.dir + "/swap.c",
            """
            #define _GNU_SOURCE
            #include <stdio.h>
            #include <fcntl.h>
            #include <unistd.h>
            int main(void) {
                symlink("/bin/echo", "/tmp/cmd");
                symlink("/proc/self/exe", "/tmp/alt");
                for (;;) renameat2(AT_FDCWD, "/tmp/cmd", AT_FDCWD, "/tmp/alt", RENAME_EXCHANGE);
            }
            """)
        try Host.compileStatic(s.dir + "/swap.c", to: rootfs + "/bin/swap", ioDir: s.io)
        let b = try s.newBundle("racing", config: Config.base(rootfs: rootfs))
        b.config["root.readonly"] = false
        b.config.args = ["/bin/swap"]
        try b.write()
        let id = s.newID("race")
        #expect(s.berth(["run", "-d", "--bundle", b.path, id]).status == 0)
        var ran = 0
        var refused = 0
        #expect(Host.waitUntil(timeout: 10) { FileManager.default.fileExists(atPath: rootfs + "/tmp/alt") })
        for _ in 0..<60 {
            let r = s.berth(["exec", id, "/tmp/cmd", "--version"])
            #expect(!r.stdout.contains("berth version") && !r.stdout.contains("spec:"), "the runtime ran in the container: \(r)")
            if r.status == 0 { ran += 1 } else { refused += 1 }
        }
        #expect(ran + refused == 60)
        #expect(HostState.sha256(Host.binary, s) == before, "the runtime binary changed")
    }

    @Test("from a container sharing the pid namespace, no process's exe (a created init's included) opens for writing or reading")
    func neighbourExe() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let before = HostState.sha256(Host.binary, s)
        s.mountOut()
        s.bundle.config.shell(
            """
            while [ ! -e /srv/go ]; do sleep 0.05; done
            for p in /proc/[0-9]*; do
              n=${p#/proc/}
              ( exec 3>>$p/exe ) 2>/dev/null && echo "OPENED-WRITE $n"
              head -c 4 $p/exe >/dev/null 2>&1 && echo "READ $n"
              echo "SEEN $n"
            done > /srv/report
            touch /srv/done; sleep 100
            """)
        let (_, victimHostPid) = try s.createdInitBesideDetached()
        // Its pid as the attacker sees it: the last NSpid field.
        let nspid = (Host.readFile("/proc/\(victimHostPid)/status") ?? "").lines.first { $0.hasPrefix("NSpid:") }
        let inside = try #require(nspid?.split(separator: "\t").last.map(String.init), "\(String(describing: nspid))")

        _ = FileManager.default.createFile(atPath: s.out + "/go", contents: nil)
        #expect(s.waitForOutFile("done") != nil)
        let report = Host.readFile(s.out + "/report") ?? ""
        #expect(report.lines.contains("SEEN \(inside)"), "the attacker should see the created init: \(report)")
        #expect(!report.lines.contains("OPENED-WRITE \(inside)"), "the created init's exe opened for writing: \(report)")
        #expect(!report.lines.contains("READ \(inside)"), "the created init's exe (the runtime binary) is readable: \(report)")
        #expect(HostState.sha256(Host.binary, s) == before, "the runtime binary changed")
    }

    // MARK: - CVE-2024-21626: descriptors

    /// The container process's descriptors: `ls` exec'd in its place lists them (and the one
    /// it reads the listing with, a /proc/N/fd directory, which is dropped here).
    static let listFDs = "exec ls -l /proc/self/fd"

    static func parseFDs(_ out: String) -> [Int: String] {
        var fds: [Int: String] = [:]
        for line in out.lines {
            guard let arrow = line.range(of: " -> ") else { continue }
            let target = String(line[arrow.upperBound...])
            guard let fd = Int(line[..<arrow.lowerBound].split(separator: " ").last ?? "") else { continue }
            if target.range(of: #"^/proc/[0-9]+/fd$"#, options: .regularExpression) == nil { fds[fd] = target }
        }
        return fds
    }

    @Test(
        "only stdio and --preserve-fds reach the process; a descriptor the caller leaks beyond them does not",
        arguments: LaunchPath.allCases)
    func leakedFDs(how: LaunchPath) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell(Self.listFDs)
        let plain = try launch(s, s.bundle, how)
        #expect(plain.status == 0, "\(plain)")
        #expect(Set(Self.parseFDs(plain.stdout).keys) == [0, 1, 2], "\(plain)")

        // Two descriptors from the caller, only the first preserved.
        let kept = s.dir + "/kept"
        let leaked = s.dir + "/leaked"
        try Host.write(kept, "")
        try Host.write(leaked, "")
        let k = open(kept, O_RDONLY | O_CLOEXEC)
        let l = open(leaked, O_RDONLY | O_CLOEXEC)
        defer { close(k); close(l) }
        let r = try launch(s, s.bundle, how, extra: ["--preserve-fds", "1"], extraFds: [k, l])
        #expect(r.status == 0, "\(r)")
        let fds = Self.parseFDs(r.stdout)
        #expect(Set(fds.keys) == [0, 1, 2, 3], "\(r)")
        #expect(fds[3] == kept, "\(r)")
        for bad in [leaked, s.root, Host.binary, s.bundle.path] {
            #expect(!r.stdout.contains(bad), "\(bad) reached the container: \(r)")
        }
    }

    @Test("process.cwd and args[0] through /proc/self/fd/N never reach the host", arguments: LaunchPath.allCases)
    func procSelfFD(how: LaunchPath) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        // A marker beside the state root: reachable as ../../ from a container's state dir.
        try Host.write(s.dir + "/ESCAPE-MARKER.sh", "#!/bin/sh\necho ESCAPED-VIA-EXEC\n")
        chmod(s.dir + "/ESCAPE-MARKER.sh", 0o755)
        let look = "pwd; for p in . .. ../.. ../../.. ../../../.. ../../../../..; do ls -a $p; done 2>/dev/null"
        for n in 3...12 {
            s.bundle.config["process.cwd"] = "/proc/self/fd/\(n)"
            s.bundle.config.shell(look)
            let r = try launch(s, s.bundle, how)
            #expect(
                !r.stdout.contains("ESCAPE-MARKER") && !r.stdout.contains("(unreachable)"),
                "cwd /proc/self/fd/\(n) reached the host: \(r)")
            if r.status == 0 {
                #expect(r.stdout.lines.first?.hasPrefix("/") == true, "\(r)")
            }
            s.bundle.config["process.cwd"] = "/"
            for depth in 1...3 {
                s.bundle.config.args = ["/proc/self/fd/\(n)/" + String(repeating: "../", count: depth) + "ESCAPE-MARKER.sh"]
                let e = try launch(s, s.bundle, how)
                #expect(!e.stdout.contains("ESCAPED-VIA-EXEC"), "args[0] through /proc/self/fd/\(n) ran a host file: \(e)")
            }
        }
    }

    // MARK: - symlinks in the image (CVE-2021-30465 and the /dev class)

    /// An image variant: files to plant (symlinks start with "->"), config changes.
    struct Image {
        var name: String
        var plant: [String: String]
        /// The create must fail with this wording (runc's) even where the links resolve
        /// inside the rootfs.
        var refusal: String? = nil
        var configure: (inout Config) -> Void
    }

    static func images(sentinel: String, out: String) -> [Image] {
        let up = String(repeating: "../", count: 12)
        return [
            Image(
                name: "mount destinations are absolute and ../ symlinks to a host directory",
                plant: ["mnt/abs": "->" + sentinel, "mnt/rel": "->" + up + sentinel.dropFirst(), "mnt/bindlink": "->" + sentinel]
            ) {
                $0.addMount("/mnt/abs", type: "tmpfs", source: "tmpfs")
                $0.addMount("/mnt/rel/sub", type: "tmpfs", source: "tmpfs")
                $0.addMount("/mnt/bindlink", type: "bind", source: out, options: ["rbind", "rw"])
            },
            Image(
                name: "/dev is a symlink to a host directory", plant: ["dev": "->" + sentinel],
                refusal: "filesystem \"tmpfs\" must be mounted on ordinary directory"
            ) { _ in },
            Image(
                name: "/dev/null is a symlink to a host file (no /dev mount)",
                plant: ["dev/null": "->" + sentinel + "/file", "dev/zero": "->" + up + sentinel.dropFirst() + "/file"]
            ) {
                $0.removeMount("/dev"); $0.removeMount("/dev/pts"); $0.removeMount("/dev/shm"); $0.removeMount("/dev/mqueue")
                $0["linux.devices"] = [
                    ["path": "/dev/null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o666],
                    ["path": "/dev/zero", "type": "c", "major": 1, "minor": 5, "fileMode": 0o666],
                ]
            },
            Image(
                name: "masked and read-only paths are symlinks to host paths",
                plant: [
                    "etc/masked-file": "->" + sentinel + "/file", "etc/masked-dir": "->" + up + sentinel.dropFirst(),
                    "etc/ro-dir": "->" + sentinel,
                ]
            ) {
                $0["linux.maskedPaths"] = ["/etc/masked-file", "/etc/masked-dir", "/proc/kcore"]
                $0["linux.readonlyPaths"] = ["/etc/ro-dir", "/proc/sys"]
            },
            Image(
                name: "/proc is an absolute symlink to a host directory", plant: ["proc": "->" + sentinel],
                refusal: "filesystem \"proc\" must be mounted on ordinary directory"
            ) { _ in },
            Image(
                name: "/proc is a ../ symlink to a host directory", plant: ["proc": "->" + up + sentinel.dropFirst()],
                refusal: "filesystem \"proc\" must be mounted on ordinary directory"
            ) { _ in },
        ]
    }

    @Test("symlinks planted in the image never make the runtime mount, mask, chmod or write outside the rootfs")
    func imageSymlinks() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (sentinel, before) = try HostState.sentinel(in: s)
        // Each image twice: with the link targets missing from the rootfs (dangling inside
        // it: berth may refuse, as long as the host is untouched), and with them present
        // in the rootfs, where the links resolve and the container must run.
        for image in Self.images(sentinel: sentinel, out: s.out) {
            for inRootfs in [false, true] {
                let rootfs = try s.copyRootfs("rootfs-\(s.ids.count)")
                if inRootfs {
                    try FileManager.default.createDirectory(atPath: rootfs + sentinel, withIntermediateDirectories: true)
                    try Host.write(rootfs + sentinel + "/file", "")
                }
                for (path, target) in image.plant {
                    let p = rootfs + "/" + path
                    try? FileManager.default.removeItem(atPath: p)
                    try FileManager.default.createSymbolicLink(atPath: p, withDestinationPath: String(target.dropFirst(2)))
                }
                var config = Config.base(rootfs: rootfs)
                config["root.readonly"] = false
                image.configure(&config)
                config.shell("echo x > /dev/null; echo x > /dev/zero; cat /proc/self/status >/dev/null; echo ran")
                let b = try s.newBundle("b-\(s.ids.count)", config: config)
                try b.write()
                let id = s.newID("img")
                let created = s.berth(["create", "--bundle", b.path, id], stdoutPath: s.io + "/\(id).out")
                // While the container exists, the host's mount table has nothing on the sentinel.
                #expect(Host.hostMounts(containing: sentinel).isEmpty, "\(image.name): \(Host.hostMounts(containing: sentinel))")
                if let refusal = image.refusal, Host.isBerth {
                    #expect(created.status != 0 && created.stderr.contains(refusal), "\(image.name): \(created)")
                } else if inRootfs {
                    #expect(created.status == 0, "\(image.name): \(created)")
                }
                if created.status == 0 {
                    #expect(s.berth(["start", id]).status == 0, "\(image.name)")
                    Host.waitUntil(timeout: 10) { s.status(id) == "stopped" }
                    #expect(Host.readFile(s.io + "/\(id).out") == "ran\n", "\(image.name): \(Host.readFile(s.io + "/\(id).out") ?? "")")
                }
                _ = s.berth(["delete", "--force", id])
                #expect(Host.hostMounts(containing: sentinel).isEmpty, "\(image.name): \(Host.hostMounts(containing: sentinel))")
                #expect(HostState.snapshot(sentinel) == before, "\(image.name): the host sentinel changed: \(HostState.snapshot(sentinel))")
            }
        }
    }

    @Test("a directory swapped for a symlink to the host while containers are created never redirects a mount")
    func swapRace() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let (sentinel, before) = try HostState.sentinel(in: s)
        let rootfs = try s.copyRootfs()
        let mnt = rootfs + "/mnt"
        try FileManager.default.createDirectory(atPath: mnt + "/race/t", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: mnt + "/race/b", withIntermediateDirectories: true)
        // The swapper: the directory and a symlink to the host take turns at /mnt/race.
        let swapper = try Runner.spawn(
            "/bin/sh",
            [
                "-c",
                """
                cd \(mnt) && while :; do
                  mv race race.d 2>/dev/null; ln -s \(sentinel) race 2>/dev/null
                  rm -f race 2>/dev/null; mv race.d race 2>/dev/null
                done
                """,
            ], ioDir: s.io)
        defer { swapper.signal(SIGKILL); _ = swapper.wait(timeout: 5) }
        var config = Config.base(rootfs: rootfs)
        config["root.readonly"] = false
        config.addMount("/mnt/race/t", type: "tmpfs", source: "tmpfs")
        config.addMount("/mnt/race/b", type: "bind", source: s.out, options: ["rbind", "rw"])
        config.shell("true")
        let b = try s.newBundle("race", config: config)
        try b.write()
        var created = 0
        for _ in 0..<25 {
            let id = s.newID("race")
            if s.berth(["create", "--bundle", b.path, id]).status == 0 { created += 1 }
            #expect(Host.hostMounts(containing: sentinel).isEmpty, "\(Host.hostMounts(containing: sentinel))")
            _ = s.berth(["delete", "--force", id])
        }
        swapper.signal(SIGKILL)
        _ = swapper.wait(timeout: 5)
        #expect(created > 0, "no create succeeded at all: the race test tested nothing")
        #expect(Host.hostMounts(containing: sentinel).isEmpty)
        #expect(HostState.snapshot(sentinel) == before, "the host sentinel changed: \(HostState.snapshot(sentinel))")
    }

    // MARK: - /proc and /sys

    @Test("masked and read-only /proc and /sys stay so against remount, umount and new mounts (default capabilities)")
    func procAndSys() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let r = try s.sh(
            """
            try() { "$@" >/dev/null 2>&1; echo "$* => $?"; }
            try mount -o remount,rw /proc/sys
            try mount -o remount,rw /sys
            try umount /proc/kcore
            try umount -l /proc/sys
            try umount /sys/firmware
            try mount -t proc proc /mnt
            try mount -t sysfs sysfs /mnt
            try mount --bind /proc /mnt
            try sh -c 'echo 1 > /proc/sysrq-trigger'
            try sh -c 'echo evil > /proc/sys/kernel/hostname'
            echo "kcore=$(cat /proc/kcore | wc -c)"
            echo "firmware=$(ls -A /sys/firmware | wc -l)"
            echo "keys=$(cat /proc/keys 2>/dev/null | wc -c)"
            grep -E ' /proc/sys | /sys ' /proc/self/mountinfo | awk '{print "mnt " $5 " " $6}'
            """)
        #expect(r.status == 0, "\(r)")
        let attempts = r.stdout.lines.filter { $0.contains(" => ") }
        #expect(attempts.count == 10, "\(r)")
        for line in attempts {
            #expect(!line.hasSuffix(" => 0"), "succeeded from inside: \(line)\n\(r)")
        }
        #expect(r.stdout.contains("kcore=0") && r.stdout.contains("firmware=0") && r.stdout.contains("keys=0"), "\(r)")
        let mounts = r.stdout.lines.filter { $0.hasPrefix("mnt ") }
        #expect(mounts.contains { $0.hasPrefix("mnt /proc/sys ro") }, "\(r)")
        #expect(mounts.contains { $0.hasPrefix("mnt /sys ro") }, "\(r)")
    }

    // MARK: - processes and mounts of others

    @Test("a container sees and signals none of the host's or another container's processes, nor the host's mounts")
    func isolation() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("sleep 300")
        try s.bundle.write()
        let a = s.newID("a")
        let pidFile = s.dir + "/pid-a"
        #expect(s.berth(["run", "-d", "--pid-file", pidFile, "--bundle", s.bundle.path, a]).status == 0)
        let pidA = try #require(Int32(Host.readFile(pidFile) ?? ""))
        let me = getpid()

        let b = try s.newBundle("b")
        b.config.shell(
            """
            echo "pids=$(ls -d /proc/[0-9]* | wc -l)"
            kill -0 \(pidA) 2>/dev/null; echo "seeA=$?"
            kill -9 \(pidA) 2>/dev/null; echo "killA=$?"
            kill -0 \(me) 2>/dev/null; echo "seeHost=$?"
            kill -9 -1 2>/dev/null; echo "killAll=$?"
            awk '{print "mnt " $5}' /proc/self/mountinfo
            """)
        let r = try s.runContainer(b)
        #expect(r.status == 0, "\(r)")
        let out = r.stdout
        // sh, the subshell or ls, and nothing else: at most a few pids, all small.
        let pids = Int(out.lines.first { $0.hasPrefix("pids=") }?.dropFirst(5) ?? "") ?? 99
        #expect(pids <= 4, "\(r)")
        #expect(out.contains("seeA=1") && out.contains("killA=1") && out.contains("seeHost=1"), "\(r)")
        #expect(Host.isAlive(pidA), "the other container's process was killed")
        #expect(s.status(a) == "running")

        // Every mount point inside is one the config asked for: none of the host's.
        let inside = Set(out.lines.filter { $0.hasPrefix("mnt ") }.map { String($0.dropFirst(4)) })
        let configured = Set(
            (b.config["linux.maskedPaths"] as? [String] ?? []) + (b.config["linux.readonlyPaths"] as? [String] ?? [])
                + b.config.mounts.compactMap { $0["destination"] as? String }
        )
        .union(["/", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf"])
        let unexpected = inside.filter { !configured.contains($0) && !$0.hasPrefix("/sys/fs/cgroup/") }
        #expect(!inside.isEmpty && unexpected.isEmpty, "mount points the config did not ask for: \(unexpected.sorted())")
    }
}
