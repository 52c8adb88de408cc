#!/bin/sh
# Writes scripts/hot-order.txt: the functions berth runs on its hot paths (run, create,
# start, state, list, exec, ps, kill, delete), in the order they first run, which
# `make build` gives the linker (lld --symbol-ordering-file) so that they sit together:
# with the text in 2 MB pages (scripts/hugetext.py) a command then maps two or three of
# them instead of every one (README, Performance). Regenerate it after large changes; a
# name that no longer exists is skipped by the linker, a function missing from the list
# only lands with the cold code.
#
#   sh scripts/hotorder.sh BERTH ROOTFS      # root, gcc; BERTH a static build of berth
#
# The functions are found with scripts/hotorder/fcov.c (a breakpoint on every function
# entry, each removed at its first hit). The standard library's object file keeps 1.5 MB
# of functions in one section that no order can split; one of its hot functions goes
# first, so that section starts the hot code.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
B=${1:?usage: hotorder.sh BERTH ROOTFS}
ROOTFS=${2:?usage: hotorder.sh BERTH ROOTFS}
case $ROOTFS in /*) ;; *) ROOTFS=$(cd "$ROOTFS" && pwd) ;; esac
case $B in /*) ;; *) B=$(cd "$(dirname "$B")" && pwd)/$(basename "$B") ;; esac
[ "$(id -u)" -eq 0 ] || { echo "hotorder: must run as root" >&2; exit 1; }
[ -x "$ROOTFS/bin/sh" ] || { echo "hotorder: $ROOTFS has no /bin/sh" >&2; exit 1; }

work=$(mktemp -d /tmp/berth-hotorder.XXXXXX)
trap 'for c in $("$B" --root "$work/state" list -q 2>/dev/null); do "$B" --root "$work/state" delete -f "$c"; done; rm -rf "$work"' EXIT
gcc -O2 -o "$work/fcov" "$here/hotorder/fcov.c"
readelf -sW "$B" | awk '$4 == "FUNC" && $3 > 0 { print $2, $8 }' > "$work/functions"
# Every function entry: the symbols', and the frame set-ups (push %rbp; mov %rsp,%rbp) at
# 16-byte boundaries, which also find the functions the compiler left without a symbol.
python3 - "$B" "$work/functions" > "$work/addresses" <<'EOF'
import subprocess, sys
binary, functions = sys.argv[1], sys.argv[2]
entries = {int(l.split()[0], 16) for l in open(functions)}
for line in subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True).stdout.splitlines():
    f = line.split("]")[-1].split()
    if f[:1] == [".text"]:
        address, offset, size = int(f[2], 16), int(f[3], 16), int(f[4], 16)
        with open(binary, "rb") as b:
            b.seek(offset)
            data = b.read(size)
        start = (16 - address % 16) % 16
        for i in range(start, len(data) - 4, 16):
            if data[i:i + 4] == b"\x55\x48\x89\xe5":
                entries.add(address + i)
print("\n".join(f"{a:x}" for a in sorted(entries)))
EOF

bundle() {
    mkdir -p "$work/$1"
    (cd "$work/$1" && "$B" spec)
    python3 - "$work/$1/config.json" "$ROOTFS" "$2" <<'EOF'
import json, sys
path, rootfs, args = sys.argv[1], sys.argv[2], sys.argv[3].split()
c = json.load(open(path))
c["root"]["path"] = rootfs
c["root"]["readonly"] = True
c["process"]["terminal"] = False
c["process"]["args"] = args
# An ambient capability that is not inheritable: the warning's path (strerror) too.
c["process"]["capabilities"]["ambient"] = ["CAP_KILL"]
json.dump(c, open(path, "w"))
EOF
}
bundle once /bin/true
bundle long "sleep 30"

trace() { "$work/fcov" "$work/addresses" "$work/hits" "$B" --root "$work/state" "$@" >/dev/null 2>&1 || true; }
trace run --bundle "$work/once" r1
trace create --bundle "$work/long" c1
trace state c1
trace list
trace start c1
trace exec c1 /bin/true
trace ps c1
trace kill c1 KILL
sleep 0.5
trace delete c1
trace run -d --bundle "$work/long" d1
trace exec d1 true
trace delete -f d1
trace create --bundle "$work/once" c2
trace delete c2
trace --log-format json run --bundle "$work/once" r2
# With a signal ignored, as callers often start berth: the init resets it (resetSignals).
(trap '' INT; trace run --bundle "$work/once" r3)

core=$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")/lib/swift_static/linux/libswiftCore.a
(cd "$work" && ar x "$core" Swift.o)
python3 - "$work" "$here/hot-order.txt" <<'EOF'
import subprocess, sys
work, out = sys.argv[1], sys.argv[2]
import bisect
names = {}
for line in open(f"{work}/functions"):
    address, name = line.split(None, 1)
    names.setdefault(int(address, 16), []).append(name.strip())
starts = sorted(names)
# Functions in Swift.o's unsplit .text section.
sections = subprocess.run(["readelf", "-SW", f"{work}/Swift.o"], capture_output=True, text=True).stdout
text = next(l.split("]")[0].split("[")[1].strip() for l in sections.splitlines() if l.split("]")[-1].split()[:1] == [".text"])
symbols = subprocess.run(["readelf", "-sW", f"{work}/Swift.o"], capture_output=True, text=True).stdout
unsplit = {f[7] for f in (l.split() for l in symbols.splitlines()) if len(f) >= 8 and f[3] == "FUNC" and f[6] == text}
order, seen, listed = [], set(), set()
for line in open(f"{work}/hits"):
    address = int(line, 16)
    if address in seen:
        continue
    seen.add(address)
    # A function without a symbol shares its section with the symbol before it: that
    # name places the section.
    named = address if address in names else starts[bisect.bisect_right(starts, address) - 1]
    order += [n for n in names[named] if n not in listed]
    listed.update(names[named])
first = [n for n in order if n in unsplit][:1]
with open(out, "w") as f:
    f.write("".join(n + "\n" for n in first + [n for n in order if n not in first]))
print(f"hotorder: {len(order)} functions in {out}")
EOF
