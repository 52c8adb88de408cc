# Shared by scripts/e2e-podman.sh and scripts/e2e-containerd.sh (sourced, bash).
#
# Checks print "ok NAME" or "FAIL NAME: details"; e2e_finish prints the count line and
# sets the exit status. E2E_XFAIL="name1 name2" marks checks expected to fail in a local
# run (reported as "xfail"); it is ignored under CI=true.

E2E_PASS=0
E2E_FAIL=0
E2E_XFAILED=0
E2E_START=$(date +%s)
E2E_FAILED_NAMES=""

e2e_xfail() {
    [ "${CI:-}" = true ] && return 1
    case " ${E2E_XFAIL:-} " in *" $1 "*) return 0 ;; esac
    return 1
}

ok() {
    if e2e_xfail "$1"; then echo "ok $1 (expected to fail, but passed)"; else echo "ok $1"; fi
    E2E_PASS=$((E2E_PASS + 1))
}

bad() { # name, details
    local details
    details=$(printf '%s' "$2" | tr '\n' '|' | cut -c1-600)
    if e2e_xfail "$1"; then
        echo "xfail $1: $details"
        E2E_XFAILED=$((E2E_XFAILED + 1))
    else
        echo "FAIL $1: $details"
        E2E_FAIL=$((E2E_FAIL + 1))
        E2E_FAILED_NAMES="$E2E_FAILED_NAMES $1"
    fi
}

# expect NAME WANT_RC GOT_RC OUTPUT [SUBSTRING...]: the exit status and every substring.
expect() {
    local name=$1 want=$2 got=$3 out=$4 s
    shift 4
    if [ "$got" != "$want" ]; then
        bad "$name" "exit status $got, expected $want; output: $out"
        return 1
    fi
    for s in "$@"; do
        case "$out" in
            *"$s"*) ;;
            *) bad "$name" "expected '$s' in output: $out"; return 1 ;;
        esac
    done
    ok "$name"
    [ "${E2E_VERBOSE:-}" = 1 ] && printf '    %s\n' "$(printf '%s' "$out" | tr '\n' '|' | cut -c1-400)"
    return 0
}

e2e_finish() { # suite name
    local t=$(( $(date +%s) - E2E_START ))
    echo "$1: $E2E_PASS passed, $E2E_FAIL failed, $E2E_XFAILED expected failures (${t}s)"
    [ "$E2E_FAIL" -eq 0 ]
}

# A check that cannot run at all: fail with the reason, never skip.
e2e_cannot_run() { # suite, reason
    echo "FAIL $1: cannot run: $2"
    echo "$1: 0 passed, 1 failed, 0 expected failures"
    exit 1
}

# What both suites need before anything: root, the runtime and rootfs arguments (sets RT
# and ROOTFS to their absolute paths), and the named tools.
e2e_preconditions() { # suite runtime rootfs tools...
    local suite=$1 c
    [ "$(id -u)" = 0 ] || e2e_cannot_run "$suite" "must run as root"
    RT=$(readlink -f "$2") || e2e_cannot_run "$suite" "runtime $2 not found"
    ROOTFS=$(readlink -f "$3")
    [ -x "$RT" ] || e2e_cannot_run "$suite" "runtime $RT is not an executable"
    [ -x "$ROOTFS/bin/busybox" ] || e2e_cannot_run "$suite" "rootfs $ROOTFS has no bin/busybox (scripts/mkrootfs.sh)"
    shift 3
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || e2e_cannot_run "$suite" "$c is not installed (make e2e-deps)"
    done
}

# --- images ---------------------------------------------------------------------------

# An OCI image archive (for `ctr image import`) with ROOTFS as its one layer and one image
# per NAME, each with its own image config ("config" object, such as {"Cmd":["sh"]}):
#   oci_archive ROOTFS OUT NAME CONFIG [NAME CONFIG...]
oci_archive() {
    local rootfs=$1 out=$2 dir arch layer layer_size config config_size manifest manifest_size entries=""
    shift 2
    dir=$(mktemp -d "$out.XXXXXX")
    mkdir -p "$dir/blobs/sha256"
    case $(uname -m) in
        x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; armv7l) arch=arm ;; i?86) arch=386 ;; *) arch=$(uname -m) ;;
    esac
    blob() { # file -> prints its sha256 and moves it into blobs/
        local h
        h=$(sha256sum "$1" | cut -d' ' -f1)
        mv "$1" "$dir/blobs/sha256/$h"
        echo "$h"
    }
    tar -C "$rootfs" --numeric-owner -cf "$dir/layer" .
    layer_size=$(stat -c %s "$dir/layer")
    layer=$(blob "$dir/layer")
    while [ $# -ge 2 ]; do
        printf '{"architecture":"%s","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
            "$arch" "$2" "$layer" > "$dir/config"
        config_size=$(stat -c %s "$dir/config")
        config=$(blob "$dir/config")
        printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
            "$config" "$config_size" "$layer" "$layer_size" > "$dir/manifest"
        manifest_size=$(stat -c %s "$dir/manifest")
        manifest=$(blob "$dir/manifest")
        entries="$entries${entries:+,}$(printf '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}' \
            "$manifest" "$manifest_size" "$1" "${1##*:}")"
        shift 2
    done
    printf '{"schemaVersion":2,"manifests":[%s]}' "$entries" > "$dir/index.json"
    echo '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci-layout"
    tar -C "$dir" -cf "$out" oci-layout index.json blobs
    rm -rf "$dir"
}

# --- host state --------------------------------------------------------------------

# iptables rules and chains (counters stripped), per family.
ipt_dump() { # iptables|ip6tables
    command -v "$1-save" >/dev/null 2>&1 || return 0
    "$1-save" 2>/dev/null | grep -v '^#' | sed -E 's/ \[[0-9]+:[0-9]+\]$//'
}

nft_tables() {
    command -v nft >/dev/null 2>&1 && nft list tables 2>/dev/null
    return 0
}

# Undo iptables changes made since BEFORE (a file written by ipt_dump): rules added are
# deleted, chains added are flushed and deleted, and (with nftables) tables that did not
# exist before and are now empty are deleted.
ipt_restore() { # iptables|ip6tables before-file nft-family nft-tables-before-file
    local cmd=$1 before=$2 fam=$3 tbefore=$4 now table line chain
    command -v "$cmd-save" >/dev/null 2>&1 || return 0
    now=$(ipt_dump "$cmd")
    table=""
    printf '%s\n' "$now" | while IFS= read -r line; do
        case "$line" in
            \**) table=${line#\*} ;;
            -A\ *)
                if ! awk -v t="$table" -v l="$line" '$0=="*"t{s=1;next} /^COMMIT/{s=0} s&&$0==l{f=1} END{exit !f}' "$before"; then
                    eval "$cmd -t $table -D ${line#-A }" 2>/dev/null
                fi ;;
        esac
    done
    now=$(ipt_dump "$cmd")
    printf '%s\n' "$now" | while IFS= read -r line; do
        case "$line" in
            \**) table=${line#\*} ;;
            :*)
                chain=${line#:}; chain=${chain%% *}
                if ! awk -v t="$table" -v c=":$chain " '$0=="*"t{s=1;next} /^COMMIT/{s=0} s&&index($0,c)==1{f=1} END{exit !f}' "$before"; then
                    $cmd -t "$table" -F "$chain" 2>/dev/null
                    $cmd -t "$table" -X "$chain" 2>/dev/null
                fi ;;
        esac
    done
    if command -v nft >/dev/null 2>&1; then
        nft list tables 2>/dev/null | while read -r _ f t; do
            [ "$f" = "$fam" ] || continue
            grep -qx "table $f $t" "$tbefore" && continue
            # only a table with no rules left
            nft list table "$f" "$t" 2>/dev/null | grep -qE '^\s+(counter|jump|ip |meta |ct |masquerade|accept|drop)' && continue
            nft delete table "$f" "$t" 2>/dev/null
        done
    fi
}

# The network links a suite compares before and after: the names its networks create (its
# bridge, veth ends), since other tests on the machine add and remove links of their own.
e2e_links() { # bridge
    ip -o link | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^(veth|$1\$)" | sort
}

# The host clean-up of a suite with its own daemon and network (Docker, CRI), once the
# daemon has stopped: what the daemon could not remove (the runtime's state, shims,
# container processes), the suite's cgroups and mounts, the links its networks made, the
# firewall rules and ip_forward as they were, the paths it created, its temp dir. Reads
# the suite's RT, RTSTATE, T, CGP, LINKS_BEFORE, BRIDGE, FORWARD_BEFORE, created_paths
# and its links function.
e2e_host_cleanup() {
    if [ -d "$RTSTATE" ]; then
        for id in $(ls "$RTSTATE"); do "$RT" --root "$RTSTATE" delete --force "$id" >/dev/null 2>&1; done
    fi
    for p in $(pids_mentioning "$T"); do kill -9 "$p" 2>/dev/null; done
    cgroup_remove_tree "$CGP"
    umount_under "$T"
    for l in $(comm -13 <(printf '%s\n' "$LINKS_BEFORE") <(links)); do
        case $l in "$BRIDGE"|veth*) ip link del "$l" >/dev/null 2>&1 ;; esac
    done
    ipt_restore iptables "$T/ipt4.before" ip "$T/nft.before"
    ipt_restore ip6tables "$T/ipt6.before" ip6 "$T/nft.before"
    echo "$FORWARD_BEFORE" > /proc/sys/net/ipv4/ip_forward
    for d in $created_paths; do
        [ -e "$d" ] && { umount_under "$d"; rm -rf --one-file-system "$d"; }
    done
    rm -rf --one-file-system "$T"
}

# cgroup directories (every hierarchy) for a parent path such as /berth-e2e-123:
# removed deepest first; processes still inside are killed first.
cgroup_remove_tree() { # parent
    local h d p
    for h in /sys/fs/cgroup /sys/fs/cgroup/*; do
        [ -d "$h$1" ] || continue
        find "$h$1" -depth -type d 2>/dev/null | while IFS= read -r d; do
            for f in cgroup.procs tasks; do
                [ -r "$d/$f" ] || continue
                while read -r p; do kill -9 "$p" 2>/dev/null; done < "$d/$f"
            done
            [ -w "$d/freezer.state" ] && echo THAWED > "$d/freezer.state" 2>/dev/null
            rmdir "$d" 2>/dev/null || { sleep 0.2; rmdir "$d" 2>/dev/null; }
        done
    done
}

cgroup_list_tree() { # parent: what remains, one line per directory
    local h
    for h in /sys/fs/cgroup /sys/fs/cgroup/*; do
        [ -d "$h$1" ] && find "$h$1" -type d 2>/dev/null
    done
    return 0
}

# Unmount everything mounted at or below DIR, deepest first.
umount_under() { # dir
    local m
    awk -v d="$1" '{ if ($5 == d || index($5, d "/") == 1) print $5 }' /proc/self/mountinfo |
        sort -r | while IFS= read -r m; do umount -l "$m" 2>/dev/null; done
}

# Pids whose command line mentions STRING (processes this test started: their arguments
# name its private temporary directory).
pids_mentioning() { # string
    local p
    for p in /proc/[0-9]*; do
        [ "${p#/proc/}" = "$$" ] && continue
        { tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null | grep -qF -- "$1" && echo "${p#/proc/}"
    done
    return 0
}

# A cgroup file of a process, on a v1 (or hybrid) host from the controller's hierarchy,
# on a v2 host from the unified one.
cg_read() { # pid controller v1-file v2-file
    local path
    if [ -d "/sys/fs/cgroup/$2" ]; then
        path=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup" 2>/dev/null)
        cat "/sys/fs/cgroup/$2$path/$3" 2>&1
    else
        path=$(awk -F: '$1 == "0" { print $3 }' "/proc/$1/cgroup" 2>/dev/null)
        cat "/sys/fs/cgroup$path/$4" 2>&1
    fi
}

cg_freezer() { # pid -> FROZEN or THAWED
    local v
    v=$(cg_read "$1" freezer freezer.state cgroup.freeze)
    case $v in 1) echo FROZEN ;; 0) echo THAWED ;; *) echo "$v" ;; esac
}

# One e2e suite at a time on a machine (two `make test` runs, main and a worktree, would
# share /run/containerd, the runtimes' state roots and the host's network settings, and
# each would undo the other's changes): flock(2) on the root directory, so no lock file is
# left behind. This shell holds the lock and runs the suite as its child without the
# lock's descriptor (the daemons and containers the suite starts must not hold it), and
# waits for it: an INT or TERM is passed on to the suite, whose clean-up runs to its end
# before the lock is released.
e2e_lock() { # suite script args...
    [ -n "${E2E_LOCKED:-}" ] && return 0
    local suite=$1 child rc
    shift
    exec 9</
    if ! flock -n 9; then
        echo "# $suite: waiting for another e2e suite on this machine"
        flock -w 900 9 || e2e_cannot_run "$suite" "another e2e suite held the machine's e2e lock (flock on /) for 15 minutes"
    fi
    E2E_LOCKED=1 bash "$@" 9<&- &
    child=$!
    trap 'kill -TERM $child 2>/dev/null' INT TERM
    while :; do
        wait $child
        rc=$?
        kill -0 $child 2>/dev/null || break
    done
    exit $rc
}
