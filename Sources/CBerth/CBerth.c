#define _GNU_SOURCE
#include "CBerth.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/openat2.h>
#include <linux/bpf.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <net/if.h>
#include <sys/capability.h>
#include <unistd.h>

pid_t berth_clone3(uint64_t flags, int *pidfd, int cgroup_fd, int exit_signal) {
    struct clone_args args;
    memset(&args, 0, sizeof(args));
    args.flags = flags | CLONE_PIDFD | CLONE_CLEAR_SIGHAND;
    args.pidfd = (uint64_t)(uintptr_t)pidfd;
    args.exit_signal = (uint64_t)exit_signal;
    if (cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)cgroup_fd;
    }
    return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

int berth_pivot_root(const char *new_root, const char *put_old) {
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}

int berth_setns(int fd, int nstype) { return setns(fd, nstype); }
int berth_unshare(int flags) { return unshare(flags); }

int berth_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = flags;
    how.mode = mode;
    how.resolve = resolve;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

int berth_pidfd_open(pid_t pid, unsigned int flags) {
    return (int)syscall(SYS_pidfd_open, pid, flags);
}

int berth_pidfd_send_signal(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int berth_waitid_pidfd(int pidfd, int options, int *wstatus) {
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED | options) != 0) return -1;
    if (info.si_pid == 0) return 0;
    switch (info.si_code) {
    case CLD_EXITED: *wstatus = (info.si_status & 0xff) << 8; break;
    case CLD_DUMPED: *wstatus = (info.si_status & 0x7f) | 0x80; break;
    default: *wstatus = info.si_status & 0x7f; break;
    }
    return 1;
}

/* struct pidfd_info of <linux/pidfd.h> (Linux 6.15), which this system's headers predate:
   the first 64 bytes (PIDFD_INFO_SIZE_VER0), exit_code included. */
struct berth_pidfd_info {
    uint64_t mask;
    uint64_t cgroupid;
    uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
    int32_t exit_code;
};
#define BERTH_PIDFD_INFO_EXIT (1ULL << 3)
#define BERTH_PIDFD_GET_INFO _IOWR(0xFF, 11, struct berth_pidfd_info)

int berth_pidfd_exit_status(int pidfd, int *wstatus) {
    struct berth_pidfd_info info;
    memset(&info, 0, sizeof(info));
    info.mask = BERTH_PIDFD_INFO_EXIT;
    if (ioctl(pidfd, BERTH_PIDFD_GET_INFO, &info) != 0) return -1;
    if (!(info.mask & BERTH_PIDFD_INFO_EXIT)) return 0;
    *wstatus = info.exit_code;
    return 1;
}

int berth_seccomp_set_filter(unsigned int flags, const void *instructions, unsigned short count) {
    struct { unsigned short len; const void *filter; } prog = { count, instructions };
    return (int)syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, flags, &prog);
}

int berth_memfd(const char *name) {
    return (int)syscall(SYS_memfd_create, name, 1U /* MFD_CLOEXEC */);
}

int berth_execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags) {
    return (int)syscall(SYS_execveat, dirfd, path, argv, envp, flags);
}

int berth_close_range(unsigned int first, unsigned int last, unsigned int flags) {
    return (int)syscall(SYS_close_range, first, last, flags);
}

int berth_fsopen(const char *fsname, unsigned int flags) {
    return (int)syscall(SYS_fsopen, fsname, flags);
}

int berth_fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux) {
    return (int)syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}

int berth_fsmount(int fd, unsigned int flags, unsigned int attr_flags) {
    return (int)syscall(SYS_fsmount, fd, flags, attr_flags);
}

int berth_open_tree(int dirfd, const char *path, unsigned int flags) {
    return (int)syscall(SYS_open_tree, dirfd, path, flags);
}

int berth_move_mount(int from_dirfd, const char *from_path, int to_dirfd, const char *to_path,
                     unsigned int flags) {
    return (int)syscall(SYS_move_mount, from_dirfd, from_path, to_dirfd, to_path, flags);
}

int berth_mount_setattr(int dirfd, const char *path, unsigned int flags, uint64_t attr_set,
                        uint64_t attr_clr, uint64_t propagation, uint64_t userns_fd) {
    struct {
        uint64_t attr_set, attr_clr, propagation, userns_fd;
    } attr = {attr_set, attr_clr, propagation, userns_fd};
    return (int)syscall(SYS_mount_setattr, dirfd, path, flags, &attr, sizeof(attr));
}

int berth_ioctl_int(int fd, unsigned long request, int arg) { return ioctl(fd, request, arg); }
int berth_ioctl_ptr(int fd, unsigned long request, void *arg) { return ioctl(fd, request, arg); }

int berth_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) {
    return prctl(option, a2, a3, a4, a5);
}

int berth_set_winsize(int fd, unsigned short rows, unsigned short cols) {
    struct winsize ws;
    memset(&ws, 0, sizeof(ws));
    ws.ws_row = rows;
    ws.ws_col = cols;
    return ioctl(fd, TIOCSWINSZ, &ws);
}

int berth_send_fd(int sock, int fd, const void *payload, size_t len) {
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof(control));
    struct iovec iov = {.iov_base = (void *)payload, .iov_len = len};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    ssize_t n;
    do { n = sendmsg(sock, &msg, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

int berth_send_fds(int sock, const int *fds, int count, const void *payload, size_t len) {
    if (count < 1 || count > 253) {
        errno = EINVAL;
        return -1;
    }
    char control[CMSG_SPACE(sizeof(int) * 253)];
    memset(control, 0, sizeof(control));
    struct iovec iov = {.iov_base = (void *)payload, .iov_len = len};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)count);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
    memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * (size_t)count);
    ssize_t n;
    do { n = sendmsg(sock, &msg, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

ssize_t berth_recv_fds(int sock, void *payload, size_t cap, int *fds, int cap_fds, int *count) {
    char control[CMSG_SPACE(sizeof(int) * 253)];
    struct iovec iov = {.iov_base = payload, .iov_len = cap};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    *count = 0;
    ssize_t n;
    do { n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
    for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
        int got = (int)((cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < got; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(cmsg) + sizeof(int) * (size_t)i, sizeof(int));
            if (*count < cap_fds) fds[(*count)++] = fd;
            else close(fd);
        }
    }
    return n;
}

ssize_t berth_recv_maybe_fd(int sock, void *payload, size_t cap, int *fd) {
    char control[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = payload, .iov_len = cap};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    *fd = -1;
    ssize_t n;
    do { n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    if (cmsg && cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS)
        memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
    return n;
}

int berth_recv_fd(int sock, void *payload, size_t cap, size_t *len) {
    int fd;
    ssize_t n = berth_recv_maybe_fd(sock, payload, cap, &fd);
    if (n < 0) return -1;
    if (len) *len = (size_t)n;
    if (fd < 0) {
        errno = EBADMSG;
        return -1;
    }
    return fd;
}

static void berth_forwardable(sigset_t *set) {
    sigfillset(set);
    sigdelset(set, SIGKILL);
    sigdelset(set, SIGSTOP);
    sigdelset(set, SIGSEGV);
    sigdelset(set, SIGBUS);
    sigdelset(set, SIGILL);
    sigdelset(set, SIGFPE);
}

int berth_block_signals(sigset_t *old) {
    sigset_t set;
    berth_forwardable(&set);
    return sigprocmask(SIG_BLOCK, &set, old);
}

int berth_signalfd_all(void) {
    sigset_t set;
    berth_forwardable(&set);
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int berth_unblock_all_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    return sigprocmask(SIG_SETMASK, &set, NULL);
}

int berth_reset_signal_handlers(void) {
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        signal(sig, SIG_DFL);
    }
    return 0;
}

int berth_reset_signals(uint64_t mask) {
    /* The kernel's struct sigaction (x86_64, arm64): glibc's sigaction refuses its own
     * internal signals (32, 33), which a caller may have left ignored too. */
    struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } act = { SIG_DFL, 0, NULL, 0 };
    for (int sig = 1; sig <= 64; sig++) {
        if (!(mask & (1ULL << (sig - 1))) || sig == SIGKILL || sig == SIGSTOP) continue;
        syscall(SYS_rt_sigaction, sig, &act, NULL, 8);
    }
    return 0;
}

int berth_join_session_keyring(const char *name) {
    return (int)syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, name, 0, 0, 0);
}

long berth_fstatfs_type(int fd) {
    struct statfs st;
    if (fstatfs(fd, &st) != 0) return -1;
    return (long)st.f_type;
}

int berth_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int berth_setresuid(uid_t r, uid_t e, uid_t s) { return setresuid(r, e, s); }
int berth_setresgid(gid_t r, gid_t e, gid_t s) { return setresgid(r, e, s); }
dev_t berth_makedev(unsigned int major, unsigned int minor) { return makedev(major, minor); }

int berth_bpf_load_device_program(const void *insns, unsigned int count, char *log, unsigned int log_size) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = count;
    attr.license = (uint64_t)(uintptr_t)"Apache";
    attr.log_buf = (uint64_t)(uintptr_t)log;
    attr.log_size = log_size;
    attr.log_level = log_size > 0 ? 1 : 0;
    return (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
}

int berth_bpf_attach_device_program(int cgroup_fd, int prog_fd) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)cgroup_fd;
    attr.attach_bpf_fd = (uint32_t)prog_fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    return (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr));
}

int berth_bpf_query_device_programs(int cgroup_fd, unsigned int *ids, unsigned int *count) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.query.target_fd = (uint32_t)cgroup_fd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
    attr.query.prog_cnt = *count;
    int rc = (int)syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr));
    *count = attr.query.prog_cnt;
    return rc;
}

int berth_bpf_program_fd(unsigned int id) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_id = id;
    attr.open_flags = 0;
    return (int)syscall(SYS_bpf, BPF_PROG_GET_FD_BY_ID, &attr, sizeof(attr));
}

int berth_bpf_replace_device_program(int cgroup_fd, int prog_fd, int old_fd) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)cgroup_fd;
    attr.attach_bpf_fd = (uint32_t)prog_fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI | BPF_F_REPLACE;
    attr.replace_bpf_fd = (uint32_t)old_fd;
    return (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr));
}

int berth_bpf_detach_device_program(int cgroup_fd, int prog_fd) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)cgroup_fd;
    attr.attach_bpf_fd = (uint32_t)prog_fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    return (int)syscall(SYS_bpf, BPF_PROG_DETACH, &attr, sizeof(attr));
}

int berth_loopback_up(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int berth_cap_from_name(const char *name) {
    cap_value_t value;
    if (cap_from_name(name, &value) != 0) return -1;
    return (int)value;
}

int berth_cap_set_proc(const int *effective, int ne, const int *permitted, int np,
                       const int *inheritable, int ni) {
    cap_t caps = cap_init();
    if (!caps) return -1;
    int rc = 0;
    if (ne > 0) rc |= cap_set_flag(caps, CAP_EFFECTIVE, ne, (const cap_value_t *)effective, CAP_SET);
    if (np > 0) rc |= cap_set_flag(caps, CAP_PERMITTED, np, (const cap_value_t *)permitted, CAP_SET);
    if (ni > 0) rc |= cap_set_flag(caps, CAP_INHERITABLE, ni, (const cap_value_t *)inheritable, CAP_SET);
    if (rc == 0) rc = cap_set_proc(caps);
    int saved = errno;
    cap_free(caps);
    errno = saved;
    return rc;
}

const unsigned long berth_TIOCSCTTY = TIOCSCTTY;
const unsigned long berth_TIOCGPTN = TIOCGPTN;
const unsigned long berth_TIOCSPTLCK = TIOCSPTLCK;
const unsigned long berth_TIOCGWINSZ = TIOCGWINSZ;
const unsigned long berth_TIOCSWINSZ = TIOCSWINSZ;

int berth_sched_setaffinity(pid_t pid, const void *mask, size_t len) {
    return (int)syscall(SYS_sched_setaffinity, pid, len, mask);
}

int berth_sched_getaffinity(pid_t pid, void *mask, size_t len) {
    return (int)syscall(SYS_sched_getaffinity, pid, len, mask);
}

int berth_sched_setattr(pid_t pid, uint32_t policy, uint64_t flags, int32_t nice, uint32_t priority,
                        uint64_t runtime, uint64_t deadline, uint64_t period) {
    struct {
        uint32_t size, sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime, sched_deadline, sched_period;
    } attr;
    memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    attr.sched_policy = policy;
    attr.sched_flags = flags;
    attr.sched_nice = nice;
    attr.sched_priority = priority;
    attr.sched_runtime = runtime;
    attr.sched_deadline = deadline;
    attr.sched_period = period;
    return (int)syscall(SYS_sched_setattr, pid, &attr, 0);
}

int berth_ioprio_set(int which, int who, int ioprio) {
    return (int)syscall(SYS_ioprio_set, which, who, ioprio);
}

long berth_set_mempolicy(int mode, const unsigned long *nodemask, unsigned long maxnode) {
    return syscall(SYS_set_mempolicy, mode, nodemask, maxnode);
}

int berth_personality(unsigned long persona) { return personality(persona); }

int berth_fsetxattr(int fd, const char *name, const void *value, size_t size, int flags) {
    return fsetxattr(fd, name, value, size, flags);
}

ssize_t berth_lgetxattr(const char *path, const char *name, void *value, size_t size) {
    return lgetxattr(path, name, value, size);
}

int berth_faccessat2(int dirfd, const char *path, int mode, int flags) {
    return (int)syscall(SYS_faccessat2, dirfd, path, mode, flags);
}

int berth_prlimit(pid_t pid, int resource, uint64_t soft, uint64_t hard) {
    struct rlimit64 limit = { .rlim_cur = soft, .rlim_max = hard };
    return (int)syscall(SYS_prlimit64, pid, resource, &limit, NULL);
}

ssize_t berth_listxattr(const char *path, char *list, size_t size, int follow) {
    return follow ? listxattr(path, list, size) : llistxattr(path, list, size);
}
int berth_setxattr(const char *path, const char *name, const void *value, size_t size, int follow) {
    return follow ? setxattr(path, name, value, size, 0) : lsetxattr(path, name, value, size, 0);
}

/* glibc calls each .init_array function with (argc, argv, envp), in static executables
   too: the argument vector is kept as the program got it. */
static int berth_saved_argc;
static char **berth_saved_argv;

__attribute__((constructor)) static void berth_save_arguments(int argc, char **argv, char **envp) {
    (void)envp;
    berth_saved_argc = argc;
    berth_saved_argv = argv;
}

int berth_argc(void) { return berth_saved_argc; }
char **berth_argv(void) { return berth_saved_argv; }
