"""Where berth's CPU time goes beyond the floor's: the report of scripts/gap.sh.

    python3 gap.py N PERF_SCRIPT BERTH_COMM FLOOR_COMM

PERF_SCRIPT is `perf script -F comm,pid,period,ip,sym --show-task-events` of N runs of each
(cpu-clock samples with call chains; the runs started one after the other by `sh`). Every
sample is put in one process role and one kind of work, and its period (nanoseconds of CPU)
is added there; the report prints, per run, the runtime's time and the floor's in each kind,
their difference and its share of the whole difference.

The process roles come from perf's fork events and the comm names a pid had: the runtime's
process (started by the loop's shell), its child (the container init until its exec) and
what that child became (the container's process, counted apart). The kind of work comes
from the call chain: user space before or after main, a page fault, the system call it is
in (by the kernel function that does the work where a name alone says little: cgroup files,
namespace creation), or the kernel outside any (scheduling, interrupts).
"""
import collections
import re
import sys

# The kinds of work, in the report's order.
USER_START = "user: start-up before main (libc, Swift runtime)"
USER_MAIN = "user: the program (after main)"
FAULTS = "page faults"
PROCESS = "process: clone/exec/exit/memory calls"
NAMESPACES = "namespaces: creation and teardown"
MOUNTS = "mounts, pivot_root"
CGROUPS = "cgroups: mkdir, limits, join, rmdir, reads"
FILES = "files and directories: open, stat, close, create"
SYNC = "sync and waiting: sockets, signals, poll"
OTHER = "other system calls (prctl, capabilities, ...)"
KERNEL = "kernel: scheduling, syscall entry, interrupts"
ORDER = [USER_START, USER_MAIN, FAULTS, PROCESS, NAMESPACES, MOUNTS, CGROUPS, FILES, SYNC, OTHER, KERNEL]

# Kernel functions whose presence in a call chain says what the work is, checked in order.
BY_FUNCTION = [
    (NAMESPACES, {"create_new_namespaces", "copy_namespaces", "copy_net_ns", "free_nsproxy", "cleanup_net",
                  "put_mnt_ns", "free_ipc_ns"}),
    (CGROUPS, {"cgroup_mkdir", "cgroup_rmdir", "cgroup_attach_task", "__cgroup1_procs_write",
               "__cgroup_procs_write", "kernfs_fop_write_iter", "kernfs_fop_read_iter", "kernfs_iop_mkdir",
               "kernfs_iop_rmdir", "kernfs_iop_lookup", "kernfs_dop_revalidate", "proc_cgroup_show"}),
]
# Otherwise the system call the chain is in says it.
BY_CALL = [
    (MOUNTS, {"mount", "umount", "umount2", "open_tree", "move_mount", "mount_setattr", "fsopen", "fsconfig",
              "fsmount", "pivot_root", "chroot", "unshare", "setns"}),
    (PROCESS, {"clone", "clone3", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "brk", "mmap",
               "munmap", "mprotect", "madvise"}),
    (FILES, {"openat", "openat2", "open", "close", "close_range", "newfstatat", "statx", "fstat", "access",
             "faccessat", "faccessat2", "readlink", "readlinkat", "getdents64", "read", "write", "pread64",
             "pwrite64", "lseek", "fchdir", "chdir", "getcwd", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat",
             "rename", "renameat2", "mknodat", "symlink", "symlinkat", "fsetxattr", "fgetxattr", "flock",
             "fchmod", "fchown", "umask", "fsync", "fdatasync", "ftruncate", "mkfifo", "linkat"}),
    (SYNC, {"sendto", "sendmsg", "recvfrom", "recvmsg", "socketpair", "socket", "poll", "ppoll",
            "pidfd_send_signal", "pidfd_open", "signalfd4", "rt_sigtimedwait", "kill", "pipe2"}),
]

# glibc's static start-up (CPU features and cache sizes through cpuid, IRELATIVE
# relocations, TLS) and the C++ static constructors, for binaries whose call chains do not
# reach main (no frame pointers).
START_UP = {"__libc_start_main", "__libc_start_main_impl", "__libc_start_call_main", "handle_amd",
            "handle_intel", "init_cpu_features", "get_common_indices.constprop.0",
            "update_active.constprop.0", "get_extended_indices.constprop.0", "init_cacheinfo",
            "_dl_relocate_static_pie", "__libc_setup_tls", "_dl_non_dynamic_init", "__libc_init_secure",
            "apply_irel", "_dl_aux_init", "__libc_init_first", "call_init", "_init", "frame_dummy",
            "__tunables_init", "_dl_discover_osversion", "_start"}
ROLES = ["runtime", "its child before exec", "container process"]


def samples(path, forks):
    """(comm, pid, period, [frames innermost first]) of each sample; `forks` gets each
    forked pid's parent (perf's task events)."""
    head, frames = None, []
    with open(path, errors="replace") as f:
        for line in f:
            fork = re.search(r"PERF_RECORD_FORK\((\d+):\d+\):\((\d+):\d+\)", line)
            if fork:
                forks[int(fork.group(1))] = int(fork.group(2))
                continue
            if "PERF_RECORD_" in line:
                continue
            if not line.strip():
                if head:
                    yield head + (frames,)
                head, frames = None, []
                continue
            if head is None:
                m = re.match(r"\s*(\S+)\s+(\d+)\s+(\d+)", line)
                head = (m.group(1), int(m.group(2)), int(m.group(3))) if m else ("?", 0, 0)
            else:
                parts = line.split()
                if len(parts) >= 2:
                    frames.append((parts[0].startswith("ffffffff"), parts[1].split("+")[0]))
    if head:
        yield head + (frames,)


# The kernel inlines many __x64_sys_* entry points into its syscall dispatch; the helper
# each calls names the system call then.
HELPERS = {"do_sys_openat2": "openat", "do_sys_open": "open", "do_mkdirat": "mkdir", "do_rmdir": "rmdir",
           "do_unlinkat": "unlink", "do_faccessat": "access", "do_readlinkat": "readlink",
           "vfs_fstatat": "newfstatat", "do_renameat2": "rename", "do_symlinkat": "symlink",
           "do_mknodat": "mknodat", "do_pipe2": "pipe2", "do_exit": "exit", "do_group_exit": "exit_group",
           "kernel_clone": "clone3", "do_execveat_common": "execve", "do_wait": "waitid"}


def syscall_name(frames):
    """The system call a kernel call chain is in: the outermost frame that names one."""
    for kernel, name in reversed(frames):
        if not kernel:
            continue
        for prefix in ("__x64_sys_", "__do_sys_", "__se_sys_", "ksys_", "__sys_"):
            if name.startswith(prefix):
                return name[len(prefix):]
        if name in HELPERS:
            return HELPERS[name]
    return None


def kind(frames):
    if not frames:
        return KERNEL
    names = {n for _, n in frames}
    if not frames[0][0]:
        if names & {"main", "BerthCLI_main"}:
            return USER_MAIN
        start_up = names & START_UP or any(n.startswith("_GLOBAL__sub_I") for n in names)
        return USER_START if start_up else USER_MAIN
    if names & {"asm_exc_page_fault", "exc_page_fault"}:
        return FAULTS
    for what, functions in BY_FUNCTION:
        if names & functions:
            return what
    call = syscall_name(frames)
    if call is None:
        return KERNEL
    return next((what for what, calls in BY_CALL if call in calls), OTHER)


def tally(path, runtime):
    """{role: {kind: ns}} for the runtime's processes: the one the loop's shell started, its
    child, and what that child became (the loop's shell and seq left out)."""
    forks = {}
    rows = list(samples(path, forks))
    comms = collections.defaultdict(set)
    for comm, pid, _, _ in rows:
        comms[pid].add(comm)
    out = {r: collections.Counter() for r in ROLES}
    for comm, pid, period, frames in rows:
        parent = comms.get(forks.get(pid), set())
        if runtime in parent:
            role = ROLES[1] if comm == runtime else ROLES[2]
        elif runtime in comms[pid] and comm == runtime:
            role = ROLES[0]
        else:
            continue  # the loop's shell, seq, and a shell's fork before its exec
        out[role][kind(frames)] += period
    return out


def main():
    n, path, berth_comm, floor_comm = sys.argv[1:]
    n = int(n)
    b, f = tally(path, berth_comm), tally(path, floor_comm)
    ms = lambda ns: ns / n / 1e6
    runtime_roles = ROLES[:2]
    tb = sum(sum(b[r].values()) for r in runtime_roles)
    tf = sum(sum(f[r].values()) for r in runtime_roles)
    gap = tb - tf
    print(f"CPU per run (ms) of the runtime and its child until exec, {n} runs each, from perf's")
    print("cpu-clock samples (perf's own overhead included); columns: berth, the floor, the")
    print("difference, its share of the whole difference, and the difference in the runtime's")
    print("process and in its child")
    print(f"{'':51}{'berth':>7}{'floor':>7}{'gap':>7}{'share':>7}{'proc':>7}{'child':>7}")
    for what in ORDER:
        vb = sum(b[r][what] for r in runtime_roles)
        vf = sum(f[r][what] for r in runtime_roles)
        share = f"{100 * (vb - vf) / gap:.0f}%" if gap > 0 else "-"
        by_role = "".join(f"{ms(b[r][what] - f[r][what]):+7.2f}" for r in runtime_roles)
        print(f"{what:51}{ms(vb):7.2f}{ms(vf):7.2f}{ms(vb - vf):+7.2f}{share:>7}{by_role}")
    by_role = "".join(f"{ms(sum(b[r].values()) - sum(f[r].values())):+7.2f}" for r in runtime_roles)
    print(f"{'total':51}{ms(tb):7.2f}{ms(tf):7.2f}{ms(gap):+7.2f}{'':>7}{by_role}")
    cb, cf = sum(b[ROLES[2]].values()), sum(f[ROLES[2]].values())
    print(f"{'(the container process, not counted above)':51}{ms(cb):7.2f}{ms(cf):7.2f}{ms(cb - cf):+7.2f}")


if __name__ == "__main__":
    main()
