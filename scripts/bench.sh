#!/bin/sh
# Benchmark berth against runc and crun: `run` of /bin/true on a busybox bundle.
#
#   BERTH=/path/to/berth ROOTFS=/abs/busybox/rootfs [BENCH_N=30] sh scripts/bench.sh
#
# Needs root. Installs runc, crun and GNU time with apt-get when they are missing.
# All three runtimes run the same bundle, each with its own --root under /run, and are
# measured interleaved (berth, runc, crun, berth, ...) after 3 warm-up rounds:
#   - wall time of `run` (foreground, /bin/true),
#   - wall time of `create` + `start` + `delete --force`,
#   - peak RSS of the `run` process (GNU time %M, kB; includes waited-for children),
#   - wall time of `exec ID /bin/true` into a running container (one per runtime).
# crun refuses this host's hybrid cgroup layout (cgroup2 at /sys/fs/cgroup/unified), so
# its commands run in a helper inside a private mount namespace with that mount removed;
# the host's own mounts are never touched. A runtime other than berth that cannot run the
# bundle is reported as n/a. Exit status: 0 when berth ran the bundle, 1 when it did not.
set -eu

: "${BERTH:?set BERTH to the berth binary}"
: "${ROOTFS:?set ROOTFS to a busybox rootfs (scripts/mkrootfs.sh DIR)}"
N=${BENCH_N:-30}

if [ "$(id -u)" -ne 0 ]; then
    echo "bench: must run as root" >&2
    exit 1
fi
case $ROOTFS in
    /*) ;;
    *) ROOTFS=$(cd "$ROOTFS" && pwd) ;;
esac
case $BERTH in
    /*) ;;
    *) BERTH=$(cd "$(dirname "$BERTH")" && pwd)/$(basename "$BERTH") ;;
esac
if [ ! -x "$BERTH" ]; then
    echo "bench: BERTH=$BERTH is not an executable" >&2
    exit 1
fi
if [ ! -x "$ROOTFS/bin/true" ] && [ ! -L "$ROOTFS/bin/true" ]; then
    echo "bench: ROOTFS=$ROOTFS has no bin/true" >&2
    exit 1
fi
case $N in
    ''|*[!0-9]*) echo "bench: BENCH_N must be a positive integer" >&2; exit 1 ;;
esac
[ "$N" -ge 1 ] || { echo "bench: BENCH_N must be >= 1" >&2; exit 1; }

need=
command -v runc >/dev/null 2>&1 || need="$need runc"
command -v crun >/dev/null 2>&1 || need="$need crun"
[ -x /usr/bin/time ] || need="$need time"
command -v python3 >/dev/null 2>&1 || need="$need python3"
if [ -n "$need" ]; then
    echo "bench: installing$need" >&2
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y $need >/dev/null 2>&1 || {
        apt-get update >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y $need >/dev/null
    }
fi
RUNC=$(command -v runc || true)
CRUN=$(command -v crun || true)

work=$(mktemp -d /tmp/berth-bench.XXXXXX)
roots=$(mktemp -d /run/berth-bench.XXXXXX)
prefix=bench$$
cleanup() {
    # The driver deletes its containers itself; this catches anything an interrupted
    # driver left behind.
    for rt in berth runc; do
        case $rt in berth) bin=$BERTH ;; runc) bin=$RUNC ;; esac
        [ -n "$bin" ] && [ -d "$roots/$rt" ] || continue
        for c in $("$bin" --root "$roots/$rt" list -q 2>/dev/null || true); do
            "$bin" --root "$roots/$rt" delete --force "$c" >/dev/null 2>&1 || true
        done
    done
    if [ -n "$CRUN" ] && [ -d "$roots/crun" ] && [ -n "$(ls -A "$roots/crun" 2>/dev/null)" ]; then
        unshare -m --propagation private sh -c '
            if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi
            for c in $("$0" --root "$1" list -q 2>/dev/null); do
                "$0" --root "$1" delete --force "$c" >/dev/null 2>&1
            done; true' "$CRUN" "$roots/crun" || true
    fi
    rm -rf "$work" "$roots"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mkdir -p "$roots/berth" "$roots/runc" "$roots/crun" "$work/bundle"

# The bundle: `runc spec` defaults (namespaces, mounts, masked and read-only paths),
# made non-interactive, pointed at ROOTFS, running /bin/true.
if [ -n "$RUNC" ]; then
    (cd "$work/bundle" && "$RUNC" spec)
else
    (cd "$work/bundle" && "$BERTH" spec)
fi
python3 - "$work/bundle/config.json" "$ROOTFS" <<'EOF'
import json, sys
path, rootfs = sys.argv[1], sys.argv[2]
with open(path) as f:
    spec = json.load(f)
spec["process"]["terminal"] = False
spec["process"]["args"] = ["/bin/true"]
spec["root"] = {"path": rootfs, "readonly": True}
spec.get("linux", {}).pop("cgroupsPath", None)
with open(path, "w") as f:
    json.dump(spec, f, indent=2)
# The same bundle, running until deleted: the target of the exec measurement.
import os
os.makedirs(os.path.dirname(path) + "-sleep", exist_ok=True)
spec["process"]["args"] = ["sleep", "1000000"]
with open(os.path.dirname(path) + "-sleep/config.json", "w") as f:
    json.dump(spec, f, indent=2)
EOF

# Host facts.
kernel=$(uname -r)
cgfs=$(stat -f -c %T /sys/fs/cgroup 2>/dev/null || echo unknown)
if [ "$cgfs" = cgroup2fs ]; then
    cgmode=v2
elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null || true)" = cgroup2fs ]; then
    cgmode=hybrid
else
    cgmode=v1
fi
rootfstype=$(findmnt -n -o FSTYPE -T "$roots" 2>/dev/null || stat -f -c %T "$roots")

cat > "$work/driver.py" <<'EOF'
import os, statistics, subprocess, sys, tempfile, time

DEVNULL = os.open(os.devnull, os.O_RDWR)
TIME = "/usr/bin/time"

def spawn_wait(argv, out_fd=DEVNULL, err_fd=DEVNULL):
    """Runs argv with stdin (and by default stdout, stderr) on /dev/null; returns
    (exit status, elapsed ns)."""
    fa = [(os.POSIX_SPAWN_DUP2, DEVNULL, 0), (os.POSIX_SPAWN_DUP2, out_fd, 1),
          (os.POSIX_SPAWN_DUP2, err_fd, 2)]
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=fa)
    _, status = os.waitpid(pid, 0)
    t1 = time.perf_counter_ns()
    return os.waitstatus_to_exitcode(status), t1 - t0

def captured(argv):
    """Runs argv with stdout+stderr in a file (not a pipe: a detached container or a
    runtime's helper process inherits them and would hold a pipe open); returns
    (exit status, output)."""
    with tempfile.TemporaryFile() as f:
        rc, _ = spawn_wait(argv, out_fd=f.fileno(), err_fd=f.fileno())
        f.seek(0)
        return rc, f.read().decode(errors="replace").strip()

class Local:
    """Runs one runtime's commands in this process's namespaces."""
    def __init__(self, binary, root, bundle, tmp):
        self.binary, self.root, self.bundle, self.tmp = binary, root, bundle, tmp
        self.ids = []

    def cmd(self, *args):
        return [self.binary, "--root", self.root, *args]

    def check(self, cid):
        """One run and one create/start/delete with stderr captured: (ok, message)."""
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
        rc, ns = spawn_wait(self.cmd("run", "--bundle", self.bundle, cid))
        return (f"`run {cid}` exited {rc}" if rc else None), ns

    def csd(self, cid):
        self.ids.append(cid)
        total = 0
        for args in (("create", "--bundle", self.bundle, cid), ("start", cid), ("delete", "--force", cid)):
            rc, ns = spawn_wait(self.cmd(*args))
            total += ns
            if rc:
                spawn_wait(self.cmd("delete", "--force", cid))
                return f"`{args[0]} {cid}` exited {rc}", total
        return None, total

    def rss(self, cid):
        self.ids.append(cid)
        out = os.path.join(self.tmp, "rss")
        rc, _ = spawn_wait([TIME, "-f", "%M", "-o", out] + self.cmd("run", "--bundle", self.bundle, cid))
        if rc:
            return f"`run {cid}` under time exited {rc}", 0
        with open(out) as f:
            return None, int(f.read().split()[-1])

    def exec(self, cid):
        if not getattr(self, "target", None):
            self.target = cid + "-target"
            self.ids.append(self.target)
            rc, out = captured(self.cmd("run", "-d", "--bundle", self.bundle + "-sleep", self.target))
            if rc:
                return f"`run -d {self.target}` exited {rc}: {out}", 0
        rc, ns = spawn_wait(self.cmd("exec", self.target, "/bin/true"))
        return (f"`exec {self.target} /bin/true` exited {rc}" if rc else None), ns

    def cleanup(self):
        # Every id this bench used, whatever `list` says.
        for cid in self.ids:
            spawn_wait(self.cmd("delete", "--force", cid))
        self.ids = []

def serve(binary, root, bundle, tmp):
    """Helper mode: reads `op id` lines on stdin, answers `ok value` or `err message`."""
    rt = Local(binary, root, bundle, tmp)
    out = sys.stdout
    out.write("ready\n"); out.flush()
    for line in sys.stdin:
        op, _, cid = line.strip().partition(" ")
        try:
            if op == "check":
                ok, msg = rt.check(cid)
                reply = "ok 0" if ok else "err " + msg.replace("\n", " | ")
            elif op in ("run", "csd", "rss", "exec"):
                err, v = getattr(rt, op)(cid)
                reply = "err " + err if err else f"ok {v}"
            elif op == "cleanup":
                rt.cleanup(); reply = "ok 0"
            elif op == "quit":
                break
            else:
                reply = "err bad op " + op
        except Exception as e:  # report, keep serving
            reply = f"err {type(e).__name__}: {e}".replace("\n", " | ")
        out.write(reply + "\n"); out.flush()

class Remote:
    """A runtime whose commands run in a helper inside a private mount namespace where
    /sys/fs/cgroup/unified is unmounted (crun refuses the hybrid layout)."""
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
        self.p.stdin.write(f"{op} {cid}\n"); self.p.stdin.flush()
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
        return (None, int(v)) if ok else (v, 0)

    def run(self, cid): return self._measure("run", cid)
    def csd(self, cid): return self._measure("csd", cid)
    def rss(self, cid): return self._measure("rss", cid)
    def exec(self, cid): return self._measure("exec", cid)

    def cleanup(self):
        try:
            self.ask("cleanup")
            self.p.stdin.write("quit\n"); self.p.stdin.flush()
            self.p.wait(timeout=30)
        except Exception:
            self.p.kill()

def main():
    _, berth, runc, crun, roots, bundle, tmp, n, prefix, hostline = sys.argv
    n = int(n)
    names = ["berth", "runc", "crun"]
    bins = {"berth": berth, "runc": runc, "crun": crun}
    rts, why = {}, {}
    for name in names:
        if not bins[name]:
            why[name] = "not installed"
            continue
        d = os.path.join(tmp, name); os.makedirs(d, exist_ok=True)
        root = os.path.join(roots, name)
        try:
            rts[name] = (Remote if name == "crun" else Local)(bins[name], root, bundle, d)
        except Exception as e:
            why[name] = str(e)

    results = {name: {"run": [], "csd": [], "rss": [], "exec": []} for name in names}
    try:
        for name in names:
            if name not in rts:
                continue
            ok, msg = rts[name].check(f"{prefix}-{name}-check")
            if not ok:
                why[name] = msg
                print(f"bench: {name} cannot run the bundle: {msg}", file=sys.stderr)
                if name == "crun":
                    rts[name].cleanup()
                del rts[name]

        failed = {}
        for it in range(-3, n):  # 3 warm-up rounds
            tag = f"w{-it}" if it < 0 else str(it)
            for name in names:
                if name not in rts or name in failed:
                    continue
                rt = rts[name]
                for kind in ("run", "csd", "rss", "exec"):
                    err, v = getattr(rt, kind)(f"{prefix}-{name}-{kind}-{tag}")
                    if err:
                        failed[name] = err
                        print(f"bench: {name} failed: {err}", file=sys.stderr)
                        break
                    if it >= 0:
                        results[name][kind].append(v)
        for name, err in failed.items():
            why[name] = err
    finally:
        for rt in rts.values():
            rt.cleanup()

    def med(name, kind):
        if name in why or not results[name][kind]:
            return None
        m = statistics.median(results[name][kind])
        return m / 1e6 if kind != "rss" else m

    print(f"berth bench: run of /bin/true on a busybox bundle (N={n}, median, interleaved)")
    print(f"{'':25}{'berth':>8}{'crun':>10}{'runc':>10}{'berth/crun':>13}{'berth/runc':>12}")
    for kind, label, fmt in (("run", "run (ms)", "{:.2f}"),
                             ("csd", "create+start+delete (ms)", "{:.2f}"),
                             ("rss", "peak RSS (kB)", "{:.0f}"),
                             ("exec", "exec /bin/true (ms)", "{:.2f}")):
        b, c, r = med("berth", kind), med("crun", kind), med("runc", kind)
        cell = lambda v: fmt.format(v) if v is not None else "n/a"
        ratio = lambda x, y: f"{x / y:.2f}" if x is not None and y else "n/a"
        print(f"{label:25}{cell(b):>8}{cell(c):>10}{cell(r):>10}{ratio(b, c):>13}{ratio(b, r):>12}")
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
EOF

hostline="host: kernel $kernel, cgroups $cgmode, --root dirs under $roots ($rootfstype), $(nproc) cpus; runc $("${RUNC:-true}" --version 2>/dev/null | sed -n '1s/.*version //p'), crun $("${CRUN:-true}" --version 2>/dev/null | sed -n '1s/.*version //p')"

status=0
python3 "$work/driver.py" "$BERTH" "$RUNC" "$CRUN" "$roots" "$work/bundle" "$work" "$N" "$prefix" "$hostline" || status=$?

# The runtimes' delete should have removed every cgroup they made.
left=$(find /sys/fs/cgroup -maxdepth 4 -name "$prefix-*" 2>/dev/null || true)
if [ -n "$left" ]; then
    echo "warning: cgroup directories left behind by the runtimes:" >&2
    echo "$left" | sed 's/^/  /' >&2
    # Remove them (deepest first) so they do not pile up on the host.
    echo "$left" | sort -r | while read -r d; do rmdir "$d" 2>/dev/null || true; done
fi
exit "$status"
