// Thin wrappers over Linux syscalls that Glibc does not expose to Swift (or exposes only
// as variadic functions Swift cannot call). No logic lives here.
#ifndef CBERTH_H
#define CBERTH_H

#include <stdint.h>
#include <sys/types.h>
#include <signal.h>

#include "CBerthNetlink.h"

/// clone3 with fork semantics: returns 0 in the child, the child's pid in the parent,
/// -1 with errno set on failure. `pidfd` receives a pidfd for the child (CLONE_PIDFD).
/// `cgroup_fd` >= 0 adds CLONE_INTO_CGROUP.
pid_t berth_clone3(uint64_t flags, int *pidfd, int cgroup_fd, int exit_signal);

int berth_pivot_root(const char *new_root, const char *put_old);
int berth_setns(int fd, int nstype);
int berth_unshare(int flags);
int berth_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);
int berth_pidfd_open(pid_t pid, unsigned int flags);
int berth_pidfd_send_signal(int pidfd, int sig);
/// waitid(P_PIDFD, pidfd, WEXITED | options) on a child: 1 with `*wstatus` in waitpid's
/// encoding once it exited (and is reaped), 0 when WNOHANG finds it running, -1 with errno
/// (ECHILD: not the caller's child).
int berth_waitid_pidfd(int pidfd, int options, int *wstatus);
/// ioctl(PIDFD_GET_INFO) asking for PIDFD_INFO_EXIT (Linux 6.15): 1 with `*wstatus` in
/// waitpid's encoding once the process was reaped (by anyone), 0 while the kernel keeps no
/// exit status for it, -1 with errno (ENOTTY: a kernel without PIDFD_GET_INFO).
int berth_pidfd_exit_status(int pidfd, int *wstatus);
int berth_close_range(unsigned int first, unsigned int last, unsigned int flags);
/// seccomp(SECCOMP_SET_MODE_FILTER, flags, prog) for a classic BPF program of `count`
/// 8-byte instructions; returns the listener fd with SECCOMP_FILTER_FLAG_NEW_LISTENER.
int berth_seccomp_set_filter(unsigned int flags, const void *instructions, unsigned short count);
/// memfd_create(2) with MFD_CLOEXEC.
int berth_memfd(const char *name);
/// execveat(2): with AT_EMPTY_PATH and path "", executes the file `dirfd` refers to.
int berth_execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags);
/// fsetxattr(2) and lgetxattr(2) (sys/xattr.h is not in Glibc's module map).
int berth_fsetxattr(int fd, const char *name, const void *value, size_t size, int flags);
ssize_t berth_lgetxattr(const char *path, const char *name, void *value, size_t size);

/// New mount API (Linux 5.2+).
int berth_fsopen(const char *fsname, unsigned int flags);
int berth_fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux);
int berth_fsmount(int fd, unsigned int flags, unsigned int attr_flags);
int berth_open_tree(int dirfd, const char *path, unsigned int flags);
int berth_move_mount(int from_dirfd, const char *from_path, int to_dirfd, const char *to_path,
                     unsigned int flags);
/// mount_setattr(2) (Linux 5.12+) with a struct mount_attr built from the fields.
int berth_mount_setattr(int dirfd, const char *path, unsigned int flags, uint64_t attr_set,
                        uint64_t attr_clr, uint64_t propagation, uint64_t userns_fd);

/// ioctl and prctl are variadic in libc, which Swift cannot call.
int berth_ioctl_int(int fd, unsigned long request, int arg);
int berth_ioctl_ptr(int fd, unsigned long request, void *arg);
int berth_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
int berth_set_winsize(int fd, unsigned short rows, unsigned short cols);

/// One SCM_RIGHTS message carrying exactly one fd, with `payload` as the data.
int berth_send_fd(int sock, int fd, const void *payload, size_t len);
/// One SCM_RIGHTS message carrying `count` fds (at most 253), with `payload` as the data.
int berth_send_fds(int sock, const int *fds, int count, const void *payload, size_t len);
/// Receives one message that may carry up to `cap_fds` SCM_RIGHTS fds (close-on-exec):
/// returns the byte count (0 at end of stream) and stores the fds and their number.
ssize_t berth_recv_fds(int sock, void *payload, size_t cap, int *fds, int cap_fds, int *count);
/// Receives one fd sent by berth_send_fd; returns the fd, or -1 with errno.
int berth_recv_fd(int sock, void *payload, size_t cap, size_t *len);
/// Receives one message that may carry one SCM_RIGHTS fd: returns the byte count (0 at end
/// of stream) and stores the fd, or -1 when none came, in `fd`; -1 with errno on failure.
ssize_t berth_recv_maybe_fd(int sock, void *payload, size_t cap, int *fd);

/// Signal-mask helpers: sigset_t macros are not importable.
int berth_block_signals(sigset_t *old);
int berth_signalfd_all(void);
int berth_unblock_all_signals(void);
int berth_reset_signal_handlers(void);
/* SIG_DFL for each signal whose bit (signal - 1) is set in mask. */
int berth_reset_signals(uint64_t mask);

/// Constants that are macros Swift cannot import.
extern const unsigned long berth_TIOCSCTTY;
extern const unsigned long berth_TIOCGPTN;
extern const unsigned long berth_TIOCSPTLCK;
extern const unsigned long berth_TIOCGWINSZ;
extern const unsigned long berth_TIOCSWINSZ;

/// keyctl(KEYCTL_JOIN_SESSION_KEYRING, name): a new session keyring named `name`.
int berth_join_session_keyring(const char *name);

/// fstatfs(2)'s f_type (the filesystem magic) of `fd`, or -1 with errno.
long berth_fstatfs_type(int fd);

/// pipe2(O_CLOEXEC).
int berth_pipe_cloexec(int fds[2]);

/// GNU-only identity calls and macros.
int berth_setresuid(uid_t r, uid_t e, uid_t s);
int berth_setresgid(gid_t r, gid_t e, gid_t s);
dev_t berth_makedev(unsigned int major, unsigned int minor);

/// The program's argc and argv as glibc passed them to its constructors (0 and NULL if
/// the program did not start through glibc's start-up).
int berth_argc(void);
char **berth_argv(void);

/// Sets IFF_UP on the loopback interface of the current network namespace.
int berth_loopback_up(void);

/// libcap: the capability number for a name such as "CAP_KILL" (case-insensitive), or -1.
int berth_cap_from_name(const char *name);
/// libcap: sets the effective, permitted and inheritable sets of this process.
int berth_cap_set_proc(const int *effective, int ne, const int *permitted, int np,
                       const int *inheritable, int ni);

/// bpf(BPF_PROG_LOAD) of a BPF_PROG_TYPE_CGROUP_DEVICE program (8-byte instructions);
/// returns the program fd. `log` receives the verifier's log on failure.
int berth_bpf_load_device_program(const void *insns, unsigned int count, char *log, unsigned int log_size);
/// bpf(BPF_PROG_ATTACH) of a device program to a cgroup directory (BPF_F_ALLOW_MULTI).
int berth_bpf_attach_device_program(int cgroup_fd, int prog_fd);
/// bpf(BPF_PROG_QUERY): ids of the device programs attached to the cgroup itself; on
/// return *count is how many there are (at most the capacity passed in).
int berth_bpf_query_device_programs(int cgroup_fd, unsigned int *ids, unsigned int *count);
/// bpf(BPF_PROG_GET_FD_BY_ID).
int berth_bpf_program_fd(unsigned int id);
/// bpf(BPF_PROG_ATTACH) with BPF_F_ALLOW_MULTI | BPF_F_REPLACE: swaps old_fd's program for
/// prog_fd's in one step.
int berth_bpf_replace_device_program(int cgroup_fd, int prog_fd, int old_fd);
/// bpf(BPF_PROG_DETACH) of one device program.
int berth_bpf_detach_device_program(int cgroup_fd, int prog_fd);

/// sched_setaffinity(2)/sched_getaffinity(2) on a raw mask of `len` bytes (the glibc
/// cpu_set_t macros are not importable); getaffinity returns the bytes the kernel wrote.
int berth_sched_setaffinity(pid_t pid, const void *mask, size_t len);
int berth_sched_getaffinity(pid_t pid, void *mask, size_t len);
/// sched_setattr(2) with a struct sched_attr built from the fields (glibc has no wrapper).
int berth_sched_setattr(pid_t pid, uint32_t policy, uint64_t flags, int32_t nice, uint32_t priority,
                        uint64_t runtime, uint64_t deadline, uint64_t period);
/// ioprio_set(2) (glibc has no wrapper).
int berth_ioprio_set(int which, int who, int ioprio);
/// set_mempolicy(2) (glibc has no wrapper; libnuma is not linked).
long berth_set_mempolicy(int mode, const unsigned long *nodemask, unsigned long maxnode);
/// personality(2); returns the previous persona, or -1 with errno.
int berth_personality(unsigned long persona);
/// faccessat2(2): with AT_EACCESS the check uses the effective ids and capabilities.
int berth_faccessat2(int dirfd, const char *path, int mode, int flags);
/// listxattr(2)/setxattr(2); `follow` chooses them over the l* forms that act on a final
/// symlink itself.
ssize_t berth_listxattr(const char *path, char *list, size_t size, int follow);
int berth_setxattr(const char *path, const char *name, const void *value, size_t size, int follow);
/// prlimit(2) setting one limit of `pid`.
int berth_prlimit(pid_t pid, int resource, uint64_t soft, uint64_t hard);

/// Kernel ABI constants glibc hides behind _GNU_SOURCE.
enum {
    BERTH_O_PATH = 010000000,
    BERTH_ST_NODEV = 4,
    BERTH_ST_NOEXEC = 8,
    BERTH_ST_NOATIME = 1024,
    BERTH_ST_NODIRATIME = 2048,
    BERTH_ST_RELATIME = 4096,
    BERTH_ST_NOSYMFOLLOW = 0x2000,
    BERTH_MS_NOSYMFOLLOW = 256,
    BERTH_AT_EMPTY_PATH = 0x1000,
    BERTH_AT_RECURSIVE = 0x8000,
    BERTH_OPEN_TREE_CLONE = 1,
    BERTH_MOVE_MOUNT_F_EMPTY_PATH = 0x04,
    BERTH_MOVE_MOUNT_T_EMPTY_PATH = 0x40,
    BERTH_MOUNT_ATTR_RDONLY = 0x01,
    BERTH_MOUNT_ATTR_NOSUID = 0x02,
    BERTH_MOUNT_ATTR_NODEV = 0x04,
    BERTH_MOUNT_ATTR_NOEXEC = 0x08,
    BERTH_MOUNT_ATTR__ATIME = 0x70,
    BERTH_MOUNT_ATTR_RELATIME = 0x00,
    BERTH_MOUNT_ATTR_NOATIME = 0x10,
    BERTH_MOUNT_ATTR_STRICTATIME = 0x20,
    BERTH_MOUNT_ATTR_NODIRATIME = 0x80,
    BERTH_MOUNT_ATTR_IDMAP = 0x00100000,
    BERTH_MOUNT_ATTR_NOSYMFOLLOW = 0x00200000,
    BERTH_CLOSE_RANGE_CLOEXEC = 4,
    BERTH_RESOLVE_NO_MAGICLINKS = 0x02,
    BERTH_RESOLVE_IN_ROOT = 0x10,
    BERTH_PR_SET_PDEATHSIG = 1,
    BERTH_PR_SET_NO_NEW_PRIVS = 38,
    BERTH_PR_SET_KEEPCAPS = 8,
    BERTH_PR_SET_DUMPABLE = 4,
    BERTH_PR_CAPBSET_DROP = 24,
    BERTH_PR_CAP_AMBIENT = 47,
    BERTH_PR_CAP_AMBIENT_RAISE = 2,
    BERTH_PR_CAP_AMBIENT_CLEAR_ALL = 4,
    BERTH_PROC_SUPER_MAGIC = 0x9fa0,
    BERTH_TMPFS_MAGIC = 0x01021994,
    BERTH_OVERLAYFS_SUPER_MAGIC = 0x794c7630,
    BERTH_IOPRIO_WHO_PGRP = 2,
    BERTH_IOPRIO_CLASS_SHIFT = 13,
    BERTH_AT_EACCESS = 0x200,
    BERTH_FSOPEN_CLOEXEC = 1,
    BERTH_FSCONFIG_SET_FLAG = 0,
    BERTH_FSCONFIG_SET_STRING = 1,
    BERTH_FSCONFIG_CMD_CREATE = 6,
    BERTH_FSMOUNT_CLOEXEC = 1,
};

#endif
