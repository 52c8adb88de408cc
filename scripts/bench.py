"""The benchmark driver of scripts/bench.sh (which prepares the bundle and the runtimes).

    python3 bench.py BERTH RUNC CRUN FLOOR BUNDLE ROOTS TMP N PREFIX HOSTLINE

Runs the floor (FLOOR f, a C program doing by hand what the bundle asks for), berth, crun
and runc on one bundle, interleaved: every round runs each runtime once per measurement
(in an order shuffled from round to round, with a fixed seed),
after three warm-up rounds: `run`, `run` under GNU time (peak RSS, minor page faults),
`run` with a createRuntime hook that reads the runtime's private memory, create+start+delete, exec into a running container, and create, state, start, list, kill,
delete one by one (and once more each under GNU time, with exec, for their peak RSS). For every command it records the wall time and, from wait4's rusage
(the command and the children it waited for), the CPU time. Wall times move with the
machine's load; CPU times, page faults and berth's system call counts (strace, once per
command at the end) move much less, so they are printed too.
An empty RUNC, CRUN or FLOOR, or one that cannot run the bundle, is reported as n/a.
"""
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

DEVNULL = os.open(os.devnull, os.O_RDWR)
STRACE = shutil.which("strace")
TIME = "/usr/bin/time"


def spawn_wait(argv, out_fd=DEVNULL, err_fd=DEVNULL):
    """Runs argv with stdin (and by default stdout, stderr) on /dev/null. Returns
    (exit status, measurement): wall ns and CPU ns (user + system, with the children it
    waited for)."""
    fa = [(os.POSIX_SPAWN_DUP2, DEVNULL, 0), (os.POSIX_SPAWN_DUP2, out_fd, 1),
          (os.POSIX_SPAWN_DUP2, err_fd, 2)]
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=fa)
    _, status, ru = os.wait4(pid, 0)
    t1 = time.perf_counter_ns()
    m = {"wall": t1 - t0, "cpu": int((ru.ru_utime + ru.ru_stime) * 1e9)}
    return os.waitstatus_to_exitcode(status), m


def captured(argv):
    """Runs argv with stdout+stderr in a file (not a pipe: a detached container or a
    runtime's helper process inherits them and would hold a pipe open); returns
    (exit status, output)."""
    with tempfile.TemporaryFile() as f:
        rc, _ = spawn_wait(argv, out_fd=f.fileno(), err_fd=f.fileno())
        f.seek(0)
        return rc, f.read().decode(errors="replace").strip()


def strace_total(path):
    """The number of calls on the `total` line of strace -c's table."""
    with open(path) as f:
        for line in f:
            p = line.split()
            if p and p[-1] == "total":
                return int(p[3])
    return None


def rss(argv, tmp):
    """Peak RSS (kB) and minor page faults of argv under GNU time, which forks it from a
    small process: wait4's ru_maxrss of a process spawned from this one would include
    this Python's own pages, which the child had until its execve."""
    out = os.path.join(tmp, "rss")
    rc, _ = spawn_wait([TIME, "-f", "%M %R", "-o", out] + argv)
    if rc:
        return f"`{' '.join(argv[3:5])}` under time exited {rc}", {}
    with open(out) as f:
        peak, faults = f.read().split()[-2:]
    return None, {"run": {"rss": int(peak), "faults": int(faults)}}


def add(a, b):
    return {k: a.get(k, 0) + b[k] for k in b} if a else dict(b)


# The lifecycle measured command by command (the container runs `sleep`, so `kill` has a
# process to signal): the commands callers such as containerd run for every container.
LIFE = ("create", "state", "start", "list", "kill", "delete")
# What each round measures, in this order.
ALL = ("run", "rss", "anon", "csd", "exec", "life", "lrss", "overlay")


class Local:
    """Runs one runtime's commands in this process's namespaces."""

    def __init__(self, binary, root, bundle, tmp):
        self.binary, self.root, self.bundle, self.tmp = binary, root, bundle, tmp
        self.ids = []
        self.target = None

    def cmd(self, *args):
        return [self.binary, "--root", self.root, *args]

    def check(self, cid):
        """One run and one create/start/delete with output captured: (ok, message)."""
        self.ids.append(cid + "r")
        rc, out = captured(self.cmd("run", "--bundle", self.bundle, cid + "r"))
        if rc != 0:
            return False, f"`run` exited {rc}: {out}"
        self.ids.append(cid + "c")
        for args in (("create", "--bundle", self.bundle, cid + "c"), ("start", cid + "c"),
                     ("delete", "--force", cid + "c")):
            rc, out = captured(self.cmd(*args))
            if rc != 0:
                captured(self.cmd("delete", "--force", cid + "c"))
                return False, f"`{args[0]}` exited {rc}: {out}"
        return True, ""

    def run(self, cid):
        self.ids.append(cid)
        rc, m = spawn_wait(self.cmd("run", "--bundle", self.bundle, cid))
        return (f"`run {cid}` exited {rc}" if rc else None), {"run": m}

    def rss(self, cid):
        self.ids.append(cid)
        return rss(self.cmd("run", "--bundle", self.bundle, cid), self.tmp)

    def anon(self, cid):
        """The runtime's private memory while it creates the container: `run` of the
        bundle whose createRuntime hook copies the Anonymous line of the runtime's
        smaps_rollup into a file named after its pid (peak RSS also counts the pages of
        the executable and libraries it maps, which every process running them shares)."""
        self.ids.append(cid)
        d = os.path.join(os.path.dirname(self.bundle), "anon")
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
        rc, _ = spawn_wait(self.cmd("run", "--bundle", self.bundle + "-anon", cid))
        files = os.listdir(d)
        if rc or len(files) != 1:
            return f"`run {cid}` with the memory hook exited {rc}, {len(files)} reports", {}
        with open(os.path.join(d, files[0])) as f:
            kb = int(f.read().split()[1])
        return None, {"run": {"anon": kb}}

    def overlay(self, cid):
        """berth only: `run` with a volatile copy-on-write layer over the same rootfs."""
        self.ids.append(cid)
        rc, m = spawn_wait(self.cmd("run", "--overlay", "volatile", "--bundle", self.bundle, cid))
        return (f"`run --overlay volatile {cid}` exited {rc}" if rc else None), {"overlay": m}

    def csd(self, cid):
        self.ids.append(cid)
        total = None
        for args in (("create", "--bundle", self.bundle, cid), ("start", cid), ("delete", "--force", cid)):
            rc, m = spawn_wait(self.cmd(*args))
            total = add(total, m)
            if rc:
                spawn_wait(self.cmd("delete", "--force", cid))
                return f"`{args[0]} {cid}` exited {rc}", {}
        return None, {"csd": total}

    def life_argv(self, step, cid):
        return {"create": ("create", "--bundle", self.bundle + "-sleep", cid), "state": ("state", cid),
                "start": ("start", cid), "list": ("list",), "kill": ("kill", cid, "KILL"),
                "delete": ("delete", "--force", cid)}[step]

    def life(self, cid):
        self.ids.append(cid)
        out = {}
        for step in LIFE:
            rc, m = spawn_wait(self.cmd(*self.life_argv(step, cid)))
            if rc:
                spawn_wait(self.cmd("delete", "--force", cid))
                return f"`{step} {cid}` exited {rc}", {}
            out[step] = m
        return None, out

    def lrss(self, cid):
        """Peak RSS (kB) of each lifecycle command and of exec, each under GNU time (a
        separate pass, so that time's own fork does not enter the lifecycle's times)."""
        self.ids.append(cid)
        out = {}
        for step in LIFE:
            err, v = rss(self.cmd(*self.life_argv(step, cid)), self.tmp)
            if err:
                spawn_wait(self.cmd("delete", "--force", cid))
                return err, {}
            out[step] = {"rss": v["run"]["rss"]}
        err = self.ensure_target(cid)
        if not err:
            err, v = rss(self.cmd("exec", self.target, "/bin/true"), self.tmp)
        if err:
            return err, {}
        out["exec"] = {"rss": v["run"]["rss"]}
        return None, out

    def ensure_target(self, cid):
        if self.target:
            return None
        self.target = cid + "-target"
        self.ids.append(self.target)
        rc, out = captured(self.cmd("run", "-d", "--bundle", self.bundle + "-sleep", self.target))
        return f"`run -d {self.target}` exited {rc}: {out}" if rc else None

    def exec(self, cid):
        err = self.ensure_target(cid)
        if err:
            return err, {}
        rc, m = spawn_wait(self.cmd("exec", self.target, "/bin/true"))
        return (f"`exec {self.target} /bin/true` exited {rc}" if rc else None), {"exec": m}

    def syscalls(self, cid):
        """System calls of each command, counted once with strace -f -c. The count stops
        where a traced process execs (-b execve): the container's own process is not
        counted. A `create` is counted until its init execs, which needs a `start`
        (untraced) while strace waits."""
        counts = {}
        out = os.path.join(self.tmp, "strace")

        def traced(name, argv, meanwhile=None):
            if os.path.exists(out):
                os.unlink(out)
            argv = [STRACE, "-f", "-b", "execve", "-c", "-o", out] + argv
            pid = os.posix_spawn(argv[0], argv, os.environ,
                                 file_actions=[(os.POSIX_SPAWN_DUP2, DEVNULL, fd) for fd in (0, 1, 2)])
            if meanwhile:
                meanwhile()
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) == 0:
                counts[name] = strace_total(out)

        def start_when_created(c):
            def go():
                for _ in range(1000):
                    rc, text = captured(self.cmd("state", c))
                    if rc == 0 and '"created"' in text:
                        break
                    time.sleep(0.01)
                spawn_wait(self.cmd("start", c))
            return go

        self.ids += [cid + "r", cid + "c", cid + "s"]
        traced("run", self.cmd("run", "--bundle", self.bundle, cid + "r"))
        c = cid + "c"
        traced("create", self.cmd(*self.life_argv("create", c)), meanwhile=start_when_created(c))
        for step in ("state", "list", "kill", "delete"):
            traced(step, self.cmd(*self.life_argv(step, c)))
        c = cid + "s"
        spawn_wait(self.cmd(*self.life_argv("create", c)))
        traced("start", self.cmd("start", c))
        spawn_wait(self.cmd("delete", "--force", c))
        if not self.ensure_target(cid):
            traced("exec", self.cmd("exec", self.target, "/bin/true"))
        return None, counts

    def cleanup(self):
        # Every id this bench used, whatever `list` says.
        for cid in self.ids:
            spawn_wait(self.cmd("delete", "--force", cid))
        self.ids = []


class Floor:
    """The floor: `mini f` runs the bundle's /bin/true with everything its config asks for
    done by hand. It has no create, start, delete or exec."""

    def __init__(self, binary):
        self.binary = binary

    def check(self, cid):
        rc, out = captured([self.binary, "f"])
        return (rc == 0), f"`mini f` exited {rc}: {out}"

    def run(self, cid):
        rc, m = spawn_wait([self.binary, "f"])
        return (f"`mini f` exited {rc}" if rc else None), {"run": m}

    def rss(self, cid):
        return rss([self.binary, "f"], tempfile.gettempdir())

    def syscalls(self, cid):
        out = tempfile.mktemp()
        rc, _ = spawn_wait([STRACE, "-f", "-b", "execve", "-c", "-o", out, self.binary, "f"])
        counts = {"run": strace_total(out)} if rc == 0 else {}
        if os.path.exists(out):
            os.unlink(out)
        return None, counts

    def cleanup(self):
        pass


def serve(binary, root, bundle, tmp):
    """Helper mode: reads `op id` lines on stdin, answers `ok repr(value)` or `err message`."""
    rt = Local(binary, root, bundle, tmp)
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    for line in sys.stdin:
        op, _, cid = line.strip().partition(" ")
        try:
            if op == "check":
                ok, msg = rt.check(cid)
                reply = "ok {}" if ok else "err " + msg.replace("\n", " | ")
            elif op in ("run", "rss", "anon", "csd", "life", "lrss", "exec", "syscalls"):
                err, v = getattr(rt, op)(cid)
                reply = "err " + err if err else "ok " + repr(v)
            elif op == "cleanup":
                rt.cleanup()
                reply = "ok {}"
            elif op == "quit":
                break
            else:
                reply = "err bad op " + op
        except Exception as e:  # report, keep serving
            reply = f"err {type(e).__name__}: {e}".replace("\n", " | ")
        out.write(reply + "\n")
        out.flush()


class Remote:
    """A runtime whose commands run in a helper inside a private mount namespace where
    /sys/fs/cgroup/unified is unmounted: crun refuses this host's hybrid layout. This is
    what ../shared/tools/floor/crunwrap does, but done once for the whole run, so crun's
    figures do not include an unshare per command."""

    def __init__(self, binary, root, bundle, tmp):
        script = ('if mountpoint -q /sys/fs/cgroup/unified; then '
                  'umount /sys/fs/cgroup/unified || exit 1; fi; exec "$@"')
        self.p = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
             sys.executable, __file__, "serve", binary, root, bundle, tmp],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = self.p.stdout.readline().strip()
        if first != "ready":
            self.p.stdin.close()
            err = self.p.stderr.read().strip()
            self.p.wait()
            raise RuntimeError("namespace helper did not start: " + (first or err or "no output"))

    def ask(self, op, cid=""):
        self.p.stdin.write(f"{op} {cid}\n")
        self.p.stdin.flush()
        reply = self.p.stdout.readline()
        if not reply:
            raise RuntimeError("namespace helper died: " + self.p.stderr.read().strip())
        status, _, value = reply.rstrip("\n").partition(" ")
        return status == "ok", value

    def check(self, cid):
        ok, v = self.ask("check", cid)
        return ok, ("" if ok else v)

    def _measure(self, op, cid):
        ok, v = self.ask(op, cid)
        return (None, eval(v, {})) if ok else (v, {})

    def run(self, cid): return self._measure("run", cid)
    def rss(self, cid): return self._measure("rss", cid)
    def anon(self, cid): return self._measure("anon", cid)
    def csd(self, cid): return self._measure("csd", cid)
    def life(self, cid): return self._measure("life", cid)
    def lrss(self, cid): return self._measure("lrss", cid)
    def exec(self, cid): return self._measure("exec", cid)
    def syscalls(self, cid): return self._measure("syscalls", cid)

    def cleanup(self):
        try:
            self.ask("cleanup")
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
            self.p.wait(timeout=30)
        except Exception:
            self.p.kill()


def main():
    _, berth, runc, crun, floor, bundle, roots, tmp, n, prefix, hostline = sys.argv
    n = int(n)
    # BERTH_BASE: a second berth binary (say, main's) measured in the same rounds, so a
    # change is compared with its baseline within one interleaved run.
    base = os.environ.get("BERTH_BASE", "")
    names = ["floor", "berth"] + (["base"] if base else []) + ["crun", "runc"]
    bins = {"floor": floor, "berth": berth, "base": base, "runc": runc, "crun": crun}
    rts, why = {}, {}
    for name in names:
        if not bins[name]:
            why[name] = "not installed"
            continue
        d = os.path.join(tmp, name)
        os.makedirs(d, exist_ok=True)
        root = os.path.join(roots, name)
        try:
            if name == "floor":
                rts[name] = Floor(bins[name])
            else:
                rts[name] = (Remote if name == "crun" else Local)(bins[name], root, bundle, d)
        except Exception as e:
            why[name] = str(e)

    others = tuple(k for k in ALL if k != "overlay")
    kinds = {"floor": ("run", "rss"), "berth": ALL, "base": others, "crun": others, "runc": others}
    results = {name: {} for name in names}
    syscalls = {}
    try:
        for name in names:
            if name not in rts:
                continue
            ok, msg = rts[name].check(f"{prefix}-{name}-check")
            if not ok:
                why[name] = msg
                print(f"bench: {name} cannot run the bundle: {msg}", file=sys.stderr)
                rts[name].cleanup()
                del rts[name]

        failed = {}
        shuffle = random.Random(12)
        for it in range(-3, n):  # 3 warm-up rounds
            tag = f"w{-it}" if it < 0 else str(it)
            # The order is shuffled each round, so that no runtime always runs right
            # after the same other one: a v1 cgroup join right after another's finds the
            # kernel's RCU sync warm, which biased whoever came second. (Rotating the
            # order kept the neighbours: base, always after berth, showed create's wall
            # time at 0.46-0.6x berth's, against 1.04x in alternating rounds.)
            order = list(names)
            shuffle.shuffle(order)
            for kind in ALL:
                for name in order:
                    if name not in rts or name in failed or kind not in kinds[name]:
                        continue
                    err, v = getattr(rts[name], kind)(f"{prefix}-{name}-{kind}-{tag}")
                    if err:
                        failed[name] = err
                        print(f"bench: {name} failed: {err}", file=sys.stderr)
                        continue
                    if it >= 0:
                        for step, m in v.items():
                            for metric, x in m.items():
                                results[name].setdefault((step, metric), []).append(x)
        for name, err in failed.items():
            why[name] = err
        if STRACE:
            for name in names:
                # runc's init is a re-exec of runc, and crun re-executes itself (from a
                # sealed copy) first thing: -b execve would stop counting there.
                if name in rts and name not in why and name in ("floor", "berth", "base"):
                    err, counts = rts[name].syscalls(f"{prefix}-{name}-strace")
                    if not err:
                        syscalls[name] = counts
    finally:
        for rt in rts.values():
            rt.cleanup()

    def med(name, step, metric):
        values = results[name].get((step, metric))
        if name in why or not values:
            return None
        return statistics.median(values)

    ms = lambda v: f"{v / 1e6:.2f}"
    count = lambda v: f"{v:.0f}"
    steps = [("run", "run"), ("overlay", "run --overlay volatile"), ("csd", "create+start+delete"),
             ("exec", "exec /bin/true")] + [(x, x) for x in LIFE]
    sections = [("wall time (ms)", [(step, "wall", label, ms) for step, label in steps]),
                ("CPU time, user + system (ms)", [(step, "cpu", label, ms) for step, label in steps]),
                ("run: memory", [("run", "rss", "peak RSS (kB)", count), ("run", "anon", "private, at create (kB)", count),
                                 ("run", "faults", "minor page faults", count)]),
                ("peak RSS per command (kB)", [(step, "rss", step, count) for step in (*LIFE, "exec")])]
    print(f"berth bench: `run` of /bin/true and the lifecycle on one busybox bundle, N={n}, medians, interleaved")
    for title, rows in sections:
        print(f"{title:26}" + "".join(f"{name:>8}" for name in names)
              + f"{'berth/floor':>13}{'berth/crun':>12}{'berth/runc':>12}" + (f"{'berth/base':>12}" if base else ""))
        for step, metric, label, fmt in rows:
            v = {name: med(name, step, metric) for name in names}
            cell = lambda x: fmt(x) if x is not None else "-"
            ratio = lambda x, y: f"{x / y:.2f}" if x is not None and y else "-"
            print(f"  {label:24}" + "".join(f"{cell(v[name]):>8}" for name in names)
                  + f"{ratio(v['berth'], v['floor']):>13}{ratio(v['berth'], v['crun']):>12}{ratio(v['berth'], v['runc']):>12}"
                  + (f"{ratio(v['berth'], v['base']):>12}" if base else ""))
    plain, layered = med("berth", "run", "wall"), med("berth", "overlay", "wall")
    if plain is not None and layered is not None:
        cpu_plain, cpu_layered = med("berth", "run", "cpu"), med("berth", "overlay", "cpu")
        print(f"volatile layer: run --overlay volatile costs {(layered - plain) / 1e3:+.0f} us wall, "
              f"{((cpu_layered or 0) - (cpu_plain or 0)) / 1e3:+.0f} us CPU over a plain run (medians)")
    if syscalls:
        print("system calls per command (strace -f -c -b execve: the command and its children until they exec):")
        for name in names:
            if name in syscalls:
                order = ["run", *LIFE, "exec"]
                print(f"  {name:6} " + ", ".join(f"{k} {syscalls[name][k]}" for k in order if k in syscalls[name]))
    print(hostline)
    for name in names:
        if name in why:
            print(f"note: {name} n/a: {why[name]}")
    sys.exit(1 if "berth" in why else 0)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(*sys.argv[2:6])
    else:
        main()
