#!/bin/sh
# cgroup v2 tests: berth on a real cgroup v2 kernel (../shared/tools/cg2vm boots one in
# QEMU; this host's own cgroup mounts are never touched). One VM boot runs every scenario,
# the checkpoint/restore ones (scripts/checkpoint-guest.sh, CRIU from the host) included;
# each prints "ok NAME" or "not ok NAME: why".
#
#   scripts/cgroup-v2-tests.sh BERTH ROOTFS
set -eu
berth=$1
rootfs=$2
cg2vm=${CG2VM:-$(dirname "$0")/../../shared/tools/cg2vm}
[ -x "$cg2vm" ] || { echo "cgroup-v2-tests: $cg2vm not found (the shared tools are needed for the v2 run)"; exit 1; }

work=$(mktemp -d /tmp/berth-v2.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$berth" "$work/berth"
cp -a "$rootfs" "$work/rootfs"

python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
def bundle(name, args, **linux):
    d = os.path.join(work, name); os.makedirs(d)
    c = {
        "ociVersion": "1.2.0",
        "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": args, "cwd": "/",
                    "env": ["PATH=/bin:/sbin:/usr/bin"], "noNewPrivileges": True,
                    "capabilities": {k: ["CAP_KILL", "CAP_MKNOD", "CAP_AUDIT_WRITE"] for k in ("bounding", "effective", "permitted")}},
        "root": {"path": os.path.join(work, "rootfs"), "readonly": True},
        "hostname": name,
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]},
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["dev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "ro"]},
        ],
        "linux": dict({"namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount", "cgroup")]}, **linux),
    }
    json.dump(c, open(os.path.join(d, "config.json"), "w"))
bundle("basic", ["sh", "-c", "cat /etc/hostname; cat /proc/self/cgroup; test -f /sys/fs/cgroup/cgroup.controllers && echo cgroup2-mounted; exit 3"])
bundle("limits", ["sh", "-c", "cd /sys/fs/cgroup; echo pids=$(cat pids.max) memory=$(cat memory.max) cpu=$(cat cpu.max | tr ' ' /) weight=$(cat cpu.weight); for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 5 & done 2>&1 | head -1"],
       resources={"pids": {"limit": 9}, "memory": {"limit": 67108864}, "cpu": {"shares": 512, "quota": 50000, "period": 100000}})
bundle("devices", ["sh", "-c", "echo x > /dev/null && echo null-ok; head -c1 /dev/blk 2>&1; mknod /tmp/sda b 8 0 && head -c1 /tmp/sda 2>&1; true"],
       devices=[{"path": "/dev/blk", "type": "b", "major": 7, "minor": 200, "fileMode": 0o600}],
       resources={"devices": [{"allow": False, "access": "rwm"}]})
bundle("sleeper", ["sleep", "100"])
bundle("throttle", ["sh", "-c", "timeout 1 sh -c 'while :; do :; done'; grep nr_throttled /sys/fs/cgroup/cpu.stat; tail /dev/zero; echo tail=$?; grep oom_kill /sys/fs/cgroup/memory.events"],
       resources={"cpu": {"quota": 10000, "period": 100000}, "memory": {"limit": 16777216, "swap": 16777216}})
bundle("oom", ["true"], resources={"memory": {"limit": 4096}})
PY

# The checkpoint/restore scenarios run in the same boot (bundles and helpers into $work).
sh "$(dirname "$0")/checkpoint-prepare.sh" "$work"

cat > "$work/guest.sh" <<'EOF2'
#!/bin/sh
cd "$(dirname "$0")"
B="./berth --root /run/berth"
ok() { echo "ok $1"; }
notok() { echo "not ok $1: $2"; }
check() { # name, output, expected substring
    case "$2" in *"$3"*) ok "$1" ;; *) notok "$1" "expected '$3' in: $(echo "$2" | tr '\n' '|')" ;; esac
}

out=$($B run --bundle basic b1 2>&1); rc=$?
[ $rc -eq 3 ] && ok "run exit status" || notok "run exit status" "got $rc: $out"
check "init layer hostname" "$out" "basic"
check "cgroup namespace root" "$out" "0::/"
check "cgroup2 mount in the container" "$out" "cgroup2-mounted"
[ -d /sys/fs/cgroup/b1 ] && notok "no cgroup left after run" "/sys/fs/cgroup/b1 exists" || ok "no cgroup left after run"

out=$($B run --bundle limits l1 2>&1)
check "pids.max" "$out" "pids=9 "
check "memory.max" "$out" "memory=67108864 "
check "cpu.max" "$out" "cpu=50000/100000 "
check "cpu.weight from shares" "$out" "weight=20"
check "pids limit stops forks" "$out" "can't fork"

out=$($B run --bundle throttle t1 2>&1)
case "$out" in *"nr_throttled 0"*|"") notok "cpu quota throttles" "$out" ;; *nr_throttled*) ok "cpu quota throttles" ;; *) notok "cpu quota throttles" "$out" ;; esac
check "memory limit OOM-kills" "$out" "tail=137"
check "oom_kill counted" "$out" "oom_kill 1"

out=$($B run --bundle devices d1 2>&1)
check "allowed device" "$out" "null-ok"
check "denied config device" "$out" "/dev/blk: Operation not permitted"
check "denied mknod'ed host disk" "$out" "/tmp/sda: Operation not permitted"

$B run -d --bundle sleeper s1 >/dev/null 2>&1
out=$($B exec s1 sh -c 'cat /proc/self/cgroup; exit 4' 2>&1); rc=$?
[ $rc -eq 4 ] && ok "exec exit status" || notok "exec exit status" "got $rc: $out"
check "exec in the container's cgroup namespace" "$out" "0::/"
$B exec -d --pid-file exec.pid s1 sleep 50 >/dev/null 2>&1
check "exec'd process cloned into the container's cgroup" "$(cat /sys/fs/cgroup/s1/cgroup.procs)" "$(cat exec.pid 2>/dev/null || echo none)"
$B pause s1 && check "pause" "$($B state s1)" '"paused"'
check "cgroup.freeze" "$(cat /sys/fs/cgroup/s1/cgroup.freeze)" "1"
check "exec into a paused container is refused" "$($B exec s1 true 2>&1)" "cannot exec in a paused container"
$B resume s1 && check "resume" "$($B state s1)" '"running"'
check "ps" "$($B ps --format json s1)" "["
$B update --pids-limit 42 --memory 96m s1 && check "update pids.max" "$(cat /sys/fs/cgroup/s1/pids.max)" "42"
check "update memory.max" "$(cat /sys/fs/cgroup/s1/memory.max)" "100663296"
check "events --stats" "$($B events --stats s1)" '"pids":{"current":2,"limit":42}'
$B pause s1; $B delete --force s1 && ok "delete a paused container" || notok "delete a paused container" "exit $?"
[ -d /sys/fs/cgroup/s1 ] && notok "no cgroup left after delete" "exists" || ok "no cgroup left after delete"

out=$($B run --bundle oom o1 2>&1); rc=$?
[ $rc -eq 1 ] && ok "impossible memory limit fails" || notok "impossible memory limit fails" "exit $rc: $out"
[ -d /sys/fs/cgroup/o1 ] || [ -d /run/berth/o1 ] && notok "failed create leaves nothing" "left behind" || ok "failed create leaves nothing"

# CRIU from the host: checkpoint, restore (scripts/checkpoint-guest.sh).
sh ./checkpoint-guest.sh

if [ -n "${BENCH_V2:-}" ]; then
    for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
        BERTH_TRACE=1 $B run --bundle limits bench$i 2>>trace.txt >/dev/null
    done
fi
EOF2
chmod +x "$work/guest.sh"

status=0
# CRIU needs GNU tar (it saves a tmpfs with it), iptables-restore (its network lock), ip
# (the network namespace scenario) and the socket-diag, netfilter and conntrack modules.
criu_vm="--host-bin criu --host-bin tar --host-bin iptables-restore --host-bin ip6tables-restore --host-bin ip"
for m in unix_diag inet_diag tcp_diag udp_diag raw_diag netlink_diag af_packet_diag nft_compat xt_mark nf_conntrack_netlink; do
    criu_vm="$criu_vm --module $m"
done
# shellcheck disable=SC2086
"$cg2vm" --timeout 600 --env "BENCH_V2=${BENCH_V2:-}" $criu_vm "$work" -- "$work/guest.sh" > "$work/result" 2>&1 || status=$?
cat "$work/result"
passed=$(grep -c '^ok ' "$work/result" || true)
failed=$(grep -c '^not ok ' "$work/result" || true)
if [ -n "${BENCH_V2:-}" ] && [ -f "$work/trace.txt" ]; then
    python3 - "$work/trace.txt" <<'PY'
import statistics, sys
runs, marks = [], {}
for line in open(sys.argv[1]):
    parts = line.rstrip("\n").split(" ", 3)
    if len(parts) != 4 or parts[0] != "trace":
        continue
    if parts[3] == "main" and marks:
        runs.append(marks); marks = {}
    marks.setdefault(parts[3], int(parts[2].rstrip("us")))
runs.append(marks)
ok = [m for m in runs if {"validated", "cgroup created", "maps", "cgroup joined"} <= m.keys()]
if ok:
    c = statistics.median(m["cgroup created"] - m["validated"] for m in ok)
    j = statistics.median(m["cgroup joined"] - m["maps"] for m in ok)
    print(f"cgroup set-up per container (v2 kernel in cg2vm under emulation, median of {len(ok)}): "
          f"create+limits {c:.0f} us, join {j:.0f} us (the init is cloned into its cgroup)")
PY
fi
echo "cgroup-v2: $passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
