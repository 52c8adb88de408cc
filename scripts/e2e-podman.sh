#!/bin/bash
# End-to-end: podman (with conmon) driving an OCI runtime, berth or runc.
#
#   scripts/e2e-podman.sh RUNTIME ROOTFS
#
# RUNTIME is the runtime binary (.build/release/berth, or /usr/sbin/runc to check the
# harness itself); ROOTFS a busybox rootfs (scripts/mkrootfs.sh). Root only.
#
# podman is fully isolated: private --root/--runroot/--tmpdir, containers.conf,
# storage.conf (vfs driver), registries.conf and CNI network directory in a temporary
# directory; the runtime is registered in that containers.conf (so podman passes it
# --log-format=json) and given with --runtime; cgroupfs manager, file events backend,
# default ulimits lowered to the current hard limits (this VM cannot raise them), every
# container under its own --cgroup-parent. The bridge network is a private CNI network
# with podman's default plugin chain on its own bridge and subnet.
#
# Each check prints "ok NAME" or "FAIL NAME: details"; the last line counts them; the
# exit status is nonzero on any failure. Everything the test made on the host is
# removed on exit, on failure too, and the host is checked against a snapshot.
#
# E2E_TRACE=1 logs every runtime command line podman and conmon run to
# $E2E_TRACE_FILE (default /tmp/berth-e2e-podman-trace.log).
# E2E_KEEP=1 (debugging only) skips the clean-up.
set -u

SUITE=e2e-podman
here=$(cd "$(dirname "$0")" && pwd)
. "$here/e2e-lib.sh"

[ $# -eq 2 ] || { echo "usage: $0 RUNTIME ROOTFS" >&2; exit 2; }
e2e_lock $SUITE "$0" "$@"
e2e_preconditions $SUITE "$1" "$2" podman conmon iptables-save ip tar
iptables -V 2>/dev/null | grep -q nf_tables && ! command -v nft >/dev/null 2>&1 &&
    e2e_cannot_run $SUITE "nft is not installed: needed to remove the nftables tables the CNI plugins create (make e2e-deps)"
[ -d /usr/lib/cni ] || e2e_cannot_run $SUITE "CNI plugins missing (containernetworking-plugins)"
RTNAME=$(basename "$RT")
RTSTATE=/run/$RTNAME          # podman passes no --root: the runtime's default

T=$(mktemp -d /tmp/berth-e2e-podman.XXXXXX)
CGP=/berth-e2e-podman-$$
BRIDGE=berthe2e$$
BRIDGE=${BRIDGE:0:15}
SUBNET_PREFIX=10.89.213
NET=berthe2e
IMG=localhost/berth-e2e:latest

# --- snapshot of the host ---------------------------------------------------------
ipt_dump iptables > "$T/ipt4.before"
ipt_dump ip6tables > "$T/ipt6.before"
nft_tables > "$T/nft.before"
ip netns list 2>/dev/null | sort > "$T/netns.before"
e2e_links "$BRIDGE" > "$T/links.before"
FORWARD_BEFORE=$(cat /proc/sys/net/ipv4/ip_forward)
IPT4_BEFORE=$(cat "$T/ipt4.before")
NFT_BEFORE=$(cat "$T/nft.before")
NETNS_BEFORE=$(cat "$T/netns.before")
LINKS_BEFORE=$(cat "$T/links.before")
created_dirs=""
for d in /var/lib/cni /var/lib/containers /run/netns /run/containers /run/libpod "$RTSTATE" /etc/containers/networks; do
    [ -e "$d" ] || created_dirs="$created_dirs $d"
done
RUN_NETNS_MOUNTED=$(awk '$5=="/run/netns"{print "yes"}' /proc/self/mountinfo)

# --- private podman configuration ---------------------------------------------------
mkdir -p "$T/net" "$T/tmp" "$T/bin" "$T/ipam"
RUNTIME_PATH=$RT
if [ "${E2E_TRACE:-}" = 1 ]; then
    trace=${E2E_TRACE_FILE:-/tmp/berth-e2e-podman-trace.log}
    : > "$trace"
    # same basename, so podman treats it as the runtime it wraps
    cat > "$T/bin/$RTNAME" <<EOF
#!/bin/sh
echo "\$(date +%T.%N) \$\$ $RTNAME \$*" >> "$trace"
exec "$RT" "\$@"
EOF
    chmod +x "$T/bin/$RTNAME"
    RUNTIME_PATH=$T/bin/$RTNAME
fi
# Well below the hard limits the runtime sees (podman's own RLIMIT_NPROC is 32768 here).
lower() { [ "$1" = unlimited ] && { echo "$2"; return; }; [ "$1" -lt "$2" ] && echo "$1" || echo "$2"; }
NOFILE=$(lower "$(ulimit -Hn)" 1024)
NPROC=$(lower "$(ulimit -Hu)" 4096)
cat > "$T/containers.conf" <<EOF
[containers]
# podman asks for RLIMIT_NOFILE 1048576 and RLIMIT_NPROC 32768; without CAP_SYS_RESOURCE
# the runtime cannot raise them above the current hard limits.
default_ulimits = ["nofile=$NOFILE:$NOFILE", "nproc=$NPROC:$NPROC"]
log_driver = "k8s-file"

[network]
network_backend = "cni"
cni_plugin_dirs = ["/usr/lib/cni"]
network_config_dir = "$T/net"
default_network = "$NET"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$T/events.log"
tmp_dir = "$T/tmp"
volume_path = "$T/volumes"
runtime = "$RTNAME"
runtime_supports_json = ["crun", "runc", "$RTNAME"]

[engine.runtimes]
$RTNAME = ["$RUNTIME_PATH"]
EOF
cat > "$T/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$T/root"
runroot = "$T/runroot"
EOF
echo 'unqualified-search-registries = []' > "$T/registries.conf"
# podman's default network (bridge with masquerade, portmap, firewall, tuning) on a
# bridge and subnet of its own; IPAM state in the temporary directory.
cat > "$T/net/$NET.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "$NET",
  "plugins": [
    { "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": { "type": "host-local", "dataDir": "$T/ipam", "routes": [{ "dst": "0.0.0.0/0" }],
                "ranges": [[{ "subnet": "$SUBNET_PREFIX.0/24", "gateway": "$SUBNET_PREFIX.1" }]] } },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "firewall" },
    { "type": "tuning" }
  ]
}
EOF
export CONTAINERS_CONF=$T/containers.conf
export CONTAINERS_STORAGE_CONF=$T/storage.conf
export CONTAINERS_REGISTRIES_CONF=$T/registries.conf

P_TIMEOUT=120
P() {
    timeout -k 5 $P_TIMEOUT podman --root "$T/root" --runroot "$T/runroot" --tmpdir "$T/tmp" \
        --storage-driver vfs --cgroup-manager cgroupfs --events-backend file \
        --network-config-dir "$T/net" --runtime "$RUNTIME_PATH" "$@"
}
RUN_FLAGS=(--cgroup-parent "$CGP")

# --- clean-up (always) -----------------------------------------------------------------
cleaned=0
cleanup() {
    [ $cleaned = 1 ] && return
    trap "" INT TERM     # a clean-up once started runs to its end
    if [ "${E2E_KEEP:-}" = 1 ]; then echo "# E2E_KEEP=1: left $T and everything in it"; cleaned=1; return; fi
    cleaned=1
    local ids id p
    P_TIMEOUT=20     # a broken runtime must not hold the clean-up for long
    ids=$(P ps -aq --no-trunc 2>/dev/null)
    P rm -af -t 0 >/dev/null 2>&1
    P rmi -af >/dev/null 2>&1
    # anything podman could not remove: the runtime's state, conmon, the init processes
    for id in $ids; do
        [ -d "$RTSTATE/$id" ] && "$RT" delete --force "$id" >/dev/null 2>&1
    done
    for p in $(pids_mentioning "$T"); do kill -9 "$p" 2>/dev/null; done
    cgroup_remove_tree "$CGP"
    umount_under "$T"
    ip link del "$BRIDGE" >/dev/null 2>&1
    ipt_restore iptables "$T/ipt4.before" ip "$T/nft.before"
    ipt_restore ip6tables "$T/ipt6.before" ip6 "$T/nft.before"
    echo "$FORWARD_BEFORE" > /proc/sys/net/ipv4/ip_forward
    for d in $created_dirs; do
        if [ "$d" = /run/netns ] && [ -z "$RUN_NETNS_MOUNTED" ]; then umount /run/netns 2>/dev/null; fi
        # the runtime's state root may be in use by others meanwhile: only if empty
        if [ "$d" = "$RTSTATE" ]; then rmdir "$d" 2>/dev/null; continue; fi
        [ -d "$d" ] && rm -rf --one-file-system "$d"
    done
    rm -rf --one-file-system "$T"
}
trap 'cleanup' EXIT
trap 'trap "" INT TERM; exit 130' INT TERM     # one clean-up, however many signals

# --- helpers ---------------------------------------------------------------------------
state_of() { P inspect -f '{{.State.Status}}' "$1" 2>&1; }
exitcode_of() { P inspect -f '{{.State.ExitCode}}' "$1" 2>&1; }
pid_of() { P inspect -f '{{.State.Pid}}' "$1" 2>&1; }
id_of() { P inspect -f '{{.Id}}' "$1" 2>&1; }
wait_state() { # container state seconds
    local i=0
    while [ $i -lt $(($3 * 10)) ]; do
        [ "$(state_of "$1")" = "$2" ] && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}

echo "# $SUITE: runtime $RT, podman $(podman --version | awk '{print $3}'), temp $T"

# --- image ------------------------------------------------------------------------------
out=$(tar -C "$ROOTFS" -cf - . | P import - "$IMG" 2>&1); rc=$?
expect import 0 $rc "$out" || { e2e_finish $SUITE; exit 1; }

# --- run: output and exit code --------------------------------------------------------------
out=$(P run --rm "${RUN_FLAGS[@]}" "$IMG" sh -c 'echo hello from $(hostname); echo err >&2; exit 3' 2>&1); rc=$?
expect run-output-exitcode 3 $rc "$out" "hello from" "err"

out=$(P run --rm "${RUN_FLAGS[@]}" "$IMG" /nonexistent 2>&1); rc=$?
expect run-missing-command-127 127 $rc "$out" "/nonexistent"
out=$(P run --rm "${RUN_FLAGS[@]}" "$IMG" no-such-command 2>&1); rc=$?
expect run-missing-in-path-127 127 $rc "$out" "no-such-command"
out=$(P run --rm "${RUN_FLAGS[@]}" "$IMG" /etc/passwd 2>&1); rc=$?
expect run-not-executable-126 126 $rc "$out" "/etc/passwd"

# the runtime writes its error to conmon's log file as JSON (--log-format=json)
out=$(P run --name badexec "${RUN_FLAGS[@]}" "$IMG" /nonexistent 2>&1); rc=$?
log=$(cat "$T/runroot/vfs-containers/$(id_of badexec)/userdata/oci-log" 2>&1)
expect runtime-json-log 127 $rc "$log" '"level":"error"' '"msg":' /nonexistent
P rm -f badexec >/dev/null 2>&1

out=$(echo piped-in | P run --rm -i "${RUN_FLAGS[@]}" "$IMG" cat 2>&1); rc=$?
expect run-stdin 0 $rc "$out" piped-in

# --- -t -------------------------------------------------------------------------------------
out=$(P run --rm -t "${RUN_FLAGS[@]}" "$IMG" sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-tty; exit 2' 2>&1 </dev/null); rc=$?
expect run-tty 2 $rc "$out" "/dev/pts/" "both-tty"

# --- detached run, exec, pause/unpause, update, stop, kill, rm -----------------------------
out=$(P run -d --name det "${RUN_FLAGS[@]}" "$IMG" sh -c 'trap "echo got-term; exit 7" TERM; echo started; while :; do sleep 0.1; done' 2>&1); rc=$?
if expect run-detached 0 $rc "$out" && wait_state det running 10; then
    DET=$(id_of det)
    sleep 0.3
    out=$(P logs det 2>&1)
    expect detached-logs 0 $? "$out" started
    if [ -f "$RTSTATE/$DET/state.json" ]; then ok detached-runtime-state; else bad detached-runtime-state "no $RTSTATE/$DET/state.json"; fi

    out=$(P exec det sh -c 'echo in-exec $$; cat /proc/1/cmdline | tr "\0" " "; exit 5' 2>&1); rc=$?
    expect exec-exitcode 5 $rc "$out" "in-exec" "while"
    out=$(P exec -t det sh -c 'tty; [ -t 1 ] && echo is-tty; exit 4' 2>&1 </dev/null); rc=$?
    expect exec-tty 4 $rc "$out" "/dev/pts/" "is-tty"
    out=$(P exec det /nonexistent 2>&1); rc=$?
    expect exec-missing-command-127 127 $rc "$out"
    out=$(P exec --user 65534 -w /tmp -e E2E=one det sh -c 'echo uid=$(id -u) cwd=$(pwd) env=$E2E' 2>&1); rc=$?
    expect exec-user-workdir-env 0 $rc "$out" uid=65534 cwd=/tmp env=one
    out=$(echo into-exec | P exec -i det cat 2>&1); rc=$?
    expect exec-stdin 0 $rc "$out" into-exec

    out=$(P pause det 2>&1); rc=$?
    fr=$(cg_freezer "$(pid_of det)")
    expect pause 0 $rc "$out state=$(state_of det) freezer=$fr" "state=paused" "freezer=FROZEN"
    out=$(P unpause det 2>&1); rc=$?
    fr=$(cg_freezer "$(pid_of det)")
    expect unpause 0 $rc "$out state=$(state_of det) freezer=$fr" "state=running" "freezer=THAWED"

    out=$(P update --memory 48m det 2>&1); rc=$?
    lim=$(cg_read "$(pid_of det)" memory memory.limit_in_bytes memory.max)
    expect update-memory 0 $rc "$out limit=$lim" "limit=50331648"

    start=$(date +%s)
    out=$(P stop -t 20 det 2>&1); rc=$?
    took=$(( $(date +%s) - start ))
    expect stop-sigterm 0 $rc "$out state=$(state_of det) exit=$(exitcode_of det) took=${took}s" "state=exited" "exit=7"
    out=$(P logs det 2>&1)
    expect stop-sigterm-handled 0 $? "$out" got-term
    [ "$took" -lt 15 ] || bad stop-sigterm-fast "stop took ${took}s: SIGTERM was not delivered"

    out=$(P rm det 2>&1); rc=$?
    left=$(P ps -aq --filter name=det 2>&1)
    [ -e "$RTSTATE/$DET" ] && left="$left runtime state $RTSTATE/$DET remains"
    left="$left$(cgroup_list_tree "$CGP" | grep "$DET")"
    expect rm 0 $rc "$out left=[$left]" "left=[]"
else
    bad detached-container "not running: $(state_of det)"
fi

out=$(P run -d --name stubborn "${RUN_FLAGS[@]}" "$IMG" sh -c 'trap "" TERM; while :; do sleep 0.1; done' 2>&1); rc=$?
if [ $rc = 0 ] && wait_state stubborn running 10; then
    start=$(date +%s)
    out=$(P stop -t 2 stubborn 2>&1); rc=$?
    took=$(( $(date +%s) - start ))
    expect stop-sigkill-after-timeout 0 $rc "$out state=$(state_of stubborn) exit=$(exitcode_of stubborn) took=${took}s" "state=exited" "exit=137"
    [ "$took" -ge 2 ] || bad stop-waits-timeout "stopped after ${took}s, before the 2s timeout"
    P rm stubborn >/dev/null 2>&1
else
    bad stop-sigkill-after-timeout "could not start: $out"
fi

# pid 1 of a pid namespace only gets signals it has a handler for
out=$(P run -d --name victim "${RUN_FLAGS[@]}" "$IMG" sh -c 'trap "exit 9" USR1; while :; do sleep 0.1; done' 2>&1); rc=$?
if [ $rc = 0 ] && wait_state victim running 10; then
    out=$(P kill -s USR1 victim 2>&1); rc=$?
    wait_state victim exited 10
    expect kill-usr1 0 $rc "$out state=$(state_of victim) exit=$(exitcode_of victim)" "state=exited" "exit=9"
    P rm victim >/dev/null 2>&1
else
    bad kill-usr1 "could not start: $out"
fi
out=$(P run -d --name victim2 "${RUN_FLAGS[@]}" "$IMG" sleep 1000 2>&1); rc=$?
if [ $rc = 0 ] && wait_state victim2 running 10; then
    out=$(P kill victim2 2>&1); rc=$?
    wait_state victim2 exited 10
    expect kill-default-sigkill 0 $rc "$out state=$(state_of victim2) exit=$(exitcode_of victim2)" "state=exited" "exit=137"
    V2=$(id_of victim2)
    out=$(P rm victim2 2>&1); rc=$?
    [ -e "$RTSTATE/$V2" ] && out="$out runtime state $RTSTATE/$V2 remains"
    expect rm-after-kill 0 $rc "$out"
else
    bad kill-default-sigkill "could not start: $out"
fi

# a paused container can be killed, and started again
out=$(P run -d --name frozen "${RUN_FLAGS[@]}" "$IMG" sleep 1000 2>&1); rc=$?
if [ $rc = 0 ] && wait_state frozen running 10; then
    P pause frozen >/dev/null 2>&1
    out=$(P kill frozen 2>&1); rc=$?
    wait_state frozen exited 10
    expect kill-paused 0 $rc "$out state=$(state_of frozen) exit=$(exitcode_of frozen)" "state=exited" "exit=137"
    out=$(P start frozen 2>&1); rc=$?
    wait_state frozen running 10
    expect start-again 0 $rc "$out state=$(state_of frozen)" "state=running"
    P rm -f -t 0 frozen >/dev/null 2>&1
else
    bad kill-paused "could not start: $out"
fi

out=$(P run -d --name forced "${RUN_FLAGS[@]}" "$IMG" sleep 1000 2>&1); rc=$?
if [ $rc = 0 ] && wait_state forced running 10; then
    F=$(id_of forced); FPID=$(pid_of forced)
    out=$(P rm -f -t 0 forced 2>&1); rc=$?
    left=$(P ps -aq --filter name=forced 2>&1)
    [ -e "$RTSTATE/$F" ] && left="$left runtime state remains"
    kill -0 "$FPID" 2>/dev/null && left="$left process $FPID still alive"
    expect rm-force-running 0 $rc "$out left=[$left]" "left=[]"
else
    bad rm-force-running "could not start: $out"
fi

# --- resources ------------------------------------------------------------------------------
out=$(P run --rm --memory 32m "${RUN_FLAGS[@]}" "$IMG" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max' 2>&1); rc=$?
expect memory-limit 0 $rc "$out" 33554432
# The forks run in one subshell whose errors go to a file the shell then reads with builtins
# only: a pipeline into head would race head's own fork against the sleeps for the last pids.
out=$(P run --rm --pids-limit 10 "${RUN_FLAGS[@]}" "$IMG" sh -c 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max; (for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 3 & done) 2>/dev/shm/forks; read -r l </dev/shm/forks; echo "$l"' 2>&1); rc=$?
expect pids-limit 0 $rc "$out" 10 "fork"

# --- networks ---------------------------------------------------------------------------------
hostns=$(readlink /proc/self/ns/net)
out=$(P run --rm --network host "${RUN_FLAGS[@]}" "$IMG" sh -c 'readlink /proc/self/ns/net; ip -o link' 2>&1); rc=$?
expect network-host 0 $rc "$out" "$hostns" "$(ip -o link | awk -F': ' 'NR==2{print $2}' | sed 's/@.*//')"

# (no exec here: the container reports on itself in its log)
out=$(P run -d --name bridged "${RUN_FLAGS[@]}" "$IMG" sh -c 'readlink /proc/self/ns/net; ip -4 -o addr show eth0; ip route; ping -c1 -W2 '$SUBNET_PREFIX.1' >/dev/null && echo gw-reachable; echo report-done; exec sleep 1000' 2>&1); rc=$?
if [ $rc = 0 ] && wait_state bridged running 10; then
    B=$(id_of bridged)
    ip=$(P inspect -f '{{.NetworkSettings.IPAddress}}' bridged 2>&1)
    netns=$(P inspect -f '{{.NetworkSettings.SandboxKey}}' bridged 2>&1)
    ns=$(readlink /proc/$(pid_of bridged)/ns/net)
    if [ "$ns" != "$hostns" ] && [ -n "$ip" ] && iptables-save | grep -qF "$ip"; then
        ok bridge-network-setup
    else
        bad bridge-network-setup "netns $ns (host $hostns), ip '$ip', nat rules: $(iptables-save -t nat | grep -c CNI)"
    fi
    i=0; while [ $i -lt 50 ]; do out=$(P logs bridged 2>&1); case "$out" in *report-done*) break ;; esac; sleep 0.1; i=$((i + 1)); done
    expect bridge-network-inside 0 0 "$out" "inet $SUBNET_PREFIX." "default via $SUBNET_PREFIX.1" gw-reachable
    out=$(P rm -f -t 0 bridged 2>&1); rc=$?
    left=""
    [ -n "$ip" ] && iptables-save | grep -qF "$ip" && left="$left iptables rules for $ip:$(iptables-save | grep -F "$ip")"
    case "$netns" in /*) ;; *) left="$left (no netns path from inspect: $netns)"; netns=/nonexistent ;; esac
    i=0; while [ $i -lt 50 ] && [ -e "$netns" ]; do sleep 0.1; i=$((i + 1)); done
    [ -e "$netns" ] && left="$left netns $netns"
    [ -e "$RTSTATE/$B" ] && left="$left runtime state"
    expect bridge-network-teardown 0 $rc "$out left=[$left]" "left=[]"
else
    bad bridge-network-setup "could not start: $out"
fi

# --- nothing of the containers remains, then the host is as it was ----------------------
left=$(P ps -aq 2>&1)
left="$left$(cgroup_list_tree "$CGP" | grep libpod-)"
[ -d "$RTSTATE" ] && left="$left$(ls "$RTSTATE" 2>/dev/null | grep -Ff <(P ps -aq --no-trunc 2>/dev/null; echo nomatch-))"
if [ -z "$left" ]; then ok no-container-leftovers; else bad no-container-leftovers "$left"; fi

cleanup
left=""
[ -e "$T" ] && left="$left $T"
left="$left$(cgroup_list_tree "$CGP")"
[ "$(e2e_links "$BRIDGE")" = "$LINKS_BEFORE" ] || left="$left links: $(e2e_links "$BRIDGE" | tr '\n' ' ')"
[ "$(ipt_dump iptables)" = "$IPT4_BEFORE" ] || left="$left iptables: $(diff <(ipt_dump iptables) <(printf '%s\n' "$IPT4_BEFORE") | tr '\n' ' ')"
[ "$(nft_tables)" = "$NFT_BEFORE" ] || left="$left nft tables: $(nft_tables | tr '\n' ' ')"
[ "$(ip netns list 2>/dev/null | sort)" = "$NETNS_BEFORE" ] || left="$left netns: $(ip netns list | tr '\n' ' ')"
[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$FORWARD_BEFORE" ] || left="$left ip_forward changed"
for d in $created_dirs; do [ -e "$d" ] && left="$left $d"; done
if [ -z "$left" ]; then ok host-as-found; else bad host-as-found "$left"; fi

e2e_finish $SUITE
