#!/bin/sh
# Benchmark berth against the floor, crun and runc on the floor's busybox bundle: `run` of
# /bin/true, create+start+delete, exec, and the lifecycle commands one by one.
#
#   BERTH=/path/to/berth [FLOOR_DIR=../shared/tools/floor] [BENCH_N=30] sh scripts/bench.sh
#   BERTH=/path/to/berth FLOOR_DIR= ROOTFS=/abs/busybox/rootfs sh scripts/bench.sh
#   BERTH=new/berth BERTH_BASE=old/berth sh scripts/bench.sh   # a change against its baseline
#
# Needs root. Installs runc, crun, strace and GNU time (and, for the floor, gcc and busybox-static)
# with apt-get when they are missing. The floor (FLOOR_DIR/mini.c: a C program that does by
# hand everything the bundle asks for) is built with its bundle at /tmp/floor/bundle by
# FLOOR_DIR/make-bundle.sh, and every runtime runs that bundle. With an empty FLOOR_DIR the
# bundle is `runc spec`'s default on ROOTFS and the floor is n/a. Each runtime has its own
# --root under /run; all are measured interleaved after 3 warm-up rounds (scripts/bench.py
# says what is measured). crun refuses this host's hybrid cgroup layout (cgroup2 at
# /sys/fs/cgroup/unified), so its commands run in a helper inside a private mount namespace
# with that mount removed; the host's own mounts are never touched. A runtime other than
# berth that cannot run the bundle is reported as n/a. Exit status: 0 when berth ran the
# bundle, 1 when it did not.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/bench-lib.sh"
: "${BERTH:?set BERTH to the berth binary}"
[ -n "${FLOOR_DIR+set}" ] || FLOOR_DIR=$(default_floor_dir "$here")
N=${BENCH_N:-30}
check_root_and_berth bench
case $N in
    ''|*[!0-9]*) echo "bench: BENCH_N must be a positive integer" >&2; exit 1 ;;
esac
[ "$N" -ge 1 ] || { echo "bench: BENCH_N must be >= 1" >&2; exit 1; }
floor=
if [ -n "$FLOOR_DIR" ] && [ -f "$FLOOR_DIR/mini.c" ] && [ -f "$FLOOR_DIR/make-bundle.sh" ]; then
    floor=yes
fi
if [ -z "$floor" ]; then
    : "${ROOTFS:?set ROOTFS to a busybox rootfs (scripts/mkrootfs.sh DIR), or FLOOR_DIR to the floor}"
    case $ROOTFS in
        /*) ;;
        *) ROOTFS=$(cd "$ROOTFS" && pwd) ;;
    esac
    if [ ! -x "$ROOTFS/bin/true" ] && [ ! -L "$ROOTFS/bin/true" ]; then
        echo "bench: ROOTFS=$ROOTFS has no bin/true" >&2
        exit 1
    fi
fi

need=
command -v runc >/dev/null 2>&1 || need="$need runc"
command -v crun >/dev/null 2>&1 || need="$need crun"
command -v strace >/dev/null 2>&1 || need="$need strace"
[ -x /usr/bin/time ] || need="$need time"
command -v python3 >/dev/null 2>&1 || need="$need python3"
if [ -n "$floor" ]; then
    command -v gcc >/dev/null 2>&1 || need="$need gcc libc6-dev"
    [ -x /usr/bin/busybox ] || need="$need busybox-static"
fi
# shellcheck disable=SC2086
install_packages bench $need
RUNC=$(command -v runc || true)
CRUN=$(command -v crun || true)

work=$(mktemp -d /tmp/berth-bench.XXXXXX)
roots=$(mktemp -d /run/berth-bench.XXXXXX)
prefix=bench$$
cleanup() {
    # The driver deletes its containers itself; this catches anything an interrupted
    # driver left behind.
    for rt in berth base runc; do
        case $rt in berth) bin=$BERTH ;; base) bin=${BERTH_BASE:-} ;; runc) bin=$RUNC ;; esac
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
    # berth's volatile layers: a tmpfs it mounts at <root>/.layers where the root is not
    # on one (this host's /run is not), left mounted for the next container.
    for rt in berth base; do
        if mountpoint -q "$roots/$rt/.layers" 2>/dev/null; then umount "$roots/$rt/.layers" || true; fi
    done
    rm -rf "$work" "$roots"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mkdir -p "$roots/berth" "$roots/base" "$roots/runc" "$roots/crun"

if [ -n "$floor" ]; then
    # /tmp/floor/bundle (busybox-static, runc's default config running /bin/true) and
    # /tmp/floor/mini, which is compiled for that path.
    sh "$FLOOR_DIR/make-bundle.sh" >/dev/null
    src=/tmp/floor/bundle
    MINI=/tmp/floor/mini
else
    # `runc spec` defaults (namespaces, mounts, masked and read-only paths) on ROOTFS.
    src=$work/spec
    mkdir -p "$src"
    if [ -n "$RUNC" ]; then (cd "$src" && "$RUNC" spec); else (cd "$src" && "$BERTH" spec); fi
    MINI=
fi
# Every runtime's executable read into the page cache in 2 MB folios where the kernel and
# filesystem allow (scripts/hugetext.py): what `make build` does for berth, done here for
# every binary measured, so that none runs with its text cached another way. A process then
# maps that text with 2 MB entries: fewer page faults, but the whole 2 MB pages count in
# its RSS. BENCH_HUGETEXT=0 leaves the page cache as it is.
hugetext=${BENCH_HUGETEXT:-1}
if [ "$hugetext" != 0 ]; then
    for b in "$BERTH" ${BERTH_BASE:-} ${RUNC:-} ${CRUN:-} ${MINI:-}; do
        python3 "$here/hugetext.py" "$b" || true
    done
fi
# The runtimes' bundle: the same config, non-interactive, running /bin/true, rootfs path
# absolute; beside it the same running `sleep` (the target of exec and of the lifecycle
# steps), and the same with a createRuntime hook that writes the runtime's anonymous
# (private) memory, from its smaps_rollup, to a file named after its pid in $work/anon.
python3 - "$src/config.json" "$work/run/config.json" "$work/run-sleep/config.json" "$work/run-anon/config.json" "$work/anon" "${ROOTFS:-}" <<'EOF'
import json, os, sys
src, dst, dst_sleep, dst_anon, anon, rootfs = sys.argv[1:]
with open(src) as f:
    spec = json.load(f)
root = rootfs or spec["root"]["path"]
if not root.startswith("/"):
    root = os.path.join(os.path.dirname(src), root)
spec["root"]["path"] = root
spec["process"]["terminal"] = False
spec.get("linux", {}).pop("cgroupsPath", None)
os.makedirs(anon, exist_ok=True)
hook = {"path": "/bin/sh", "args": ["sh", "-c", 'grep "^Anonymous:" /proc/$PPID/smaps_rollup > "$0/$PPID"', anon]}
for path, args, hooks in ((dst, ["/bin/true"], None), (dst_sleep, ["sleep", "1000000"], None),
                          (dst_anon, ["/bin/true"], {"createRuntime": [hook]})):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    spec["process"]["args"] = args
    if hooks:
        spec["hooks"] = hooks
    with open(path, "w") as f:
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
version() { "$1" --version 2>/dev/null | sed -n '1s/.*version //p'; }
hostline="host: $(date -u +%Y-%m-%d), kernel $kernel, cgroups $cgmode, --root under $roots ($rootfstype), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg); runc ${RUNC:+$(version "$RUNC")}, crun ${CRUN:+$(version "$CRUN")}, berth binary $(stat -c %s "$BERTH") bytes, text in 2 MB pages $([ "$hugetext" != 0 ] && echo yes || echo no)"

status=0
python3 "$here/bench.py" "$BERTH" "$RUNC" "$CRUN" "$MINI" "$work/run" "$roots" "$work" "$N" "$prefix" "$hostline" || status=$?

# The runtimes' delete (and the floor) should have removed every cgroup they made.
left=$(find /sys/fs/cgroup -maxdepth 4 -name "$prefix-*" 2>/dev/null || true)
if [ -n "$left" ]; then
    echo "warning: cgroup directories left behind by the runtimes:" >&2
    echo "$left" | sed 's/^/  /' >&2
    # Remove them (deepest first) so they do not pile up on the host.
    echo "$left" | sort -r | while read -r d; do rmdir "$d" 2>/dev/null || true; done
fi
exit "$status"
