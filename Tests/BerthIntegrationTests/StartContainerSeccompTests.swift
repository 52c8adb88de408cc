// A startContainer hook runs in the container after the seccomp filter is loaded, so the
// filter applies to it as to the process (runc's order), also with no_new_privileges,
// where the filter is loaded as late as possible.
import Foundation
import Testing

@Suite("startContainer hooks under seccomp")
struct StartContainerSeccompTests {
    func profile(_ action: String) -> [String: Any] {
        [
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [["names": ["mkdir", "mkdirat"], "action": action, "errnoRet": 1]],
        ]
    }

    @Test("a refused syscall fails in the startContainer hook too", arguments: [true, false])
    func errnoInHook(noNewPrivileges: Bool) throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.mountOut()
        s.bundle.config["process.noNewPrivileges"] = noNewPrivileges
        s.bundle.config["linux.seccomp"] = profile("SCMP_ACT_ERRNO")
        s.bundle.config["hooks"] = [
            "startContainer": [
                [
                    "path": "/bin/sh",
                    "args": ["sh", "-c", "mkdir /dev/shm/hook 2>/srv/hook.err; echo $? > /srv/hook.rc"],
                ]
            ]
        ]
        let r = try s.sh("echo ran")
        #expect(r.status == 0 && r.stdout == "ran\n", "\(r)")
        #expect(Host.readFile(s.out + "/hook.rc")?.trimmed == "1", "the hook's mkdir was not filtered")
        #expect(Host.readFile(s.out + "/hook.err")?.contains("Operation not permitted") == true)
    }

    @Test("a hook killed by the filter (SCMP_ACT_KILL) fails the start, and the process never runs")
    func killedHook() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["linux.seccomp"] = profile("SCMP_ACT_KILL")
        s.bundle.config["process.rlimits"] = [["type": "RLIMIT_CORE", "soft": 0, "hard": 0]]
        s.bundle.config["hooks"] = ["startContainer": [["path": "/bin/sh", "args": ["sh", "-c", "mkdir /dev/shm/foo"]]]]
        let r = try s.sh("echo ran")
        #expect(r.status != 0, "\(r)")
        #expect(!r.stdout.contains("ran"), "\(r)")
        #expect(r.stderr.contains("startContainer") || r.stderr.contains("hook"), "\(r)")
    }
}
