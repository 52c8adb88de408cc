// linux.seccomp through libseccomp: a rule's action is seen from inside the container.
import Foundation
import Testing

@Suite("Seccomp")
struct SeccompTests {
    func profile(defaultAction: String = "SCMP_ACT_ALLOW") -> [String: Any] {
        [
            "defaultAction": defaultAction,
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [
                ["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1],
                // Only one argument value is refused: umask(0o077) fails, umask(0o022) works.
                ["names": ["chmod", "fchmodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13],
            ],
        ]
    }

    @Test("an errno rule refuses the syscall and the filter is active, with no_new_privileges")
    func errnoRuleLate() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["linux.seccomp"] = profile()
        s.bundle.config["process.noNewPrivileges"] = true
        let r = try s.sh("grep ^Seccomp: /proc/self/status; mkdir /tmp/x 2>&1; echo mkdir=$?; chmod 600 /etc/passwd 2>&1; echo chmod=$?; echo alive")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("Seccomp:\t2"), "\(r)")
        #expect(r.stdout.contains("mkdir=1"), "\(r)")
        #expect(r.stdout.contains("Operation not permitted"), "\(r)")
        #expect(r.stdout.contains("Permission denied") || r.stdout.contains("Read-only"), "\(r)")
        #expect(r.stdout.contains("alive"), "\(r)")
    }

    @Test("the filter also loads without no_new_privileges (before the privilege drop)")
    func errnoRuleEarly() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["linux.seccomp"] = profile()
        s.bundle.config["process.noNewPrivileges"] = false
        let r = try s.sh("grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; mkdir /tmp/x 2>&1; echo mkdir=$?")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("Seccomp:\t2"), "\(r)")
        #expect(r.stdout.contains("NoNewPrivs:\t0"), "\(r)")
        #expect(r.stdout.contains("mkdir=1"), "\(r)")
    }

    @Test("a default errno profile that allows what the process needs")
    func allowList() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        var p = profile(defaultAction: "SCMP_ACT_ERRNO")
        p["defaultErrnoRet"] = 38
        // An allow list wide enough for busybox sh and berth's own last steps, with newer
        // syscalls than the ENOSYS test's list.
        let allowed = Self.allowList + ["faccessat2", "close_range", "rseq", "getrandom", "statx", "sethostname"]
        var syscalls = p["syscalls"] as! [[String: Any]]
        syscalls.append(["names": allowed, "action": "SCMP_ACT_ALLOW"])
        p["syscalls"] = syscalls
        s.bundle.config["linux.seccomp"] = p
        s.bundle.config["process.noNewPrivileges"] = true
        let r = try s.sh("echo allowed; rmdir /tmp/none 2>&1; echo rmdir=$?; echo done")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("allowed"), "\(r)")
        // rmdir is neither allowed nor ruled: the default errno (ENOSYS) answers.
        #expect(r.stdout.contains("rmdir=1"), "\(r)")
        #expect(r.stdout.contains("not implemented"), "\(r)")
        #expect(r.stdout.contains("done"), "\(r)")
    }

    @Test("rules that repeat the default action are skipped (several of them), the others still apply")
    func redundantRules() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        var p = profile(defaultAction: "SCMP_ACT_ALLOW")
        var syscalls = p["syscalls"] as! [[String: Any]]
        // Three rules that say what the default says: libseccomp refuses each (EACCES).
        syscalls.append(["names": ["getpid", "socket"], "action": "SCMP_ACT_ALLOW"])
        syscalls.append(["names": ["uname"], "action": "SCMP_ACT_ALLOW"])
        syscalls.append(["names": ["getcwd", "socketcall"], "action": "SCMP_ACT_ALLOW"])
        p["syscalls"] = syscalls
        s.bundle.config["linux.seccomp"] = p
        let r = try s.sh("uname -s; mkdir /tmp/x 2>&1; echo mkdir=$?")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("Linux") && r.stdout.contains("mkdir=1"), "\(r)")
        #expect(r.stdout.contains("Operation not permitted"), "\(r)")

        // The same with a default errno action and errno rules that repeat it.
        s.bundle.config["linux.seccomp"] = [
            "defaultAction": "SCMP_ACT_ERRNO",
            "syscalls": [
                ["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"],
                ["names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1],
                ["names": Self.allowList, "action": "SCMP_ACT_ALLOW"],
            ],
        ]
        s.bundle.config["process.noNewPrivileges"] = true
        let e = try s.sh("mkdir /tmp/y 2>&1; echo mkdir=$?")
        #expect(e.status == 0, "\(e)")
        #expect(e.stdout.contains("mkdir=1") && e.stdout.contains("Operation not permitted"), "\(e)")
    }

    /// What busybox sh, its applets used here and berth's last steps need; the highest
    /// of them is prlimit64 (302 on x86_64).
    static let allowList = [
        "read", "write", "openat", "open", "close", "fstat", "newfstatat", "stat", "lstat", "mmap", "munmap", "brk",
        "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "ioctl", "access", "faccessat", "execve", "exit",
        "exit_group", "getpid", "getppid", "getuid", "geteuid", "getgid", "getegid", "arch_prctl", "set_tid_address",
        "prctl", "capget", "capset", "setgroups", "setresuid", "setresgid", "chdir", "sendto", "sendmsg", "wait4",
        "fcntl", "dup2", "dup3", "getcwd", "uname", "clone", "fork", "vfork", "umask", "poll", "ppoll", "futex",
        "getdents64", "lseek", "readlink", "set_robust_list", "prlimit64", "pipe", "pipe2", "sigaltstack",
        "mprotect", "writev", "readv", "madvise", "getpgrp", "setpgid", "getpgid", "kill", "tgkill", "nanosleep",
        "clock_gettime", "clock_nanosleep", "sched_yield",
    ]

    @Test("a syscall newer than every one the profile names gets ENOSYS, an older unlisted one the default errno")
    func enosysForNewSyscalls() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["linux.seccomp"] = [
            "defaultAction": "SCMP_ACT_ERRNO",
            "defaultErrnoRet": 13,
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [["names": Self.allowList, "action": "SCMP_ACT_ALLOW"]],
        ]
        s.bundle.config["process.noNewPrivileges"] = true
        // setns (308) is above prlimit64 (302): ENOSYS, as for a syscall the profile's
        // author could not know. rmdir (84) is below it and unlisted: the default EACCES.
        let r = try s.sh("nsenter -t 1 -u true 2>&1; rmdir /tmp 2>&1; echo done")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("setns(): can't reassociate to namespace 'uts': Function not implemented"), "\(r)")
        #expect(r.stdout.contains("rmdir: '/tmp': Permission denied"), "\(r)")
        #expect(r.stdout.contains("done"), "\(r)")

        // A permissive default needs no stub: the syscall reaches the kernel (which
        // refuses setns without CAP_SYS_ADMIN).
        s.bundle.config["linux.seccomp"] = [
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [["names": ["mkdir"], "action": "SCMP_ACT_ERRNO"]],
        ]
        let a = try s.sh("nsenter -t 1 -u true 2>&1; echo done")
        #expect(a.status == 0 && a.stdout.contains("Operation not permitted") && !a.stdout.contains("not implemented"), "\(a)")
    }
}
