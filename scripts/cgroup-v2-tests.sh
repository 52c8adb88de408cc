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
def bundle(name, args, writable_cgroup=False, no_pidns=False, **linux):
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
    if writable_cgroup:
        c["mounts"][-1]["options"].remove("ro")
    if no_pidns:
        c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]
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
bundle("affinity", ["grep", "Cpus_allowed_list", "/proc/self/status"])
bundle("cpuset", ["grep", "Cpus_allowed_list", "/proc/self/status"], resources={"cpu": {"cpus": "1", "mems": "0"}})
# runc parity (cgroups): update semantics, create refusals, sub-cgroups, kill, exec --cgroup.
bundle("upd", ["sleep", "1000"], cgroupsPath="/upd",
       resources={"memory": {"limit": 67108864, "reservation": 33554432}, "pids": {"limit": 20},
                  "cpu": {"shares": 512, "quota": 100000, "period": 100000}})
bundle("pids0", ["sh", "-c", "sleep 1 & wait; echo done"], resources={"pids": {"limit": 0}})
bundle("ktcp", ["true"], resources={"memory": {"limit": 67108864, "kernelTCP": 16777216}})
bundle("huge", ["sh", "-c", "cat /sys/fs/cgroup/hugetlb.2MB.max"], resources={"hugepageLimits": [{"pagesize": "2MB", "limit": 4194304}]})
bundle("unif", ["sh", "-c", "cat /sys/fs/cgroup/memory.min"], resources={"unified": {"memory.min": "131072"}})
bundle("frz", ["sleep", "1000"], cgroupsPath="/frz")
bundle("occ", ["sleep", "1000"], cgroupsPath="/occ")
bundle("subcg", ["sh", "-c", "sh -c 'mkdir /sys/fs/cgroup/foo && echo $$ > /sys/fs/cgroup/foo/cgroup.procs && exec sleep 1000' & sleep 1000"],
       writable_cgroup=True, cgroupsPath="/subcg")
bundle("shared", ["sleep", "1000"], no_pidns=True, cgroupsPath="/shared")
bundle("excg", ["sleep", "1000"], writable_cgroup=True, cgroupsPath="/excg")
bundle("devupd", ["sleep", "1000"], cgroupsPath="/devupd",
       devices=[{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o666}],
       resources={"devices": [{"allow": False, "access": "rwm"}]})
bundle("nested", ["sh", "-c", "cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory.max"], cgroupsPath="/nest/ed/ct",
       resources={"pids": {"limit": 7}, "memory": {"limit": 67108864}})
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
# berth spec, as runc spec, adds a cgroup namespace on a pure v2 host (next to the
# cgroup mount, the only other "type": "cgroup" entry).
rm -rf specdir && mkdir specdir && ./berth spec --bundle specdir
check "spec: cgroup namespace on v2" "$(grep -c '"type": "cgroup"' specdir/config.json)" "2"

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

# The caller's CPU affinity (busybox's taskset) does not reach the container: it gets
# the CPUs of its cgroup (two vCPUs; a cpuset of CPU 1 only, which the caller's 0 misses).
taskset="./rootfs/bin/busybox taskset -c 0"
check "CPU affinity not the caller's" "$($taskset $B run --bundle affinity a1 2>&1 | cut -f2)" "0-1"
out=$($taskset $B run --bundle cpuset c1 2>&1 | cut -f2)
[ "$out" = "1" ] && ok "CPU affinity of the cgroup's cpuset" || notok "CPU affinity of the cgroup's cpuset" "$out"

$B run -d --bundle sleeper s1 >/dev/null 2>&1
out=$($taskset $B exec s1 grep Cpus_allowed_list /proc/self/status 2>&1 | cut -f2)
[ "$out" = "0-1" ] && ok "exec CPU affinity not the caller's" || notok "exec CPU affinity not the caller's" "$out"
out=$($B exec s1 sh -c 'cat /proc/$$/comm; true' 2>&1)
[ "$out" = "sh" ] && ok "exec'd process named after the path it ran" || notok "exec'd process named after the path it ran" "$out"
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

# --- runc parity: cgroups ---
C=/sys/fs/cgroup
$B run -d --bundle upd u1
# What Docker sends for `docker update --pids-limit 33 --cpus 0.25`: zeros mean unchanged.
echo '{"memory":{"limit":0,"reservation":0},"cpu":{"shares":0,"quota":25000,"period":100000,"cpus":"","mems":""},"blockIO":{"weight":0},"pids":{"limit":33}}' | $B update -r - u1 \
    && ok "update with Docker's zeros" || notok "update with Docker's zeros" "exit $?"
check "update: pids from Docker's document" "$(cat $C/upd/pids.max)" "33"
check "update: memory.max kept" "$(cat $C/upd/memory.max)" "67108864"
check "update: memory.low kept" "$(cat $C/upd/memory.low)" "33554432"
check "update: cpu.max from Docker's --cpus" "$(cat $C/upd/cpu.max)" "25000 100000"
check "update: cpu.weight kept" "$(cat $C/upd/cpu.weight)" "20"
$B update --cpu-period 50000 u1; check "update: a period alone keeps the quota" "$(cat $C/upd/cpu.max)" "25000 50000"
$B update --cpu-quota 20000 u1; check "update: a quota alone keeps the period" "$(cat $C/upd/cpu.max)" "20000 50000"
$B update --cpu-quota 40000 --cpu-burst 30000 u1 && check "update: cpu.max.burst" "$(cat $C/upd/cpu.max.burst)" "30000"
$B update --cpu-quota 10000 --cpu-burst 5000 u1 && check "update: a quota below the old burst (burst first)" "$(cat $C/upd/cpu.max) $(cat $C/upd/cpu.max.burst)" "10000 50000 5000"
$B update --cpu-idle 1 u1 && check "update: cpu.idle" "$(cat $C/upd/cpu.idle)" "1"
$B update --memory -1 u1; check "update: --memory -1" "$(cat $C/upd/memory.max) $(cat $C/upd/memory.swap.max)" "max max"
check "update: limits seen inside" "$($B exec u1 cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory.max | tr '\n' ' ')" "33 max"
out=$(echo '{"memory":{"limit":4096,"checkBeforeUpdate":true}}' | $B update -r - u1 2>&1); check "update: checkBeforeUpdate in runc's words" "$out" "rejecting memory limit 4096 below usage"
$B pause u1; $B update --pids-limit 30 u1; check "update of a paused container leaves it paused" "$($B state u1)" '"paused"'
$B resume u1
$B delete -f u1
check "pids limit 0 is pids.max 1" "$($B run --bundle pids0 p0 2>&1)" "can't fork"
check "kernelTCP warns on v2" "$($B run --bundle ktcp kt 2>&1)" "warning: linux.resources.memory.kernelTCP is not applied"
check "hugetlb pagesize key (runc's spelling)" "$($B run --bundle huge hg 2>&1)" "4194304"
check "unified on v2" "$($B run --bundle unif un 2>&1)" "131072"
check "nested cgroupsPath gets its controllers" "$($B run --bundle nested ne 2>&1 | tr '\n' ' ')" "7 67108864"
[ -d $C/nest ] && notok "nested: parents removed" "$C/nest left" || ok "nested: parents removed"
mkdir $C/frz && echo 1 > $C/frz/cgroup.freeze
out=$(timeout 20 $B run -d --bundle frz fz 2>&1); rc=$?
[ $rc -eq 1 ] && ok "run -d into a frozen cgroup returns" || notok "run -d into a frozen cgroup returns" "exit $rc"
check "frozen cgroup refused in runc's words" "$out" "container's cgroup unexpectedly frozen"
check "create into a frozen cgroup" "$(timeout 20 $B create --bundle frz fz2 2>&1)" "container's cgroup unexpectedly frozen"
[ -z "$(cat $C/frz/cgroup.procs)" ] && [ ! -d /run/berth/fz ] && ok "frozen: nothing left" || notok "frozen: nothing left" "$(cat $C/frz/cgroup.procs)"
echo 0 > $C/frz/cgroup.freeze; rmdir $C/frz
$B run -d --bundle occ o1
check "occupied cgroup refused" "$($B run -d --bundle occ o2 2>&1)" "container's cgroup is not empty: 1 process(es) found"
$B delete -f o1
$B run -d --bundle subcg sc; sleep 1
[ -d $C/subcg/foo ] && ok "sub-cgroup made inside" || notok "sub-cgroup made inside" "$(ls $C/subcg)"
$B delete -f sc && [ ! -d $C/subcg ] && ok "delete --force removes sub-cgroups" || notok "delete --force removes sub-cgroups" "$(ls -R $C/subcg 2>&1 | head -3)"
$B run -d --bundle shared sh1
for i in 1 2 3; do $B exec -d sh1 sleep 1000; done
pids=$(cat $C/shared/cgroup.procs); init=$($B state sh1 | tr -d ' ' | grep -o '"pid":[0-9]*' | cut -d: -f2)
kill -9 "$init"; sleep 0.5
check "shared pid namespace: the init is gone, the others are not" "$($B state sh1)" '"stopped"' 
$B kill sh1 KILL && ok "kill KILL after the init is gone" || notok "kill KILL after the init is gone" "exit $?"
alive() { # counts the processes of $pids not yet dead (zombies count as dead)
    left=0; for p in $pids; do st=$(awk '/^State:/ {print $2}' /proc/$p/status 2>/dev/null)
        [ -n "$st" ] && [ "$st" != Z ] && left=$((left+1)); done; [ $left -gt 0 ]; }
n=0; while alive && [ $n -lt 100 ]; do sleep 0.1; n=$((n+1)); done
[ $left -eq 0 ] && ok "kill KILL reaches every process (cgroup.kill)" || notok "kill KILL reaches every process (cgroup.kill)" "$left left"
$B delete sh1
$B run -d --bundle excg ec
$B exec ec mkdir /sys/fs/cgroup/foobar
check "exec --cgroup SUB" "$($B exec --cgroup foobar ec cat /proc/self/cgroup)" "0::/foobar"
$B exec -d --pid-file exsub.pid --cgroup foobar ec sleep 100
check "exec --cgroup: cloned into the sub-cgroup" "$(cat $C/excg/foobar/cgroup.procs)" "$(cat exsub.pid 2>/dev/null || echo none)"
check "exec --cgroup ..: refused" "$($B exec --cgroup .. ec true 2>&1)" "bad sub cgroup path"
check "exec --cgroup to a missing sub-cgroup" "$($B exec --cgroup nope ec true 2>&1)" "no such file or directory"
check "exec --cgroup CONTROLLER:SUB on v2" "$($B exec --cgroup memory:foobar ec true 2>&1)" "unknown controller memory"
# The init moves into foobar and the container delegates memory to its sub-cgroups: its
# own cgroup then takes no process (v2's no-internal-process rule), and exec follows the
# init there, as runc does; `--cgroup /` asks for the top and gets the kernel's refusal.
$B exec ec sh -euc 'echo 1 > /sys/fs/cgroup/foobar/cgroup.procs; echo $$ > /sys/fs/cgroup/foobar/cgroup.procs; echo +memory > /sys/fs/cgroup/cgroup.subtree_control'
check "exec follows the init's cgroup when the top takes no process" "$($B exec ec cat /proc/self/cgroup 2>&1)" "0::/foobar"
check "exec --cgroup / does not follow it" "$($B exec --cgroup / ec true 2>&1)" "device or resource busy"
$B delete -f ec
[ -d $C/excg ] && notok "exec --cgroup: cgroups removed" "left" || ok "exec --cgroup: cgroups removed"
$B run -d --bundle devupd dv
check "devices: denied before the update" "$($B exec dv sh -c 'exec 3<> /dev/fuse' 2>&1)" "Operation not permitted"
echo '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":10,"minor":229,"access":"rw"}]}' | $B update -r - dv \
    && ok "devices: update replaces the program" || notok "devices: update replaces the program" "exit $?"
out=$($B exec dv sh -c 'exec 3<> /dev/fuse && echo opened' 2>&1)
case "$out" in *"not permitted"*) notok "devices: allowed after the update" "$out" ;; *) ok "devices: allowed after the update" ;; esac
check "devices: /dev/null still allowed" "$($B exec dv sh -c 'echo x > /dev/null && echo null-ok' 2>&1)" "null-ok"
echo '{"devices":[{"allow":false,"access":"rwm"}]}' | $B update -r - dv
check "devices: denied again" "$($B exec dv sh -c 'exec 3<> /dev/fuse' 2>&1)" "Operation not permitted"
$B delete -f dv

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
# The boot ends near 400 s under emulation at load 17 (the checkpoint scenarios take about
# 180 s of it): the limit leaves room for a busier machine.
# shellcheck disable=SC2086
"$cg2vm" --timeout 900 --env "BENCH_V2=${BENCH_V2:-}" $criu_vm "$work" -- "$work/guest.sh" > "$work/result" 2>&1 || status=$?
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
