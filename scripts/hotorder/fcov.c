// Function coverage for the link order (scripts/hotorder.sh): an int3 at the entry of every
// function listed in ARG1 (hex addresses, one per line), then ARG3... runs traced with the
// processes it forks and clones, until each execs another program or exits. The address
// of each function hit is appended to ARG2 the first time. When the command exits, what
// it left running (the init of `create`) gets its code back and goes on untraced.
//
//   fcov FUNCTIONS HITS BINARY ARGS...
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <sys/user.h>
#include <unistd.h>
#include <errno.h>
static pid_t tracees[4096]; static int ntracees;
static void add(pid_t p) { for (int i = 0; i < ntracees; i++) if (tracees[i] == p) return; tracees[ntracees++] = p; }
static void drop(pid_t p) { for (int i = 0; i < ntracees; i++) if (tracees[i] == p) { tracees[i] = tracees[--ntracees]; return; } }
static unsigned long *addr; static unsigned char *orig; static int n;
static int find(unsigned long a) {
    int lo = 0, hi = n - 1;
    while (lo <= hi) { int m = (lo + hi) / 2; if (addr[m] == a) return m; if (addr[m] < a) lo = m + 1; else hi = m - 1; }
    return -1;
}
// Sets the first byte at breakpoint i in p's text to b (0xcc: the breakpoint; orig[i]: the
// code). Returns the byte that was there, or -1 when the address cannot be read.
static int poke(pid_t p, int i, unsigned char b) {
    errno = 0;
    long w = ptrace(PTRACE_PEEKTEXT, p, addr[i], 0);
    if (errno) return -1;
    ptrace(PTRACE_POKETEXT, p, addr[i], (w & ~0xffL) | b);
    return w & 0xff;
}
static int cmp(const void *a, const void *b) { unsigned long x = *(unsigned long *)a, y = *(unsigned long *)b; return x < y ? -1 : x > y; }
int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: fcov FUNCTIONS HITS BINARY ARGS...\n"); return 2; }
    FILE *in = fopen(argv[1], "r");
    if (!in) { perror(argv[1]); return 1; }
    int cap = 1 << 20; addr = malloc(cap * sizeof *addr); orig = malloc(cap);
    while (n < cap && fscanf(in, "%lx", &addr[n]) == 1) n++;
    fclose(in);
    qsort(addr, n, sizeof *addr, cmp);
    int m = 0; for (int i = 0; i < n; i++) if (m == 0 || addr[i] != addr[m - 1]) addr[m++] = addr[i]; n = m;
    char *hit = calloc(n, 1);
    FILE *out = fopen(argv[2], "a");
    pid_t child = fork();
    if (child == 0) { ptrace(PTRACE_TRACEME, 0, 0, 0); raise(SIGSTOP); execv(argv[3], argv + 3); _exit(127); }
    int st; waitpid(child, &st, 0);
    ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL);
    ptrace(PTRACE_CONT, child, 0, 0);
    int execs = 0, live = 1;
    while (live > 0) {
        pid_t p = waitpid(-1, &st, __WALL);
        if (p < 0) { if (errno == EINTR) continue; break; }
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            live--; drop(p);
            if (p == child) {
                // The command is done: whatever it left running (create's init) gets its
                // code back and goes on untraced.
                for (int t = 0; t < ntracees; t++) {
                    pid_t q = tracees[t];
                    kill(q, SIGSTOP);
                    int s2; waitpid(q, &s2, __WALL);
                    // Breakpoints already hit hold their code again: rewriting it is harmless.
                    for (int i = 0; i < n; i++) poke(q, i, orig[i]);
                    ptrace(PTRACE_DETACH, q, 0, 0);
                }
                break;
            }
            continue;
        }
        if (!WIFSTOPPED(st)) continue;
        int sig = WSTOPSIG(st), event = st >> 16;
        if (sig == SIGTRAP && event == PTRACE_EVENT_EXEC) {
            if (p == child && execs++ == 0) {
                for (int i = 0; i < n; i++) {
                    int was = poke(p, i, 0xcc);
                    orig[i] = was < 0 ? 0xcc : (unsigned char)was;
                }
                ptrace(PTRACE_CONT, p, 0, 0); continue;
            }
            ptrace(PTRACE_DETACH, p, 0, 0); live--; drop(p); continue;
        }
        if (sig == SIGTRAP && (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_VFORK)) {
            unsigned long np; ptrace(PTRACE_GETEVENTMSG, p, 0, &np); add((pid_t)np);
            live++; ptrace(PTRACE_CONT, p, 0, 0); continue;
        }
        if (sig == SIGSTOP && event == 0) { ptrace(PTRACE_CONT, p, 0, 0); continue; }
        if (sig == SIGTRAP) {
            struct user_regs_struct r;
            ptrace(PTRACE_GETREGS, p, 0, &r);
            int i = find(r.rip - 1);
            if (i >= 0) {
                poke(p, i, orig[i]);
                r.rip -= 1; ptrace(PTRACE_SETREGS, p, 0, &r);
                if (!hit[i]) { hit[i] = 1; fprintf(out, "%lx\n", addr[i]); }
                ptrace(PTRACE_CONT, p, 0, 0); continue;
            }
            ptrace(PTRACE_CONT, p, 0, sig); continue;
        }
        ptrace(PTRACE_CONT, p, 0, sig);
    }
    fclose(out);
    return 0;
}
