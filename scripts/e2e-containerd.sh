#!/bin/bash
# End-to-end: containerd 1.6 and its runc v2 shim driving an OCI runtime (berth or runc)
# through `ctr run --runc-binary`.
#
#   scripts/e2e-containerd.sh RUNTIME ROOTFS
#
# RUNTIME is the runtime binary (.build/release/berth, or /usr/sbin/runc to check the
# harness itself); ROOTFS a busybox rootfs (scripts/mkrootfs.sh). Root only.
#
# The test starts its own containerd (config, root, state, socket and opt directory in a
# temporary directory; the CRI plugin disabled) and stops it at the end. The image is
# made offline: an OCI archive of ROOTFS written here, then `ctr image import`. Every
# container runs in a namespace of the test's own (so its cgroups are /<namespace>/<id>),
# with --runc-root and --fifo-dir in the temporary directory. Terminal checks run ctr
# under script(1), which gives it the terminal ctr -t needs.
#
# Each check prints "ok NAME" or "FAIL NAME: details"; the last line counts them; the
# exit status is nonzero on any failure. Everything the test made on the host is
# removed on exit, on failure too.
#
# E2E_TRACE=1 logs every runtime command line the shim runs to $E2E_TRACE_FILE
# (default /tmp/berth-e2e-containerd-trace.log). E2E_KEEP=1 (debugging only) skips
# the clean-up.
set -u

SUITE=e2e-containerd
here=$(cd "$(dirname "$0")" && pwd)
. "$here/e2e-lib.sh"

[ $# -eq 2 ] || { echo "usage: $0 RUNTIME ROOTFS" >&2; exit 2; }
e2e_lock $SUITE "$0" "$@"
e2e_preconditions $SUITE "$1" "$2" containerd ctr containerd-shim-runc-v2 script sha256sum tar

T=$(mktemp -d /tmp/berth-e2e-containerd.XXXXXX)
NS=berth-e2e-$$
SOCK=$T/containerd.sock
IMG=localhost/berth-e2e:latest
RROOT=$T/runc-root            # --runc-root; the shim adds the namespace
RTSTATE=$RROOT/$NS

created_dirs=""
for d in /run/containerd /var/lib/containerd /opt/containerd; do
    [ -e "$d" ] || created_dirs="$created_dirs $d"
done
NETNS_BEFORE=$(ip netns list 2>/dev/null | sort)

RUNTIME_PATH=$RT
mkdir -p "$T/bin" "$T/fifo" "$RROOT"
if [ "${E2E_TRACE:-}" = 1 ]; then
    trace=${E2E_TRACE_FILE:-/tmp/berth-e2e-containerd-trace.log}
    : > "$trace"
    cat > "$T/bin/$(basename "$RT")" <<EOF
#!/bin/sh
echo "\$(date +%T.%N) \$\$ $(basename "$RT") \$*" >> "$trace"
exec "$RT" "\$@"
EOF
    chmod +x "$T/bin/$(basename "$RT")"
    RUNTIME_PATH=$T/bin/$(basename "$RT")
fi

cat > "$T/config.toml" <<EOF
version = 2
root = "$T/root"
state = "$T/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$T/opt"
EOF

C_TIMEOUT=60
C() { timeout -k 5 $C_TIMEOUT ctr --address "$SOCK" --namespace "$NS" "$@"; }
RUNF=(--runc-binary "$RUNTIME_PATH" --runc-root "$RROOT" --fifo-dir "$T/fifo")
# ctr with -t needs a terminal on its stdin: script(1) provides one
CT() { # command line, as one string
    timeout -k 5 $C_TIMEOUT script -qefc "$1" /dev/null < /dev/null
}
CTR="ctr --address $SOCK --namespace $NS"

CD_PID=""
cleaned=0
cleanup() {
    [ $cleaned = 1 ] && return
    trap "" INT TERM     # a clean-up once started runs to its end
    cleaned=1
    if [ "${E2E_KEEP:-}" = 1 ]; then echo "# E2E_KEEP=1: left $T, containerd $CD_PID"; return; fi
    local t c id p
    C_TIMEOUT=15     # a broken runtime must not hold the clean-up for long
    # (an interrupt that reached the whole process group has stopped the daemon too)
    if [ -n "$CD_PID" ] && kill -0 "$CD_PID" 2>/dev/null; then
        for t in $(C task ls -q 2>/dev/null); do
            C task resume "$t" >/dev/null 2>&1
            C task kill -a -s SIGKILL "$t" >/dev/null 2>&1
        done
        sleep 0.3
        for t in $(C task ls -q 2>/dev/null); do C task rm -f "$t" >/dev/null 2>&1; done
        for c in $(C container ls -q 2>/dev/null); do C container rm "$c" >/dev/null 2>&1; done
        C image rm "$IMG" >/dev/null 2>&1
        kill "$CD_PID" 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$CD_PID" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$CD_PID" 2>/dev/null
    fi
    # what containerd could not remove: the runtime's state, shims, container processes
    if [ -d "$RTSTATE" ]; then
        for id in $(ls "$RTSTATE"); do "$RT" --root "$RTSTATE" delete --force "$id" >/dev/null 2>&1; done
    fi
    for p in $(pids_mentioning "$T"); do kill -9 "$p" 2>/dev/null; done
    cgroup_remove_tree "/$NS"
    umount_under "$T"
    for d in $created_dirs; do
        [ -d "$d" ] && { umount_under "$d"; rm -rf --one-file-system "$d"; }
    done
    rm -rf --one-file-system "$T"
}
trap 'cleanup' EXIT
trap 'trap "" INT TERM; exit 130' INT TERM     # one clean-up, however many signals

# --- start containerd ---------------------------------------------------------------
containerd --config "$T/config.toml" > "$T/containerd.log" 2>&1 &
CD_PID=$!
for _ in $(seq 50); do
    ctr --address "$SOCK" version >/dev/null 2>&1 && break
    sleep 0.1
done
echo "# $SUITE: runtime $RT, $(containerd --version | awk '{print $1, $3}'), temp $T"
if ! ctr --address "$SOCK" version >/dev/null 2>&1; then
    bad containerd-start "containerd did not come up: $(tail -5 "$T/containerd.log")"
    e2e_finish $SUITE; exit 1
fi

# --- the image: an OCI archive of ROOTFS, made here --------------------------------------
oci_archive "$ROOTFS" "$T/image.tar" "$IMG" '{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]}'
out=$(C image import "$T/image.tar" 2>&1); rc=$?
expect image-import 0 $rc "$out$(C image ls -q 2>&1)" "$IMG" || { e2e_finish $SUITE; exit 1; }

# --- helpers -----------------------------------------------------------------------------
task_status() { C task ls 2>/dev/null | awk -v t="$1" '$1==t{print $3}'; }
task_pid() { C task ls 2>/dev/null | awk -v t="$1" '$1==t{print $2}'; }
wait_status() { # task status seconds
    local i=0
    while [ $i -lt $(($3 * 10)) ]; do
        [ "$(task_status "$1")" = "$2" ] && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}
# a container run in the foreground by ctr, in the background of this shell
# (output to a file, so nothing holds this shell's stdout): bg_run NAME ctr-run-args...
declare -A BG_PID
bg_run() {
    local name=$1; shift
    C run "${RUNF[@]}" "$@" > "$T/$name.out" 2>&1 &
    BG_PID[$name]=$!
}
bg_wait() { # name -> exit status of ctr run
    local rc
    wait "${BG_PID[$1]}"; rc=$?
    return $rc
}
freezer_state() { cg_freezer "$(task_pid "$1")"; }

# --- run: output and exit code ------------------------------------------------------------
out=$(C run --rm "${RUNF[@]}" "$IMG" run1 sh -c 'echo hello from $(hostname); echo err >&2; exit 3' 2>&1); rc=$?
expect run-output-exitcode 3 $rc "$out" "hello from" err

cp -a "$ROOTFS" "$T/bundle-rootfs"
out=$(C run --rm "${RUNF[@]}" --rootfs "$T/bundle-rootfs" rootfs1 /bin/sh -c 'echo from-rootfs; ls /bin/busybox; exit 4' 2>&1); rc=$?
expect run-rootfs 4 $rc "$out" from-rootfs /bin/busybox

# a create error: the shim passes on the runtime's own message
out=$(C run --rm "${RUNF[@]}" "$IMG" bad1 /nonexistent 2>&1); rc=$?
if [ $rc != 0 ]; then
    expect create-error-message 0 0 "$out" '/nonexistent' 'no such file or directory'
else
    bad create-error-message "ctr run of /nonexistent succeeded: $out"
fi
C task rm -f bad1 >/dev/null 2>&1; C container rm bad1 >/dev/null 2>&1
out=$(C run --rm "${RUNF[@]}" "$IMG" bad2 /etc/passwd 2>&1); rc=$?
if [ $rc != 0 ]; then
    expect create-error-permission 0 0 "$out" '/etc/passwd' 'permission denied'
else
    bad create-error-permission "ctr run of /etc/passwd succeeded: $out"
fi
C task rm -f bad2 >/dev/null 2>&1; C container rm bad2 >/dev/null 2>&1
left=""
[ -n "$(ls "$RTSTATE" 2>/dev/null)" ] && left="runtime state: $(ls "$RTSTATE")"
left="$left$(cgroup_list_tree "/$NS" | grep -E '/bad[12]$')"
if [ -z "$left" ]; then ok create-error-leaves-nothing; else bad create-error-leaves-nothing "$left"; fi

# --- -t -----------------------------------------------------------------------------------
out=$(CT "$CTR run --rm -t --runc-binary $RUNTIME_PATH --runc-root $RROOT --fifo-dir $T/fifo $IMG tty1 sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-tty; exit 2'" 2>&1); rc=$?
expect run-tty 2 $rc "$out" /dev/pts/ both-tty

# --- detached run, task ps, exec, pause/resume, kill, rm ----------------------------------
out=$(C run -d "${RUNF[@]}" --log-uri "file://$T/det.log" "$IMG" det sh -c 'trap "echo got-term; exit 7" TERM; echo started; sleep 1000 & while :; do sleep 0.1; done' 2>&1); rc=$?
if expect run-detached 0 $rc "$out" && wait_status det RUNNING 10; then
    sleep 0.3
    out=$(cat "$T/det.log" 2>&1)
    expect detached-output 0 0 "$out" started
    if [ -f "$RTSTATE/det/state.json" ]; then ok detached-runtime-state; else bad detached-runtime-state "no $RTSTATE/det/state.json"; fi

    out=$(C task ps det 2>&1); rc=$?
    pid=$(task_pid det)
    n=$(printf '%s\n' "$out" | awk 'NR>1' | grep -c .)
    # the init (sh), the backgrounded sleep 1000, maybe a sleep 0.1
    if [ $rc = 0 ] && printf '%s\n' "$out" | awk 'NR>1{print $1}' | grep -qx "$pid" && [ "$n" -ge 2 ]; then
        ok task-ps
    else
        bad task-ps "rc $rc, init pid $pid, $n processes: $out"
    fi

    out=$(C task exec --exec-id e1 --fifo-dir "$T/fifo" det sh -c 'echo in-exec; cat /proc/1/cmdline | tr "\0" " "; exit 5' 2>&1); rc=$?
    expect exec-exitcode 5 $rc "$out" in-exec while
    out=$(CT "$CTR task exec -t --exec-id e2 --fifo-dir $T/fifo det sh -c 'tty; [ -t 1 ] && echo is-tty; exit 4'" 2>&1); rc=$?
    expect exec-tty 4 $rc "$out" /dev/pts/ is-tty
    out=$(C task exec --exec-id e3 --fifo-dir "$T/fifo" det /nonexistent 2>&1); rc=$?
    if [ $rc != 0 ]; then
        expect exec-error-message 0 0 "$out" /nonexistent 'no such file or directory'
    else
        bad exec-error-message "exec of /nonexistent succeeded: $out"
    fi

    out=$(C task exec --exec-id e4 --fifo-dir "$T/fifo" --user 65534 --cwd /tmp det sh -c 'echo uid=$(id -u) cwd=$(pwd)' 2>&1); rc=$?
    expect exec-user-cwd 0 $rc "$out" uid=65534 cwd=/tmp
    out=$(echo into-exec | C task exec --exec-id e5 --fifo-dir "$T/fifo" det cat 2>&1); rc=$?
    expect exec-stdin 0 $rc "$out" into-exec

    out=$(C task pause det 2>&1); rc=$?
    expect pause 0 $rc "$out status=$(task_status det) freezer=$(freezer_state det)" status=PAUSED freezer=FROZEN
    out=$(C task resume det 2>&1); rc=$?
    expect resume 0 $rc "$out status=$(task_status det) freezer=$(freezer_state det)" status=RUNNING freezer=THAWED

    out=$(C task kill -s SIGTERM det 2>&1); rc=$?
    wait_status det STOPPED 10
    sleep 0.2
    expect kill-sigterm 0 $rc "$out status=$(task_status det) log=$(cat "$T/det.log")" status=STOPPED got-term
    out=$(C task rm det 2>&1); rc=$?
    out2=$(C container rm det 2>&1); rc2=$?
    left=""
    [ -n "$(C task ls -q 2>&1)$(C container ls -q 2>&1)" ] && left="$left ctr: $(C container ls -q)"
    [ -e "$RTSTATE/det" ] && left="$left runtime state $RTSTATE/det"
    left="$left$(cgroup_list_tree "/$NS" | grep '/det$')"
    expect rm 0 $((rc + rc2)) "$out $out2 left=[$left]" "left=[]"
else
    bad detached-container "status $(task_status det): $(cat "$T/containerd.log" | tail -3)"
fi

# kill with exit status: ctr run in the foreground returns the container's status
bg_run kill1 "$IMG" kill1 sh -c 'trap "exit 9" USR1; while :; do sleep 0.1; done'
if wait_status kill1 RUNNING 10; then
    out=$(C task kill -s SIGUSR1 kill1 2>&1)
    bg_wait kill1; rc=$?
    expect kill-exitcode 9 $rc "$out $(cat "$T/kill1.out")"
    C task rm kill1 >/dev/null 2>&1; C container rm kill1 >/dev/null 2>&1
else
    bad kill-exitcode "not running: $(cat "$T/kill1.out")"
fi

# kill --all: every process of the container, not only the init
bg_run killall "$IMG" killall sh -c 'trap "" TERM; sleep 1000 & sleep 1001 & while :; do sleep 0.1; done'
if wait_status killall RUNNING 10; then
    sleep 0.3
    pids=$(C task ps killall 2>/dev/null | awk 'NR>1{print $1}')
    out=$(C task kill --all -s SIGKILL killall 2>&1)
    bg_wait killall; rc=$?
    alive=""
    for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
    expect kill-all 137 $rc "$out pids=[$(echo $pids)] alive=[$alive]" "alive=[]"
    C task rm killall >/dev/null 2>&1; C container rm killall >/dev/null 2>&1
else
    bad kill-all "not running: $(cat "$T/killall.out")"
fi

# --- resources and network ----------------------------------------------------------------------
# (ctr's default spec mounts no cgroup filesystem: read the limit from the host)
bg_run mem1 --memory-limit 33554432 "$IMG" mem1 sleep 1000
if wait_status mem1 RUNNING 10; then
    lim=$(cg_read "$(task_pid mem1)" memory memory.limit_in_bytes memory.max)
    C task kill -s SIGKILL mem1 >/dev/null 2>&1
    bg_wait mem1
    expect memory-limit 0 0 "limit=$lim" "limit=33554432"
    C task rm mem1 >/dev/null 2>&1; C container rm mem1 >/dev/null 2>&1
else
    bad memory-limit "not running: $(cat "$T/mem1.out")"
fi

hostns=$(readlink /proc/self/ns/net)
out=$(C run --rm "${RUNF[@]}" --net-host "$IMG" net1 sh -c 'readlink /proc/self/ns/net; ip -o link' 2>&1); rc=$?
expect net-host 0 $rc "$out" "$hostns" "$(ip -o link | awk -F': ' 'NR==2{print $2}' | sed 's/@.*//')"
out=$(C run --rm "${RUNF[@]}" "$IMG" net2 sh -c 'readlink /proc/self/ns/net; ip -o link | wc -l' 2>&1); rc=$?
case "$out" in
    *"$hostns"*) bad net-private "container shares the host's network namespace: $out" ;;
    *) expect net-private 0 $rc "$out" "net:[" ;;
esac

# --- nothing of the containers remains -----------------------------------------------------------
left="$(C task ls -q 2>&1)$(C container ls -q 2>&1)"
[ -n "$(ls "$RTSTATE" 2>/dev/null)" ] && left="$left runtime state: $(ls "$RTSTATE")"
left="$left$(cgroup_list_tree "/$NS" | grep -v "^/sys/fs/cgroup/[^/]*/$NS\$")"
left="$left$(awk -v d="$T/" 'index($5, d)==1{print $5}' /proc/self/mountinfo)"
if [ -z "$left" ]; then ok no-container-leftovers; else bad no-container-leftovers "$left"; fi

cleanup
left=""
[ -e "$T" ] && left="$left $T"
left="$left$(cgroup_list_tree "/$NS")"
[ -n "$(pids_mentioning "$T")" ] && left="$left processes: $(pids_mentioning "$T")"
[ "$(ip netns list 2>/dev/null | sort)" = "$NETNS_BEFORE" ] || left="$left netns: $(ip netns list | tr '\n' ' ')"
for d in $created_dirs; do [ -e "$d" ] && left="$left $d"; done
if [ -z "$left" ]; then ok host-as-found; else bad host-as-found "$left"; fi

e2e_finish $SUITE
