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
        // An allow list wide enough for busybox sh and berth's own last steps.
        let allowed = ["read", "write", "openat", "open", "close", "fstat", "newfstatat", "stat", "lstat", "mmap",
                       "munmap", "brk", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "ioctl", "access",
                       "faccessat", "faccessat2", "execve", "exit", "exit_group", "getpid", "getppid", "getuid",
                       "geteuid", "getgid", "getegid", "arch_prctl", "set_tid_address", "prctl", "capget", "capset",
                       "setgroups", "setresuid", "setresgid", "chdir", "close_range", "sendto", "sendmsg", "wait4",
                       "fcntl", "dup2", "dup3", "getcwd", "uname", "clone", "fork", "vfork", "umask", "poll", "ppoll",
                       "futex", "getdents64", "lseek", "readlink", "set_robust_list", "rseq", "prlimit64", "getrandom",
                       "pipe", "pipe2", "statx", "sigaltstack", "mprotect", "writev", "readv", "madvise",
                       "getpgrp", "setpgid", "getpgid", "kill", "tgkill", "nanosleep", "clock_gettime", "clock_nanosleep",
                       "sched_yield", "sethostname"]
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
}
