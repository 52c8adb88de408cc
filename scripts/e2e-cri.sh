#!/bin/bash
# End-to-end: the Kubernetes path. containerd 1.6's CRI plugin, with a runtime of type
# io.containerd.runc.v2 whose BinaryName is the OCI runtime (berth or runc), driven
# through the CRI API as the kubelet drives it (scripts/e2e-cri.py).
#
#   scripts/e2e-cri.sh RUNTIME ROOTFS
#
# RUNTIME is the runtime binary (.build/release/berth, or /usr/sbin/runc to check the
# harness itself); ROOTFS a busybox rootfs (scripts/mkrootfs.sh). Root only.
#
# The test starts its own containerd (config, root, state, socket, CNI configuration in a
# temporary directory) and stops it at the end. The pod network is a CNI bridge of the
# test's own with no gateway and no masquerading (isGateway false, ipMasq false), so the
# host's routing, ip_forward and firewall are left alone; the pods' network namespaces
# live under containerd's state directory. The sandbox (pause) image and the workload
# image are made here from ROOTFS and imported with `ctr image import`. Every pod runs
# under a cgroup parent of the test's.
#
# Each check prints "ok NAME" or "FAIL NAME: details"; the last line counts them; the
# exit status is nonzero on any failure. Everything the test made on the host is
# removed on exit, on failure too, and the host is checked against a snapshot.
#
# E2E_TRACE=1 logs every runtime command line the shim runs to $E2E_TRACE_FILE
# (default /tmp/berth-e2e-cri-trace.log). E2E_KEEP=1 (debugging only) skips the
# clean-up.
set -u

SUITE=e2e-cri
here=$(cd "$(dirname "$0")" && pwd)
. "$here/e2e-lib.sh"

[ $# -eq 2 ] || { echo "usage: $0 RUNTIME ROOTFS" >&2; exit 2; }
e2e_lock $SUITE "$0" "$@"
e2e_preconditions $SUITE "$1" "$2" containerd ctr containerd-shim-runc-v2 sha256sum tar ip iptables-save
# Debian's python3 with python3-grpcio and python3-protobuf (another python3 may come
# first on $PATH)
PY=/usr/bin/python3
"$PY" -c 'import grpc, google.protobuf' 2>/dev/null ||
    e2e_cannot_run $SUITE "$PY cannot import grpc and google.protobuf (python3-grpcio, python3-protobuf; make e2e-deps)"
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/loopback ] || e2e_cannot_run $SUITE "CNI plugins missing (containernetworking-plugins)"
CONTAINERD=$(command -v containerd)

T=$(mktemp -d /tmp/berth-e2e-cri.XXXXXX)
SOCK=$T/containerd.sock
CGP=/berth-e2e-cri-$$
RROOT=$T/runc-root            # the runtime's --root; the shim adds the namespace
RTSTATE=$RROOT/k8s.io
IMG=localhost/berth-e2e:latest
PAUSE=localhost/berth-e2e-pause:latest
BRIDGE=berthc$$
BRIDGE=${BRIDGE:0:15}
SUBNET_PREFIX=10.89.215

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
for d in /run/containerd /var/lib/containerd /opt/containerd /run/netns /var/lib/cni /etc/cni /opt/cni; do
    [ -e "$d" ] || created_paths="$created_paths $d"
done

# --- private containerd with the CRI plugin ---------------------------------------------
mkdir -p "$T/bin" "$T/cni" "$T/ipam" "$T/logs" "$RROOT"
RUNTIME_PATH=$RT
if [ "${E2E_TRACE:-}" = 1 ]; then
    trace=${E2E_TRACE_FILE:-/tmp/berth-e2e-cri-trace.log}
    : > "$trace"
    cat > "$T/bin/$(basename "$RT")" <<EOF
#!/bin/sh
echo "\$(date +%T.%N) \$\$ $(basename "$RT") \$*" >> "$trace"
exec "$RT" "\$@"
EOF
    chmod +x "$T/bin/$(basename "$RT")"
    RUNTIME_PATH=$T/bin/$(basename "$RT")
fi
cat > "$T/cni/10-berth-e2e.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "berth-e2e-cri",
  "plugins": [
    { "type": "bridge", "bridge": "$BRIDGE", "isGateway": false, "ipMasq": false,
      "ipam": { "type": "host-local", "dataDir": "$T/ipam",
                "ranges": [[{ "subnet": "$SUBNET_PREFIX.0/24" }]] } }
  ]
}
EOF
# restrict_oom_score_adj: the sandbox asks for oom_score_adj -998, which a root without
# CAP_SYS_RESOURCE (as on the development VM) may not set, with any runtime.
cat > "$T/config.toml" <<EOF
version = 2
root = "$T/root"
state = "$T/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$T/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$T/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "berth"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.berth]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.berth.options]
        BinaryName = "$RUNTIME_PATH"
        Root = "$RROOT"
EOF

C_TIMEOUT=60
# (no call once containerd is gone: ctr would wait for it until the timeout)
cd_alive() { [ -n "$CD_PID" ] && kill -0 "$CD_PID" 2>/dev/null; }
C() { cd_alive && timeout -k 5 $C_TIMEOUT ctr --address "$SOCK" --namespace k8s.io "$@"; }
CRI() { cd_alive && timeout -k 5 $C_TIMEOUT "$PY" "$here/e2e-cri.py" "$CONTAINERD" "$SOCK" "$@"; }

CD_PID=""
SCENARIO_PID=""
cleaned=0
cleanup() {
    [ $cleaned = 1 ] && return
    trap "" INT TERM     # a clean-up once started runs to its end
    cleaned=1
    if [ "${E2E_KEEP:-}" = 1 ]; then echo "# E2E_KEEP=1: left $T, containerd $CD_PID"; return; fi
    local pod t c id p l
    C_TIMEOUT=20     # a broken runtime must not hold the clean-up for long
    # an interrupted scenario makes no more calls
    [ -n "$SCENARIO_PID" ] && { kill "$SCENARIO_PID" 2>/dev/null; wait "$SCENARIO_PID" 2>/dev/null; }
    # (an interrupt that reached the whole process group has stopped the daemon too)
    if cd_alive; then
        # through the CRI first, so the CNI plugin tears the pod network down
        for pod in $(CRI call ListPodSandbox 2>/dev/null | sed -n 's/^ *"id": "\([0-9a-f]*\)",*$/\1/p'); do
            CRI call StopPodSandbox "{\"pod_sandbox_id\":\"$pod\"}" >/dev/null 2>&1
            CRI call RemovePodSandbox "{\"pod_sandbox_id\":\"$pod\"}" >/dev/null 2>&1
        done
        for t in $(C task ls -q 2>/dev/null); do C task kill -a -s SIGKILL "$t" >/dev/null 2>&1; done
        sleep 0.2
        for t in $(C task ls -q 2>/dev/null); do C task rm -f "$t" >/dev/null 2>&1; done
        for c in $(C container ls -q 2>/dev/null); do C container rm "$c" >/dev/null 2>&1; done
        kill "$CD_PID" 2>/dev/null
        for _ in $(seq 25); do kill -0 "$CD_PID" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$CD_PID" 2>/dev/null
    fi
    e2e_host_cleanup
}
trap 'cleanup' EXIT
trap 'trap "" INT TERM; exit 130' INT TERM     # one clean-up, however many signals

containerd --config "$T/config.toml" > "$T/containerd.log" 2>&1 &
CD_PID=$!
for _ in $(seq 100); do
    ctr --address "$SOCK" version >/dev/null 2>&1 && break
    kill -0 $CD_PID 2>/dev/null || break
    sleep 0.1
done
echo "# $SUITE: runtime $RT, $(containerd --version | awk '{print $1, $3}'), temp $T"
if ! ctr --address "$SOCK" version >/dev/null 2>&1; then
    bad containerd-start "containerd did not come up: $(tail -5 "$T/containerd.log")"
    e2e_finish $SUITE; exit 1
fi

# --- images: the workload and the sandbox (pause) image, from ROOTFS ------------------
oci_archive "$ROOTFS" "$T/images.tar" \
    "$IMG" '{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]}' \
    "$PAUSE" '{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Entrypoint":["/bin/sh","-c","trap \"exit 0\" TERM INT; while :; do sleep 3600 & wait $!; done"]}'
out=$(C image import "$T/images.tar" 2>&1); rc=$?
expect image-import 0 $rc "$out$(C image ls -q 2>&1)" "$IMG" "$PAUSE" || { e2e_finish $SUITE; exit 1; }

# --- the CRI calls (e2e-cri.py prints "ok NAME" or "bad NAME details") ------------------
args=$(printf '{"image":"%s","cgroup_parent":"%s","log_dir":"%s","runtime_state":"%s","subnet_prefix":"%s"}' \
    "$IMG" "$CGP" "$T/logs" "$RTSTATE" "$SUBNET_PREFIX")
C_TIMEOUT=240
n=0
exec 8< <(CRI scenario "$args" 2>&1)
SCENARIO_PID=$!
while IFS= read -r -u 8 line; do
    case $line in
        "ok "*) ok "${line#ok }" ;;
        "bad "*) line=${line#bad }; bad "${line%% *}" "${line#* }" ;;
        *) echo "# $line" ;;
    esac
    n=$((n + 1))
done
exec 8<&-
SCENARIO_PID=""
C_TIMEOUT=60
[ $n -gt 0 ] || bad cri-scenario "e2e-cri.py printed nothing"

# --- nothing of the pods remains, then the host is as it was ---------------------------
left="$(C task ls -q 2>&1)$(C container ls -q 2>&1)"
[ -n "$(ls "$RTSTATE" 2>/dev/null)" ] && left="$left runtime state: $(ls "$RTSTATE")"
left="$left$(cgroup_list_tree "$CGP" | grep -v "^/sys/fs/cgroup/[^/]*$CGP\$" | grep -v "^/sys/fs/cgroup$CGP\$")"
left="$left$(awk -v d="$T/state/" 'index($5, d)==1{print $5}' /proc/self/mountinfo)"
left="$left$(ls "$T/ipam/berth-e2e-cri" 2>/dev/null | grep -F "$SUBNET_PREFIX.")"
if [ -z "$left" ]; then ok no-pod-leftovers; else bad no-pod-leftovers "$left"; fi

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
