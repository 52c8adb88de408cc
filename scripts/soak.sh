#!/bin/sh
# Soak: N sequential `run` and N create/start/delete of a busybox bundle, then the host is
# compared with how it was before (issue 11, item 5).
#
#   sh scripts/soak.sh BERTH ROOTFS [N]        (make soak: N=1000; make test: N=100)
#
# Checked (exact, since they count only what belongs to the soak): the soak's own state
# root is empty; no cgroup directory is left under its own cgroup parent in any
# hierarchy; no host mount names its directory or the rootfs; no live process is left in
# its cgroups; the descriptors berth holds while a container runs (sampled every 50th run) and
# those the container's process sees are the same at the end as at the start.
# Reported (host-wide, so only meaningful on a quiet machine, where they must not grow):
# the host's mount count and the kernel's count of network namespaces.
set -eu
BERTH=$1
ROOTFS=$2
N=${3:-1000}
TMP=$(mktemp -d /tmp/berth-soak-XXXXXX)
ROOT=$TMP/root
TAG=$(basename "$TMP" | tr 'A-Z' 'a-z')
PARENT=/$TAG
CGMOUNTS=$(awk '$0 ~ / - cgroup2? / {print $5}' /proc/self/mountinfo)
fail=0

cleanup() {
    for id in $("$BERTH" --root "$ROOT" list -q 2>/dev/null); do "$BERTH" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true; done
    for mp in $CGMOUNTS; do rmdir "$mp$PARENT" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# The soak's own cgroup parent in every hierarchy (cpuset: with its parent's cpus/mems).
for mp in $CGMOUNTS; do
    mkdir -p "$mp$PARENT"
    if [ -f "$mp$PARENT/cpuset.cpus" ]; then
        cat "$mp/cpuset.cpus" > "$mp$PARENT/cpuset.cpus"; cat "$mp/cpuset.mems" > "$mp$PARENT/cpuset.mems"
    fi
done

bundle() {  # bundle DIR SCRIPT
    mkdir -p "$1"
    (cd "$1" && "$BERTH" spec)
    python3 - "$1/config.json" "$ROOTFS" "$2" "$PARENT" <<'PY'
import json, sys
path, rootfs, script, parent = sys.argv[1:]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", script]
c["root"] = {"path": rootfs, "readonly": True}
c["linux"]["cgroupsPath"] = parent + "/ctr"
# runc's default spec asks for ambient capabilities it has no inheritable set for: berth
# warns (as runc 1.2 does), and the output compared here must be the container's own.
c["process"].get("capabilities", {}).pop("ambient", None)
json.dump(c, open(path, "w"))
PY
}
# Every container prints how many descriptors its process has.
bundle "$TMP/quick" 'ls /proc/self/fd | wc -l'
bundle "$TMP/slow" 'ls /proc/self/fd | wc -l; sleep 0.3'

cgroup_dirs() { for mp in $CGMOUNTS; do find "$mp$PARENT" -mindepth 1 -type d 2>/dev/null; done | wc -l; }
own_mounts() { grep -c -e "$TMP" -e "$ROOTFS" /proc/self/mountinfo || true; }
netns_count() { awk '$1 == "net_namespace" {print $2}' /proc/slabinfo 2>/dev/null || echo "?"; }
run_fds() {  # descriptors of a foreground `run` while its container sleeps
    "$BERTH" --root "$ROOT" run --bundle "$TMP/slow" "soak-fd-$1" > "$TMP/fd.out" 2>&1 &
    pid=$!
    sleep 0.15
    n=$(ls /proc/$pid/fd 2>/dev/null | wc -l)
    wait $pid || true
    echo "$n"
}

mounts0=$(wc -l < /proc/self/mountinfo); netns0=$(netns_count)
fds0=$(run_fds start)
inner0=$(cat "$TMP/fd.out")
start=$(date +%s)
i=0
while [ $i -lt "$N" ]; do
    out=$("$BERTH" --root "$ROOT" run --bundle "$TMP/quick" "soak-run-$i" 2>&1) || { echo "run $i failed: $out"; fail=1; break; }
    [ "$out" = "$inner0" ] || { echo "run $i: the container sees $out descriptors, at the start $inner0"; fail=1; }
    if [ $((i % 50)) -eq 49 ]; then
        n=$(run_fds "$i")
        [ "$n" = "$fds0" ] || { echo "run $i: berth holds $n descriptors while its container runs, at the start $fds0"; fail=1; }
    fi
    i=$((i + 1))
done
i=0
while [ $i -lt "$N" ]; do
    id=soak-csd-$i
    "$BERTH" --root "$ROOT" create --bundle "$TMP/quick" "$id" > "$TMP/csd.out" 2>&1 || { echo "create $i failed: $(cat "$TMP/csd.out")"; fail=1; break; }
    "$BERTH" --root "$ROOT" start "$id" || { echo "start $i failed"; fail=1; break; }
    # delete needs it stopped: it runs `ls` only.
    j=0
    while [ "$("$BERTH" --root "$ROOT" state "$id" | sed -n 's/.*"status": "\(.*\)".*/\1/p')" != stopped ] && [ $j -lt 500 ]; do
        sleep 0.01; j=$((j + 1))
    done
    "$BERTH" --root "$ROOT" delete "$id" || { echo "delete $i failed"; fail=1; break; }
    i=$((i + 1))
done
secs=$(( $(date +%s) - start ))
fds1=$(run_fds end)

left_state=$(ls -A "$ROOT" 2>/dev/null | wc -l)
left_cgroups=$(cgroup_dirs)
left_mounts=$(own_mounts)
# Live processes only: an exited init is reparented to the host's pid 1, and a zombie
# stays until that reaps it (this machine's pid 1 does it lazily); it holds no cgroup.
left_procs=$(for f in $(grep -l "$PARENT" /proc/[0-9]*/cgroup 2>/dev/null); do
    grep -q '^State:.*Z' "${f%/cgroup}/status" 2>/dev/null || echo "$f"; done | wc -l)
# The kernel frees network namespaces asynchronously: give it a moment.
k=0
while [ "$(netns_count)" != "?" ] && [ "$(netns_count)" -gt "$netns0" ] && [ $k -lt 50 ]; do sleep 0.1; k=$((k + 1)); done
mounts1=$(wc -l < /proc/self/mountinfo); netns1=$(netns_count)

echo "soak: $N run + $N create/start/delete in ${secs}s"
echo "soak: state root entries left $left_state, cgroup directories left $left_cgroups, own mounts left $left_mounts, processes left $left_procs"
echo "soak: berth's descriptors while a container runs: $fds0 at the start, $fds1 at the end; the container's process: $inner0"
echo "soak: host mounts $mounts0 -> $mounts1, network namespaces (kernel) $netns0 -> $netns1 (host-wide: other containers move these)"
[ "$left_state" -eq 0 ] && [ "$left_cgroups" -eq 0 ] && [ "$left_mounts" -eq 0 ] && [ "$left_procs" -eq 0 ] && [ "$fds0" = "$fds1" ] || fail=1
if [ $fail -ne 0 ]; then echo "soak: FAILED"; exit 1; fi
echo "soak: ok"
