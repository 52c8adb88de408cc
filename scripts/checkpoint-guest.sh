#!/bin/sh
# Checkpoint/restore scenarios, run inside the cgroup v2 VM (scripts/cgroup-v2-tests.sh;
# bundles from scripts/checkpoint-prepare.sh) with CRIU from the host. As runc's
# tests/integration/checkpoint.bats, on busybox containers: each prints "ok NAME" or
# "not ok NAME: why".
cd "$(dirname "$0")"
B="${BERTH:-./berth} --root /run/berth"
export XTABLES_LIBDIR="$PWD/xtables"
ok() { echo "ok $1 ($(cut -d' ' -f1 /proc/uptime))"; }
notok() { echo "not ok $1: $2"; }
check() { # name, output, expected substring
    case "$2" in *"$3"*) ok "$1" ;; *) notok "$1" "expected '$3' in: $(echo "$2" | tr '\n' '|')" ;; esac
}
# The init's host pid, from berth state.
pidof_ct() { $B state "$1" 2>/dev/null | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p'; }
# "TOKEN COUNT" as the container's counter last wrote it, read through the init's root
# ($pid: the init's host pid).
reading() { cat "/proc/$pid/root/tmp/count" 2>/dev/null; }
# Waits until the counter has reached $1; prints the reading.
wait_count() {
    n=0
    while [ $n -lt 100 ]; do
        r=$(reading); c=${r#* }
        if [ -n "$r" ] && [ "$c" -ge "$1" ] 2>/dev/null; then echo "$r"; return 0; fi
        sleep 0.2; n=$((n + 1))
    done
    return 1
}
# After a restore of $2: same token, a count at least where it was, still counting.
continues() { # name, id, reading before
    pid=$(pidof_ct "$2")
    tok=${3% *}; was=${3#* }
    now=$(wait_count "$was") || { notok "$1" "no count from $2 after restore"; return; }
    later=$(wait_count $((${now#* } + 2))) || { notok "$1" "$2 stopped counting at ${now#* }"; return; }
    if [ "${now% *}" = "$tok" ] && [ "${later% *}" = "$tok" ]; then ok "$1"
    else notok "$1" "token ${now% *} after restore, $tok before (the process started anew)"; fi
}
# Runs $1 detached from bundle $2 and waits for its counter.
start_counter() {
    out=$($B run -d --bundle "cr-$2" "$1" </dev/null 2>&1) || { notok "run $1" "$out"; return 1; }
    pid=$(pidof_ct "$1")
    r=$(wait_count 3) || { notok "run $1" "no count"; return 1; }
}
gone() { # name, id, cgroup dir: nothing of the container is left
    left=""
    [ -e "/run/berth/$2" ] && left="$left state"
    [ -e "$3" ] && left="$left cgroup"
    grep -q "/run/berth/$2/" /proc/self/mountinfo && left="$left mounts"
    [ -z "$left" ] && ok "$1" || notok "$1" "left:$left"
}
logs() { grep -h -B3 Error "$@" 2>/dev/null | tail -8 | tr '\n' '|'; }
mkdir -p /tmp/cr/bind1 /tmp/cr/bind2 && echo nested > /tmp/cr/bind2/mark

# As runc's simple_cr: checkpoint and restore, twice. The container is gone after the
# checkpoint (its cgroup too) and comes back counting on where it was, in the same
# cgroup; exec works. It has a bind to a symlinked destination and nested binds; before
# the second restore the nested bind's mountpoint is removed from its parent's source.
if start_counter c1 counter; then
    for cycle in 1 2; do
        before=$(reading)
        out=$($B checkpoint --image-path /tmp/cr/c1.img --work-path /tmp/cr/c1.work c1 2>&1) \
            || { notok "checkpoint $cycle" "$out $(logs /tmp/cr/c1.work/dump.log)"; break; }
        check "checkpoint $cycle: the container is gone" "$($B state c1 2>&1)" "container does not exist"
        [ -d /sys/fs/cgroup/c1 ] && notok "checkpoint $cycle: its cgroup is gone" "still there"
        [ $cycle = 2 ] && rm -rf /tmp/cr/bind1/*
        out=$($B restore -d --image-path /tmp/cr/c1.img --work-path /tmp/cr/c1.work --bundle cr-counter c1 </dev/null 2>&1) \
            || { notok "restore $cycle" "$out $(logs /tmp/cr/c1.work/restore.log)"; break; }
        check "restore $cycle: running" "$($B state c1 2>&1)" '"running"'
        continues "restore $cycle: the count continues" c1 "$before"
        out=$($B exec c1 sh -c 'cat /tmp/count /etc/hostname /proc/self/cgroup /test/for/nested/mark; ls /real/conf' 2>&1)
        check "restore $cycle: exec" "$out" "${before% *}"
        check "restore $cycle: hostname (init layer)" "$out" "counter"
        check "restore $cycle: cgroup namespace" "$out" "0::/"
        check "restore $cycle: bind to a symlinked destination" "$out" "config.json"
        check "restore $cycle: nested bind" "$out" "nested"
        check "restore $cycle: the same cgroup" "$(cat /proc/$pid/cgroup)" "0::/c1"
    done
fi
$B delete -f c1; gone "delete removes a restored container" c1 /sys/fs/cgroup/c1

# --leave-running, then a restore of that image into a fresh id and into a different
# cgroup (--manage-cgroups-mode ignore, cgroupsPath changed in between) beside it.
if start_counter c2 cgmove; then
    out=$($B checkpoint --leave-running --manage-cgroups-mode ignore --image-path /tmp/cr/c2.img c2 2>&1) \
        || notok "checkpoint --leave-running" "$out $(logs /tmp/cr/c2.img/dump.log)"
    check "--leave-running: still running" "$($B state c2 2>&1)" '"running"'
    continues "--leave-running: still counting" c2 "$r"
    sed -i 's|/berth-cr/one|/berth-cr/two|' cr-cgmove/config.json
    out=$($B restore -d --manage-cgroups-mode ignore --pid-file /tmp/cr/c2b.pid --image-path /tmp/cr/c2.img --bundle cr-cgmove c2b </dev/null 2>&1) \
        || notok "restore into a fresh id" "$out $(logs /tmp/cr/c2.img/restore.log)"
    continues "restore into a fresh id: the image's count goes on" c2b "$r"
    check "restore into a different cgroup (--manage-cgroups-mode ignore)" "$(cat /proc/$(cat /tmp/cr/c2b.pid)/cgroup 2>&1)" "0::/berth-cr/two"
    check "restore into a different cgroup: its limit" "$(cat /sys/fs/cgroup/berth-cr/two/pids.max 2>&1)" "20"
    check "restore of an existing id is refused" "$($B restore -d --image-path /tmp/cr/c2.img --bundle cr-cgmove c2 2>&1)" \
        "container with given ID already exists"
fi
$B delete -f c2; gone "delete the original" c2 /sys/fs/cgroup/berth-cr/one
$B delete -f c2b; gone "delete the one restored into a different cgroup" c2b /sys/fs/cgroup/berth-cr/two

# As CRI-O checkpoints (pause, checkpoint --leave-running, resume): the container stays
# paused through the checkpoint and counts on once resumed; its image restores.
if start_counter c3 counter; then
    $B pause c3
    frozen=$(reading)
    out=$($B checkpoint --leave-running --image-path /tmp/cr/c3.img c3 2>&1) \
        || notok "checkpoint of a paused container" "$out $(logs /tmp/cr/c3.img/dump.log)"
    check "checkpoint of a paused container: still paused" "$($B state c3 2>&1)" '"paused"'
    sleep 0.5
    [ "$(reading)" = "$frozen" ] && ok "checkpoint of a paused container: nothing ran" \
        || notok "checkpoint of a paused container: nothing ran" "count went from '$frozen' to '$(reading)'"
    $B resume c3
    continues "checkpoint of a paused container: counts on once resumed" c3 "$frozen"
    $B delete -f c3
    out=$($B restore -d --image-path /tmp/cr/c3.img --bundle cr-counter c3r </dev/null 2>&1) \
        || notok "restore of a paused container's image" "$out $(logs /tmp/cr/c3.img/restore.log)"
    check "restore of a paused container's image: running" "$($B state c3r 2>&1)" '"running"'
    continues "restore of a paused container's image: counts on from the checkpoint" c3r "$frozen"
fi
$B delete -f c3 2>/dev/null; $B delete -f c3r; gone "delete the restored copy of a paused container" c3r /sys/fs/cgroup/c3r

# --page-server without lazy pages: the memory goes to CRIU's page server (as to another
# host), the rest to the image directory; together they restore.
if start_counter c4 counter; then
    mkdir -p /tmp/cr/c4.pages
    criu page-server --images-dir /tmp/cr/c4.pages --port 27278 -d -o /tmp/cr/c4.pages/page-server.log >/dev/null 2>&1
    out=$($B checkpoint --page-server 127.0.0.1:27278 --image-path /tmp/cr/c4.img c4 2>&1) \
        || notok "checkpoint --page-server" "$out $(logs /tmp/cr/c4.img/dump.log)"
    if ls /tmp/cr/c4.pages/pages-*.img >/dev/null 2>&1 && ! ls /tmp/cr/c4.img/pages-*.img >/dev/null 2>&1; then
        ok "checkpoint --page-server: the pages went to the page server"
    else notok "checkpoint --page-server: the pages went to the page server" "server: $(ls /tmp/cr/c4.pages | tr '\n' ' ') images: $(ls /tmp/cr/c4.img | tr '\n' ' ')"; fi
    cp /tmp/cr/c4.pages/*.img /tmp/cr/c4.img/
    out=$($B restore -d --image-path /tmp/cr/c4.img --bundle cr-counter c4 </dev/null 2>&1) \
        || notok "restore of a --page-server checkpoint" "$out $(logs /tmp/cr/c4.img/restore.log)"
    continues "restore of a --page-server checkpoint: the count continues" c4 "$r"
fi
$B delete -f c4; gone "delete after --page-server" c4 /sys/fs/cgroup/c4

# Hooks, as runc runs them around a checkpoint and a restore: poststop when the
# checkpoint removes the container; prestart and createRuntime once the restored
# processes' namespaces exist (the state carries the restored init's pid); poststop again
# when the restored container is deleted.
rm -f /tmp/cr/hooks.log
if start_counter c5 hooks; then
    out=$($B checkpoint --image-path /tmp/cr/c5.img c5 2>&1) || notok "hooks: checkpoint" "$out $(logs /tmp/cr/c5.img/dump.log)"
    check "hooks: poststop when the checkpoint removes the container" "$(tail -1 /tmp/cr/hooks.log)" "poststop"
    : > /tmp/cr/hooks.log
    out=$($B restore -d --image-path /tmp/cr/c5.img --bundle cr-hooks c5 </dev/null 2>&1) \
        || notok "hooks: restore" "$out $(logs /tmp/cr/c5.img/restore.log)"
    pid=$(pidof_ct c5)
    log=$(cat /tmp/cr/hooks.log)
    check "hooks: prestart at restore, with the restored init's pid" "$(grep '^prestart' /tmp/cr/hooks.log)" "\"pid\":$pid"
    check "hooks: createRuntime at restore, with the restored init's pid" "$(grep '^createRuntime' /tmp/cr/hooks.log)" "\"pid\":$pid"
    case "$log" in *poststart*) notok "hooks: no poststart at restore (as runc)" "$log" ;; *) ok "hooks: no poststart at restore (as runc)" ;; esac
    $B delete -f c5
    check "hooks: poststop when the restored container is deleted" "$(tail -1 /tmp/cr/hooks.log)" "poststop"
fi
$B delete -f c5 2>/dev/null

# A pre-dump, then a dump on top of it (--parent-path), of a container whose stdio are
# pipes: the restored process gets the restoring berth's pipes in their place.
mkfifo /tmp/cr/in1 /tmp/cr/in2
(cat /tmp/cr/in1 | $B run -d --bundle cr-ponger c6 2>&1 | cat > /tmp/cr/out1) &
exec 7>/tmp/cr/in1
n=0; while [ $n -lt 50 ] && [ "$($B state c6 2>/dev/null | grep -c running)" = 0 ]; do sleep 0.2; n=$((n + 1)); done
out=$($B checkpoint --pre-dump --image-path /tmp/cr/c6.parent c6 2>&1) || notok "pre-dump" "$out $(logs /tmp/cr/c6.parent/dump.log)"
check "pre-dump leaves it running" "$($B state c6 2>&1)" '"running"'
# A second pre-dump on the first, then the dump on the second: a chain of three.
out=$($B checkpoint --pre-dump --parent-path ../c6.parent --image-path /tmp/cr/c6.parent2 c6 2>&1) \
    || notok "pre-dump on a pre-dump" "$out $(logs /tmp/cr/c6.parent2/dump.log)"
[ "$(readlink /tmp/cr/c6.parent2/parent)" = "../c6.parent" ] && ok "pre-dump on a pre-dump links its parent" \
    || notok "pre-dump on a pre-dump links its parent" "parent link: $(readlink /tmp/cr/c6.parent2/parent)"
out=$($B checkpoint --parent-path ../c6.parent2 --image-path /tmp/cr/c6.img --work-path /tmp/cr/c6.work c6 2>&1) \
    || notok "dump on a pre-dump" "$out $(logs /tmp/cr/c6.work/dump.log)"
[ "$(readlink /tmp/cr/c6.img/parent)" = "../c6.parent2" ] && ok "dump on a pre-dump links its parent" \
    || notok "dump on a pre-dump links its parent" "parent link: $(readlink /tmp/cr/c6.img/parent)"
(cat /tmp/cr/in2 | $B restore -d --bundle cr-ponger --image-path /tmp/cr/c6.img --work-path /tmp/cr/c6.work c6 2>&1 | cat > /tmp/cr/out2) &
exec 8>/tmp/cr/in2
n=0; while [ $n -lt 50 ] && [ "$($B state c6 2>/dev/null | grep -c running)" = 0 ]; do sleep 0.2; n=$((n + 1)); done
check "pre-dump chain: restored" "$($B state c6 2>&1)" '"running"'
check "pre-dump chain: exec after restore" "$($B exec --cwd /bin c6 echo ok 2>&1)" "ok"
echo Ping >&8
exec 8>&- 7>&-
n=0; while [ $n -lt 50 ] && ! grep -q ponG /tmp/cr/out2; do sleep 0.2; n=$((n + 1)); done
check "pre-dump chain: the restored process answers on the new pipes" "$(cat /tmp/cr/out2)" "ponG Ping"
$B delete -f c6 2>/dev/null
wait

# Lazy migration, as runc's test does it: a checkpoint with --lazy-pages serves the memory
# from its page server and says so on --status-fd; CRIU's lazy-pages daemon fetches the
# pages for a restore into a fresh id with --lazy-pages; once every page has moved, the
# checkpoint ends and the source container is removed.
if criu check --feature uffd-noncoop >/dev/null 2>&1; then
    if start_counter c9 lazy; then
        mkfifo /tmp/cr/lazy.pipe
        ($B checkpoint --lazy-pages --page-server 0.0.0.0:27277 --status-fd 9 --work-path /tmp/cr/c9.work \
            --image-path /tmp/cr/c9.img c9 9>/tmp/cr/lazy.pipe >/tmp/cr/c9.out 2>&1; echo "exit $?" >>/tmp/cr/c9.out) &
        ready=$(head -c1 /tmp/cr/lazy.pipe | od -An -tx1 | tr -d ' ')
        if [ "$ready" = "00" ]; then ok "--lazy-pages: --status-fd gets a zero byte once the pages are served"
        else notok "--lazy-pages: --status-fd gets a zero byte once the pages are served" "got '$ready': $(cat /tmp/cr/c9.out) $(logs /tmp/cr/c9.work/dump.log)"; fi
        (criu lazy-pages --page-server --address 127.0.0.1 --port 27277 -D /tmp/cr/c9.img >/tmp/cr/lazyd.out 2>&1 &)
        out=$($B restore -d --lazy-pages --image-path /tmp/cr/c9.img --work-path /tmp/cr/c9.img --bundle cr-lazy c9b </dev/null 2>&1) \
            || notok "--lazy-pages: restore" "$out $(logs /tmp/cr/c9.img/restore.log)"
        continues "--lazy-pages: the restored copy counts on" c9b "$r"
        check "--lazy-pages: exec in the restored copy" "$($B exec --cwd /bin c9b echo ok 2>&1)" "ok"
        n=0; while [ $n -lt 150 ] && ! grep -q '^exit' /tmp/cr/c9.out; do sleep 0.2; n=$((n + 1)); done
        check "--lazy-pages: the checkpoint ends once every page has moved" "$(cat /tmp/cr/c9.out)" "exit 0"
        check "--lazy-pages: then the source container is removed" "$($B state c9 2>&1)" "container does not exist"
    fi
    $B delete -f c9 2>/dev/null; $B delete -f c9b
    gone "--lazy-pages: delete removes the restored copy" c9b /sys/fs/cgroup/c9b
else
    notok "--lazy-pages" "criu check --feature uffd-noncoop fails in the VM: $(criu check --feature uffd-noncoop 2>&1 | tail -1)"
fi

# An external network namespace (joined by path) with a network device moved in
# (linux.netDevices): the namespace is the same one after restore, and the device, back
# on the host while the container is checkpointed, is moved in again with its settings.
if ip netns add crns 2>/dev/null && ip link add crdev0 type dummy && ip link set crdev0 address 00:11:22:33:44:55 mtu 1789 \
    && ip addr add 169.254.169.77/32 dev crdev0; then
    ino=$(stat -L -c %i /run/netns/crns)
    out=$($B run -d --bundle cr-netdev c7 </dev/null 2>&1) || notok "netDevices: run" "$out"
    pid=$(pidof_ct c7); r=$(wait_count 3)
    check "netDevices: device in the container" "$($B exec c7 ip addr show crdev0 2>&1)" "169.254.169.77"
    out=$($B checkpoint --image-path /tmp/cr/c7.img c7 2>&1) || notok "external netns: checkpoint" "$out $(logs /tmp/cr/c7.img/dump.log)"
    check "netDevices: back on the host while checkpointed" "$(ip addr show crdev0 2>&1)" "169.254.169.77"
    out=$($B restore -d --bundle cr-netdev --image-path /tmp/cr/c7.img c7 </dev/null 2>&1) \
        || notok "external netns: restore" "$out $(logs /tmp/cr/c7.img/restore.log)"
    continues "external netns: count continues" c7 "$r"
    check "external netns: the same namespace after restore" "$(stat -L -c %i /proc/$(pidof_ct c7)/ns/net)" "$ino"
    out=$($B exec c7 ip addr show crdev0 2>&1)
    check "netDevices: address after restore" "$out" "169.254.169.77"
    check "netDevices: MAC after restore" "$out" "00:11:22:33:44:55"
    check "netDevices: MTU after restore" "$out" "mtu 1789"
    $B delete -f c7
    check "netDevices: back on the host after delete" "$(ip addr show crdev0 2>&1)" "169.254.169.77"
    ip link del crdev0; ip netns del crns
else
    notok "external netns" "cannot set up a network namespace and a dummy device (ip from iproute2 needed)"
fi

# The console: a container with a terminal, relayed by a foreground run and, after the
# restore, by a foreground restore (CRIU hands berth the new pty's master).
mkfifo /tmp/cr/tin1 /tmp/cr/tin2
($B run --bundle cr-tty c8 < /tmp/cr/tin1 > /tmp/cr/tout1 2>&1) &
exec 7>/tmp/cr/tin1
n=0; while [ $n -lt 100 ] && ! grep -q "tick 3" /tmp/cr/tout1; do sleep 0.2; n=$((n + 1)); done
out=$($B checkpoint --image-path /tmp/cr/c8.img c8 2>&1) || notok "console: checkpoint" "$out $(logs /tmp/cr/c8.img/dump.log)"
last=$(grep -o "tick [0-9]*" /tmp/cr/tout1 | tail -1)
($B restore --bundle cr-tty --image-path /tmp/cr/c8.img c8 < /tmp/cr/tin2 > /tmp/cr/tout2 2>&1) &
exec 8>/tmp/cr/tin2
n=0; while [ $n -lt 100 ] && [ "$(grep -c tick /tmp/cr/tout2)" -lt 3 ]; do sleep 0.2; n=$((n + 1)); done
first=$(grep -o "tick [0-9]*" /tmp/cr/tout2 | head -1)
if [ -n "$first" ] && [ "${first#tick }" -gt "${last#tick }" ] 2>/dev/null; then ok "console: the terminal is back after restore"
else notok "console: the terminal is back after restore" "last before: '$last', first after: '$first' $(head -c 300 /tmp/cr/tout2 | tr '\n' '|')"; fi
check "console: the restored init still has its terminal" "$($B exec c8 readlink /proc/1/fd/0 2>&1)" "/dev/pts/"
$B kill c8 KILL
exec 8>&- 7>&-
wait
gone "console: a foreground restore removes the container when it exits" c8 /sys/fs/cgroup/c8
