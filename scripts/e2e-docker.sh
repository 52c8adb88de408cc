#!/bin/bash
# End-to-end: Docker (dockerd 20.10, its containerd and the runc v2 shim) driving an OCI
# runtime, berth or runc, registered with `--add-runtime`.
#
#   scripts/e2e-docker.sh RUNTIME ROOTFS
#
# RUNTIME is the runtime binary (.build/release/berth, or /usr/sbin/runc to check the
# harness itself); ROOTFS a busybox rootfs (scripts/mkrootfs.sh). Root only.
#
# The test starts a private dockerd: its config file, data root, exec root, pidfile and
# socket in a temporary directory (dockerd starts its own containerd under them), the
# runtime registered as the default runtime, cgroupfs driver with a cgroup parent of the
# test's, and no host-wide network changes: no default bridge, no iptables rules, no
# ip_forward, no masquerading. The bridge network is a user-defined one on its own bridge
# and subnet. The image is imported from a tar of ROOTFS (`docker import`).
#
# Each check prints "ok NAME" or "FAIL NAME: details"; the last line counts them; the
# exit status is nonzero on any failure. Everything the test made on the host is
# removed on exit, on failure too, and the host is checked against a snapshot.
#
# E2E_TRACE=1 logs every runtime command line the shim runs to $E2E_TRACE_FILE
# (default /tmp/berth-e2e-docker-trace.log). E2E_KEEP=1 (debugging only) skips the
# clean-up.
set -u

SUITE=e2e-docker
here=$(cd "$(dirname "$0")" && pwd)
. "$here/e2e-lib.sh"

[ $# -eq 2 ] || { echo "usage: $0 RUNTIME ROOTFS" >&2; exit 2; }
e2e_lock $SUITE "$0" "$@"
e2e_preconditions $SUITE "$1" "$2" dockerd containerd containerd-shim-runc-v2 iptables-save ip tar
# the docker.io client (another docker on $PATH, as /usr/local/bin/docker here, may be a
# client of another version)
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || e2e_cannot_run $SUITE "$DOCKER is not installed (docker.io; make e2e-deps)"

T=$(mktemp -d /tmp/berth-e2e-docker.XXXXXX)
SOCK=$T/docker.sock
CGP=/berth-e2e-docker-$$
RTNAME=e2e-runtime            # dockerd reserves the name runc
# the shim's --root for the runtime (dockerd 20.10 names it runtime-runc whatever the
# runtime), in the containerd namespace moby
RTSTATE=$T/exec/runtime-runc/moby
IMG=berth-e2e:latest
NET=berthe2e
BRIDGE=berthd$$
BRIDGE=${BRIDGE:0:15}
SUBNET_PREFIX=10.89.214

# --- snapshot of the host ---------------------------------------------------------
ipt_dump iptables > "$T/ipt4.before"
ipt_dump ip6tables > "$T/ipt6.before"
nft_tables > "$T/nft.before"
IPT4_BEFORE=$(cat "$T/ipt4.before")
IPT6_BEFORE=$(cat "$T/ipt6.before")
NFT_BEFORE=$(cat "$T/nft.before")
NETNS_BEFORE=$(ip netns list 2>/dev/null | sort)
links() { e2e_links "$BRIDGE"; }
LINKS_BEFORE=$(links)
FORWARD_BEFORE=$(cat /proc/sys/net/ipv4/ip_forward)
created_paths=""
for d in /var/lib/docker /run/docker /run/docker.sock /etc/docker/key.json /run/containerd /var/lib/containerd; do
    [ -e "$d" ] || created_paths="$created_paths $d"
done

# --- private dockerd -------------------------------------------------------------------
mkdir -p "$T/bin" "$T/client" "$T/vol"
RUNTIME_PATH=$RT
if [ "${E2E_TRACE:-}" = 1 ]; then
    trace=${E2E_TRACE_FILE:-/tmp/berth-e2e-docker-trace.log}
    : > "$trace"
    cat > "$T/bin/$RTNAME" <<EOF
#!/bin/sh
echo "\$(date +%T.%N) \$\$ $(basename "$RT") \$*" >> "$trace"
exec "$RT" "\$@"
EOF
    chmod +x "$T/bin/$RTNAME"
    RUNTIME_PATH=$T/bin/$RTNAME
fi
cat > "$T/daemon.json" <<EOF
{
  "data-root": "$T/data",
  "exec-root": "$T/exec",
  "pidfile": "$T/docker.pid",
  "hosts": ["unix://$SOCK"],
  "runtimes": { "$RTNAME": { "path": "$RUNTIME_PATH" } },
  "default-runtime": "$RTNAME",
  "storage-driver": "overlay2",
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "cgroup-parent": "$CGP",
  "bridge": "none",
  "iptables": false,
  "ip6tables": false,
  "ip-forward": false,
  "ip-masq": false,
  "userland-proxy": false,
  "log-driver": "json-file",
  "features": { "buildkit": false }
}
EOF
export DOCKER_HOST=unix://$SOCK DOCKER_CONFIG=$T/client
D_TIMEOUT=60
D() { timeout -k 5 $D_TIMEOUT "$DOCKER" "$@"; }

D_PID=""
cleaned=0
cleanup() {
    [ $cleaned = 1 ] && return
    trap "" INT TERM     # a clean-up once started runs to its end
    cleaned=1
    if [ "${E2E_KEEP:-}" = 1 ]; then echo "# E2E_KEEP=1: left $T, dockerd $D_PID"; return; fi
    local id p l
    D_TIMEOUT=20     # a broken runtime must not hold the clean-up for long
    # (an interrupt that reached the whole process group has stopped the daemon too)
    if [ -n "$D_PID" ] && kill -0 "$D_PID" 2>/dev/null; then
        D unpause $(D ps -q --filter status=paused 2>/dev/null) >/dev/null 2>&1
        D rm -f -v $(D ps -aq 2>/dev/null) >/dev/null 2>&1
        D network rm "$NET" >/dev/null 2>&1
        kill "$D_PID" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$D_PID" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$D_PID" 2>/dev/null
    fi
    e2e_host_cleanup
}
trap 'cleanup' EXIT
trap 'trap "" INT TERM; exit 130' INT TERM     # one clean-up, however many signals

dockerd --config-file "$T/daemon.json" > "$T/dockerd.log" 2>&1 &
D_PID=$!
for _ in $(seq 100); do
    "$DOCKER" version >/dev/null 2>&1 && break
    kill -0 $D_PID 2>/dev/null || break
    sleep 0.1
done
echo "# $SUITE: runtime $RT, dockerd $(dockerd --version | awk '{print $3}' | tr -d ,), temp $T"
if ! "$DOCKER" version >/dev/null 2>&1; then
    bad dockerd-start "dockerd did not come up: $(tail -5 "$T/dockerd.log")"
    e2e_finish $SUITE; exit 1
fi

# --- helpers ---------------------------------------------------------------------------
state_of() { D inspect -f '{{.State.Status}}' "$1" 2>&1; }
exitcode_of() { D inspect -f '{{.State.ExitCode}}' "$1" 2>&1; }
pid_of() { D inspect -f '{{.State.Pid}}' "$1" 2>&1; }
id_of() { D inspect -f '{{.Id}}' "$1" 2>&1; }
wait_state() { # container state seconds
    local i=0
    while [ $i -lt $(($3 * 10)) ]; do
        [ "$(state_of "$1")" = "$2" ] && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}
wait_log() { # container string seconds: the container's log, once it holds string
    local i=0 out
    while [ $i -lt $(($3 * 10)) ]; do
        out=$(D logs "$1" 2>&1)
        case "$out" in *"$2"*) break ;; esac
        sleep 0.1; i=$((i + 1))
    done
    printf '%s' "$out"
}
# a detached container that runs until removed: start_bg NAME [run flags...] -- CMD...
start_bg() {
    local name=$1 out
    shift
    out=$(D run -d --name "$name" "$@" 2>&1) && wait_state "$name" running 10 && return 0
    bad "$name-start" "could not start: $out $(state_of "$name")"
    return 1
}
cgfile() { cg_read "$(pid_of "$1")" "$2" "$3" "$4"; }

# --- image -------------------------------------------------------------------------------
out=$(tar -C "$ROOTFS" --numeric-owner -cf - . | D import -c 'CMD ["sh"]' - "$IMG" 2>&1); rc=$?
expect import 0 $rc "$out$(D images -q "$IMG" 2>&1)" "sha256:" || { e2e_finish $SUITE; exit 1; }

# --- run: output, exit status, stdin, terminal ------------------------------------------
out=$(D run --rm "$IMG" sh -c 'echo hello from $(hostname); echo err >&2; exit 3' 2>&1); rc=$?
expect run-output-exitcode 3 $rc "$out" "hello from" err
# dockerd turns the runtime's error text into 127 and 126
out=$(D run --rm "$IMG" /nonexistent 2>&1); rc=$?
expect run-missing-command-127 127 $rc "$out" /nonexistent "no such file or directory"
out=$(D run --rm "$IMG" no-such-command 2>&1); rc=$?
expect run-missing-in-path-127 127 $rc "$out" no-such-command "executable file not found"
out=$(D run --rm "$IMG" /etc/passwd 2>&1); rc=$?
expect run-not-executable-126 126 $rc "$out" /etc/passwd "permission denied"
out=$(echo piped-in | D run --rm -i "$IMG" cat 2>&1); rc=$?
expect run-stdin 0 $rc "$out" piped-in
out=$(D run --rm -t "$IMG" sh -c 'tty; [ -t 1 ] && echo is-tty; exit 2' 2>&1 </dev/null); rc=$?
expect run-tty 2 $rc "$out" /dev/pts/ is-tty

# --- detached: logs, top, exec, pause/unpause, stop -------------------------------------------
if start_bg det "$IMG" sh -c 'trap "echo got-term; exit 7" TERM; echo started; while :; do sleep 0.1; done'; then
    DET=$(id_of det)
    out=$(wait_log det started 5)
    expect detached-logs 0 0 "$out" started
    if [ -f "$RTSTATE/$DET/state.json" ]; then ok detached-runtime-state; else bad detached-runtime-state "no $RTSTATE/$DET/state.json: $(ls "$RTSTATE" 2>&1)"; fi
    # docker top asks the runtime (ps --format json) for the container's pids
    out=$(D top det 2>&1); rc=$?
    expect top 0 $rc "$out" "$(pid_of det)" "while"

    out=$(D exec det sh -c 'echo in-exec; cat /proc/1/cmdline | tr "\0" " "; exit 5' 2>&1); rc=$?
    expect exec-exitcode 5 $rc "$out" in-exec while
    out=$(D exec -t det sh -c 'tty; [ -t 1 ] && echo is-tty; exit 4' 2>&1 </dev/null); rc=$?
    expect exec-tty 4 $rc "$out" /dev/pts/ is-tty
    out=$(D exec -u 65534 -w /tmp -e E2E=one det sh -c 'echo uid=$(id -u) cwd=$(pwd) env=$E2E' 2>&1); rc=$?
    expect exec-user-workdir-env 0 $rc "$out" uid=65534 cwd=/tmp env=one
    out=$(echo into-exec | D exec -i det cat 2>&1); rc=$?
    expect exec-stdin 0 $rc "$out" into-exec
    out=$(D exec det /nonexistent 2>&1); rc=$?
    expect exec-missing-command 126 $rc "$out" /nonexistent "no such file or directory"

    out=$(D pause det 2>&1); rc=$?
    expect pause 0 $rc "$out state=$(state_of det) freezer=$(cg_freezer "$(pid_of det)")" state=paused freezer=FROZEN
    out=$(D exec det true 2>&1); rc=$?
    expect exec-paused-refused 1 $rc "$out" paused
    out=$(D unpause det 2>&1); rc=$?
    expect unpause 0 $rc "$out state=$(state_of det) freezer=$(cg_freezer "$(pid_of det)")" state=running freezer=THAWED

    start=$(date +%s)
    out=$(D stop -t 20 det 2>&1); rc=$?
    took=$(( $(date +%s) - start ))
    expect stop-sigterm 0 $rc "$out state=$(state_of det) exit=$(exitcode_of det) took=${took}s log=$(D logs det 2>&1)" state=exited exit=7 got-term
    [ "$took" -lt 15 ] || bad stop-sigterm-fast "stop took ${took}s: SIGTERM was not delivered"
    out=$(D rm det 2>&1); rc=$?
    left=""
    [ -e "$RTSTATE/$DET" ] && left="$left runtime state $RTSTATE/$DET"
    left="$left$(cgroup_list_tree "$CGP" | grep "$DET")"
    expect rm 0 $rc "$out left=[$left]" "left=[]"
fi

if start_bg stubborn "$IMG" sh -c 'trap "" TERM; while :; do sleep 0.1; done'; then
    out=$(D stop -t 1 stubborn 2>&1); rc=$?
    expect stop-sigkill-after-timeout 0 $rc "$out state=$(state_of stubborn) exit=$(exitcode_of stubborn)" state=exited exit=137
    D rm stubborn >/dev/null 2>&1
fi

# --- kill, restart ------------------------------------------------------------------------------
if start_bg victim "$IMG" sh -c 'trap "exit 9" USR1; while :; do sleep 0.1; done'; then
    out=$(D kill -s USR1 victim 2>&1); rc=$?
    wait_state victim exited 10
    expect kill-usr1 0 $rc "$out state=$(state_of victim) exit=$(exitcode_of victim)" state=exited exit=9
    D rm victim >/dev/null 2>&1
fi
if start_bg victim2 "$IMG" sleep 1000; then
    V2PID=$(pid_of victim2)
    out=$(D kill victim2 2>&1); rc=$?
    wait_state victim2 exited 10
    alive=""; kill -0 "$V2PID" 2>/dev/null && alive=$V2PID
    expect kill-sigkill 0 $rc "$out state=$(state_of victim2) exit=$(exitcode_of victim2) alive=[$alive]" state=exited exit=137 "alive=[]"
    D rm victim2 >/dev/null 2>&1
fi

if start_bg rs "$IMG" sh -c 'echo boot; trap "exit 0" TERM; while :; do sleep 0.1; done'; then
    p1=$(pid_of rs)
    out=$(D restart -t 5 rs 2>&1); rc=$?
    wait_state rs running 10
    p2=$(pid_of rs)
    alive=""; kill -0 "$p1" 2>/dev/null && alive=$p1
    boots=$(wait_log rs "boot
boot" 5 | grep -c boot)
    expect restart 0 $rc "$out state=$(state_of rs) pids=$p1,$p2 boots=$boots alive=[$alive]" state=running boots=2 "alive=[]"
    [ "$p1" != "$p2" ] || bad restart-new-process "the same pid $p1 after restart"
    D rm -f rs >/dev/null 2>&1
fi
# a restart policy: the daemon starts the container again (through the runtime) on failure
out=$(D run -d --name rp --restart on-failure:2 "$IMG" sh -c 'echo try; exit 1' 2>&1); rc=$?
i=0; while [ $i -lt 100 ]; do
    [ "$(D inspect -f '{{.State.Status}} {{.RestartCount}}' rp 2>&1)" = "exited 2" ] && break
    sleep 0.1; i=$((i + 1))
done
expect restart-policy 0 $rc "$out $(D inspect -f 'state={{.State.Status}} restarts={{.RestartCount}} exit={{.State.ExitCode}}' rp 2>&1)" state=exited restarts=2 exit=1
D rm -f rp >/dev/null 2>&1

# --- cp, commit, stats, update, OOM -----------------------------------------------------------------
if start_bg work --memory 128m --cpus 0.5 --pids-limit 50 --cpu-shares 512 "$IMG" sh -c 'while :; do sleep 0.1; done'; then
    echo copied-in > "$T/cpin"
    out=$(D cp "$T/cpin" work:/tmp/cpin 2>&1); rc=$?
    expect cp-into 0 $rc "$out $(D exec work cat /tmp/cpin 2>&1)" copied-in
    out=$(D cp work:/etc/hostname - 2>&1 | tar -xOf - 2>&1); rc=$?
    expect cp-from 0 $rc "$out" "$(id_of work | cut -c1-12)"

    D exec work sh -c 'echo committed > /newfile' >/dev/null 2>&1
    out=$(D commit work berth-e2e:committed 2>&1); rc=$?
    out2=$(D run --rm berth-e2e:committed cat /newfile 2>&1); rc2=$?
    expect commit 0 $((rc + rc2)) "$out $out2" committed

    out=$(D stats --no-stream --format '{{.Name}} mem={{.MemUsage}} pids={{.PIDs}}' work 2>&1); rc=$?
    expect stats 0 $rc "$out" "work mem=" "/ 128MiB" "pids="

    # docker update sends the whole resources object, with 0 for every value not given
    mem() { cgfile work memory memory.limit_in_bytes memory.max; }
    quota() { cgfile work cpu cpu.cfs_quota_us cpu.max; }
    shares() { cgfile work cpu cpu.shares cpu.weight; }
    pids() { cgfile work pids pids.max pids.max; }
    soft() { cgfile work memory memory.soft_limit_in_bytes memory.low; }
    before="quota=$(quota) shares=$(shares) pids=$(pids) soft=$(soft)"
    expect update-baseline 0 0 "mem=$(mem) $before" mem=134217728 pids=50
    out=$(D update --memory 64m work 2>&1); rc=$?
    expect update-memory-only 0 $rc "$out mem=$(mem) quota=$(quota) shares=$(shares) pids=$(pids) soft=$(soft)" "mem=67108864 $before"
    out=$(D update --pids-limit 33 --cpus 0.25 work 2>&1); rc=$?
    expect update-pids-cpus 0 $rc "$out mem=$(mem) quota=$(quota) shares=$(shares) pids=$(pids)" mem=67108864 pids=33 "shares=$(shares)"
    case "$(quota)" in 25000|"25000 100000") ok update-cpus-quota ;; *) bad update-cpus-quota "quota $(quota), expected 25000" ;; esac
    out=$(D inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}}' work 2>&1)
    expect update-inspect 0 0 "$out" "67108864 33 250000000"
    D rm -f work >/dev/null 2>&1
fi

out=$(D run --name oom --memory 32m --memory-swap 32m "$IMG" sh -c 'echo start; tail /dev/zero' 2>&1); rc=$?
expect oom-killed 137 $rc "$out $(D inspect -f 'oomkilled={{.State.OOMKilled}}' oom 2>&1)" start oomkilled=true
D rm -f oom >/dev/null 2>&1

# --- networks ---------------------------------------------------------------------------------------
hostns=$(readlink /proc/self/ns/net)
out=$(D run --rm --network none "$IMG" sh -c 'readlink /proc/self/ns/net; ip -o link | wc -l; ip -o link' 2>&1); rc=$?
case "$out" in
    *"$hostns"*) bad network-none "container shares the host's network namespace: $out" ;;
    *) expect network-none 0 $rc "$(printf '%s' "$out" | sed -n 2p)" 1 ;;
esac
out=$(D run --rm --network host "$IMG" sh -c 'readlink /proc/self/ns/net; ip -o link' 2>&1); rc=$?
expect network-host 0 $rc "$out" "$hostns" "$(ip -o link | awk -F': ' 'NR==2{print $2}' | sed 's/@.*//')"

out=$(D network create --subnet $SUBNET_PREFIX.0/24 -o com.docker.network.bridge.name="$BRIDGE" "$NET" 2>&1); rc=$?
expect network-create 0 $rc "$out"
if start_bg srv --network "$NET" --ipc shareable "$IMG" sh -c 'exec sleep 1001'; then
    srvip=$(D inspect -f "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}" srv 2>&1)
    out=$(D run --rm --network "$NET" "$IMG" sh -c "ip -4 -o addr show eth0; ping -c1 -W2 $srvip >/dev/null && echo peer-reachable; ping -c1 -W2 srv >/dev/null && echo name-resolved" 2>&1); rc=$?
    expect network-bridge 0 $rc "$out srv=$srvip" "inet $SUBNET_PREFIX." "srv=$SUBNET_PREFIX." peer-reachable name-resolved

    srvns=$(readlink /proc/$(pid_of srv)/ns/net)
    out=$(D run --rm --network container:srv "$IMG" sh -c 'readlink /proc/self/ns/net; ip -4 -o addr show eth0' 2>&1); rc=$?
    expect network-container 0 $rc "$out" "$srvns" "$srvip/"
    out=$(D run --rm --pid container:srv "$IMG" ps -o pid,args 2>&1); rc=$?
    expect pid-container 0 $rc "$out" "sleep 1001"
    srvipc=$(readlink /proc/$(pid_of srv)/ns/ipc)
    out=$(D run --rm --ipc container:srv "$IMG" readlink /proc/self/ns/ipc 2>&1); rc=$?
    expect ipc-container 0 $rc "$out" "$srvipc"
    D rm -f srv >/dev/null 2>&1
fi
out=$(D network rm "$NET" 2>&1); rc=$?
left=$(links | grep -x "$BRIDGE")
expect network-rm 0 $rc "$out left=[$left]" "left=[]"

# --- read-only, users, mounts, --init -----------------------------------------------------------------
out=$(D run --rm --read-only --tmpfs /tmp "$IMG" sh -c 'touch /x 2>&1; echo rc=$?; touch /tmp/x && echo tmp-writable' 2>&1); rc=$?
expect read-only 0 $rc "$out" "Read-only file system" rc=1 tmp-writable

out=$(D run --rm --user 65534:65534 --group-add 123 "$IMG" id 2>&1); rc=$?
expect user-uid-gid 0 $rc "$out" uid=65534 gid=65534 123
out=$(D run --rm --user nobody "$IMG" sh -c 'echo uid=$(id -u) home=$HOME' 2>&1); rc=$?
expect user-name 0 $rc "$out" uid=65534 home=/nonexistent

echo from-host > "$T/vol/host-file"
out=$(D run --rm -v "$T/vol:/data" -v "$T/vol:/ro:ro" --tmpfs /scratch:size=1m,mode=1770 "$IMG" sh -c '
    cat /data/host-file; echo from-container > /data/back
    touch /ro/x 2>&1; echo ro-rc=$?
    grep " /scratch " /proc/self/mounts; echo scratch-mode=$(stat -c %a /scratch)' 2>&1); rc=$?
expect mount-bind 0 $rc "$out back=$(cat "$T/vol/back" 2>&1)" from-host back=from-container
expect mount-bind-ro 0 $rc "$out" "Read-only file system" ro-rc=1
expect mount-tmpfs 0 $rc "$out" "tmpfs /scratch tmpfs" size=1024k scratch-mode=1770
out=$(D run --rm -v e2evol:/v "$IMG" sh -c 'echo kept > /v/f' 2>&1 && D run --rm -v e2evol:/v "$IMG" cat /v/f 2>&1); rc=$?
expect mount-named-volume 0 $rc "$out" kept
D volume rm e2evol >/dev/null 2>&1

out=$(D run --rm --init "$IMG" sh -c 'tr "\0" " " < /proc/1/cmdline' 2>&1); rc=$?
expect init 0 $rc "$out" "/sbin/docker-init -- sh"

# --- nothing of the containers remains, then the host is as it was ---------------------------------
left=$(D ps -aq 2>&1)
[ -n "$(ls "$RTSTATE" 2>/dev/null)" ] && left="$left runtime state: $(ls "$RTSTATE")"
left="$left$(cgroup_list_tree "$CGP" | grep -v "^/sys/fs/cgroup/[^/]*$CGP\$" | grep -v "^/sys/fs/cgroup$CGP\$")"
if [ -z "$left" ]; then ok no-container-leftovers; else bad no-container-leftovers "$left"; fi

# the networks needed no host-wide change: seen before the clean-up restores anything
left=""
[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$FORWARD_BEFORE" ] || left="$left ip_forward $(cat /proc/sys/net/ipv4/ip_forward), was $FORWARD_BEFORE"
[ "$(ipt_dump iptables)" = "$IPT4_BEFORE" ] || left="$left iptables: $(diff <(ipt_dump iptables) <(printf '%s\n' "$IPT4_BEFORE") | tr '\n' ' ')"
[ "$(nft_tables)" = "$NFT_BEFORE" ] || left="$left nft tables: $(nft_tables | tr '\n' ' ')"
if [ -z "$left" ]; then ok host-network-untouched; else bad host-network-untouched "$left"; fi

cleanup
left=""
[ -e "$T" ] && left="$left $T"
left="$left$(cgroup_list_tree "$CGP")"
[ -n "$(pids_mentioning "$T")" ] && left="$left processes: $(pids_mentioning "$T")"
[ "$(links)" = "$LINKS_BEFORE" ] || left="$left links: $(links | tr '\n' ' ')"
[ "$(ipt_dump iptables)" = "$IPT4_BEFORE" ] || left="$left iptables: $(diff <(ipt_dump iptables) <(printf '%s\n' "$IPT4_BEFORE") | tr '\n' ' ')"
[ "$(ipt_dump ip6tables)" = "$IPT6_BEFORE" ] || left="$left ip6tables changed"
[ "$(nft_tables)" = "$NFT_BEFORE" ] || left="$left nft tables: $(nft_tables | tr '\n' ' ')"
[ "$(ip netns list 2>/dev/null | sort)" = "$NETNS_BEFORE" ] || left="$left netns: $(ip netns list | tr '\n' ' ')"
[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$FORWARD_BEFORE" ] || left="$left ip_forward changed"
for d in $created_paths; do [ -e "$d" ] && left="$left $d"; done
if [ -z "$left" ]; then ok host-as-found; else bad host-as-found "$left"; fi

e2e_finish $SUITE
