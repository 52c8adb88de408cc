#!/bin/sh
# Where berth's CPU time goes beyond the floor's, for `run` of /bin/true on the floor's
# bundle: perf records GAP_N runs of each, in turn (cpu-clock samples with call chains), and
# scripts/gap.py puts every sample in a kind of work (user space before or after main, page
# faults, mounts, cgroups, files, the sync protocol, ...) and a process (berth's, or its
# child until exec) and prints the difference kind by kind. An attribution, not a
# benchmark: perf's sampling adds its own cost to every run, so the ratios to quote are
# `make bench`'s.
#
#   BERTH=/path/to/berth [FLOOR_DIR=../shared/tools/floor] [GAP_N=60] sh scripts/gap.sh
#
# Needs root. Installs perf, gcc and busybox-static with apt-get when they are missing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/bench-lib.sh"
: "${BERTH:?set BERTH to the berth binary}"
[ -n "${FLOOR_DIR:-}" ] || FLOOR_DIR=$(default_floor_dir "$here")
N=${GAP_N:-60}
case $N in
    ''|*[!0-9]*|0) echo "gap: GAP_N must be a positive integer" >&2; exit 1 ;;
esac
check_root_and_berth gap
[ -f "$FLOOR_DIR/mini.c" ] || { echo "gap: no floor at FLOOR_DIR=$FLOOR_DIR (mini.c)" >&2; exit 1; }

need=
command -v perf >/dev/null 2>&1 || need="$need linux-perf"
command -v python3 >/dev/null 2>&1 || need="$need python3"
command -v gcc >/dev/null 2>&1 || need="$need gcc libc6-dev"
[ -x /usr/bin/busybox ] || need="$need busybox-static"
# shellcheck disable=SC2086
install_packages gap $need

work=$(mktemp -d /tmp/berth-gap.XXXXXX)
root=$(mktemp -d /run/berth-gap.XXXXXX)
cleanup() {
    for c in $("$BERTH" --root "$root" list -q 2>/dev/null || true); do
        "$BERTH" --root "$root" delete --force "$c" >/dev/null 2>&1 || true
    done
    rm -rf "$work" "$root"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

sh "$FLOOR_DIR/make-bundle.sh" >/dev/null
MINI=/tmp/floor/mini
# The text cached as `make build` and the bench leave it (scripts/hugetext.py).
for b in "$BERTH" "$MINI"; do python3 "$here/hugetext.py" "$b" >/dev/null 2>&1 || true; done

# A process's comm: its executable's name, cut to 15 bytes.
berth_comm=$(basename "$BERTH" | cut -c1-15)
# One loop, berth and the floor in turn, so that both meet the same machine.
cat > "$work/loop.sh" <<EOF
for i in \$(seq $N); do
    "$BERTH" --root "$root" run -b /tmp/floor/bundle gap\$i >/dev/null 2>&1 || exit 1
    "$MINI" f >/dev/null 2>&1 || exit 1
done
EOF
# Warm-up: the binaries, the bundle and the cgroup directories in the caches.
for i in 1 2 3; do
    "$BERTH" --root "$root" run -b /tmp/floor/bundle warm$i >/dev/null 2>&1 || {
        echo "gap: berth cannot run the floor's bundle:" >&2
        "$BERTH" --root "$root" run -b /tmp/floor/bundle warm$i >&2 || true
        exit 1
    }
    "$MINI" f >/dev/null 2>&1 || { echo "gap: the floor (mini f) failed" >&2; exit 1; }
done
perf record -q -F 4999 -g -o "$work/perf.data" -- sh "$work/loop.sh" 2>"$work/perf.err" || {
    echo "gap: perf record failed (or a run in it):" >&2
    cat "$work/perf.err" >&2
    exit 1
}
perf script -i "$work/perf.data" -F comm,pid,period,ip,sym --show-task-events > "$work/perf.txt" 2>/dev/null
echo "host: $(date -u +%Y-%m-%d), kernel $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), --root $root"
python3 "$here/gap.py" "$N" "$work/perf.txt" "$berth_comm" mini
