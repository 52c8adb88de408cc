#!/bin/sh
# Host side of the checkpoint/restore scenarios (scripts/checkpoint-guest.sh), run by
# scripts/cgroup-v2-tests.sh: writes their bundles into WORK (whose rootfs/ and berth are
# there already) and the iptables extensions CRIU's network lock needs in the VM.
#
#   scripts/checkpoint-prepare.sh WORK
set -eu
work=$1
cp "$(dirname "$0")/checkpoint-guest.sh" "$work/checkpoint-guest.sh"
# The bind to a symlinked destination: /conf is a link to /real/conf in the image.
mkdir -p "$work/rootfs/real/conf"
ln -sfn /real/conf "$work/rootfs/conf"
# CRIU locks the container's network with iptables-restore, which loads its mark match
# from a plugin: the VM gets the two it uses (XTABLES_LIBDIR).
mkdir -p "$work/xtables"
for lib in /usr/lib/*/xtables/libxt_mark.so /usr/lib/*/xtables/libxt_standard.so; do
    [ -f "$lib" ] && cp "$lib" "$work/xtables/"
done
python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
def bundle(name, args, mounts=(), terminal=False, namespaces=("pid", "network", "ipc", "uts", "mount", "cgroup"), readonly=True, hooks=None, **linux):
    d = os.path.join(work, "cr-" + name); os.makedirs(d)
    c = {
        "ociVersion": "1.2.0",
        "process": {"terminal": terminal, "user": {"uid": 0, "gid": 0}, "args": args, "cwd": "/",
                    "env": ["PATH=/bin:/sbin:/usr/bin", "TERM=dumb"], "noNewPrivileges": True,
                    "capabilities": {k: ["CAP_KILL", "CAP_AUDIT_WRITE", "CAP_NET_ADMIN"] for k in ("bounding", "effective", "permitted")}},
        "root": {"path": os.path.join(work, "rootfs"), "readonly": readonly},
        "hostname": name,
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["dev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "ro"]},
        ] + list(mounts),
        "linux": dict({"namespaces": [n if isinstance(n, dict) else {"type": n} for n in namespaces],
                       "maskedPaths": ["/proc/kcore", "/proc/acpi"], "readonlyPaths": ["/proc/sys"]}, **linux),
    }
    if hooks:
        c["hooks"] = hooks
    json.dump(c, open(os.path.join(d, "config.json"), "w"), indent=1)
# Counts in memory: a token drawn at start and a counter, written to /tmp (a tmpfs CRIU
# saves) every tenth of a second. After a restore the token must be the same and the
# count must go on from where it was.
count = ("exec </dev/null >/dev/null 2>&1; tok=$(cat /proc/sys/kernel/random/uuid); i=0; "
         "while :; do i=$((i+1)); echo \"$tok $i\" > /tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.1; done")
# The first scenario's container also has a bind whose destination is a symlink in the
# image (/conf -> /real/conf) and a bind nested in another bind.
bundle("counter", ["sh", "-c", count], mounts=[
    {"destination": "/conf", "source": ".", "options": ["bind"]},
    {"type": "bind", "source": "/tmp/cr/bind1", "destination": "/test", "options": ["rw", "bind"]},
    {"type": "bind", "source": "/tmp/cr/bind2", "destination": "/test/for/nested", "options": ["rw", "bind"]}])
bundle("cgmove", ["sh", "-c", count], cgroupsPath="/berth-cr/one", resources={"pids": {"limit": 20}})
bundle("ponger", ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do read x || continue; echo ponG $x; done"])
bundle("netdev", ["sh", "-c", count],
       namespaces=("pid", {"type": "network", "path": "/run/netns/crns"}, "ipc", "uts", "mount", "cgroup"),
       netDevices={"crdev0": {}})
# Hooks: each appends its kind and the state it was given (one line) to a log.
def hook(kind):
    return [{"path": "/bin/sh", "args": ["sh", "-c", "echo %s $(tr -d '\\n' ) >> /tmp/cr/hooks.log" % kind]}]
bundle("hooks", ["sh", "-c", count], hooks={k: hook(k) for k in ("prestart", "createRuntime", "poststart", "poststop")})
# Lazy migration: CRIU restores a read-only root badly with lazy pages (runc's test
# makes it writable too: checkpoint-restore/criu#575).
bundle("lazy", ["sh", "-c", count], readonly=False)
bundle("tty", ["sh", "-c", "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.2; done"], terminal=True)
PY
