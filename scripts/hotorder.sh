#!/bin/sh
# Writes scripts/hot-order.txt and scripts/hot-sections.ld: the functions berth runs on its
# hot paths (run, create, state, list, start, kill, delete, then exec and ps), in the order
# they first run, which `make build` gives the linker (lld --symbol-ordering-file, and a
# linker script for those no symbol names) so that they sit together. With the first
# 2 MB of the text in one 2 MB page (scripts/hugetext.py), every command maps that page,
# the 4 KB pages before it and, for those whose functions come last in the list, a few
# 64 KB blocks of the code after it; before, each mapped four 2 MB pages (README,
# Performance). Regenerate after large changes: a name that no longer exists is skipped by
# the linker, a function missing from the list only lands with the cold code.
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
readelf -sW "$B" | awk '$4 == "FUNC" { print $2, $8 }' > "$work/functions"
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

# A copy of the rootfs: with a writable root, the init layer makes its mount points there.
cp -a "$ROOTFS" "$work/rootfs"
bundle() {
    mkdir -p "$work/$1"
    (cd "$work/$1" && "$B" spec)
    python3 - "$work/$1/config.json" "$work/rootfs" "$2" "$3" <<'EOF'
import json, sys
path, rootfs, args, writable = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4] == "writable"
c = json.load(open(path))
c["root"]["path"] = rootfs
c["root"]["readonly"] = not writable
if writable:
    # runc's older default: a pre-release version, a writable root.
    c["ociVersion"] = "1.0.2-dev"
c["process"]["terminal"] = False
c["process"]["args"] = args
# An ambient capability that is not inheritable: the warning's path (strerror) too.
c["process"]["capabilities"]["ambient"] = ["CAP_KILL"]
json.dump(c, open(path, "w"))
EOF
}
bundle once /bin/true readonly
bundle long "sleep 30" readonly
bundle writable /bin/true writable

trace() { "$work/fcov" "$work/addresses" "$work/hits" "$B" --root "$work/state" "$@" >/dev/null 2>&1 || true; }
# Most used first: what runs first is laid out first, and whatever does not fit in the
# first 2 MB page is what the commands traced last alone run.
trace run --bundle "$work/once" r1
trace run --bundle "$work/writable" r2
trace --log-format json run --bundle "$work/once" r3
# With a signal ignored, as callers often start berth: the init resets it (resetSignals).
(trap '' INT; trace run --bundle "$work/once" r4)
trace create --bundle "$work/long" c1
trace state c1
trace list
trace start c1
trace kill c1 KILL
sleep 0.5
trace delete c1
trace create --bundle "$work/once" c2
trace delete c2
trace run -d --bundle "$work/long" d1
trace exec d1 /bin/true
trace ps d1
trace delete -f d1

static=$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")/lib/swift_static/linux
(cd "$work" && ar x "$static/libswiftCore.a" Swift.o && ar x "$static/libswift_RegexParser.a" _RegexParser.o \
    && ar x "$static/libswift_StringProcessing.a" _StringProcessing.o)
python3 - "$work" "$here/hot-order.txt" "$here/hot-sections.ld" <<'EOF'
import subprocess, sys
work, out, script = sys.argv[1], sys.argv[2], sys.argv[3]
names = {}
for line in open(f"{work}/functions"):
    address, name = line.split(None, 1)
    names.setdefault(int(address, 16), []).append(name.strip())
# Functions in Swift.o's unsplit .text section.
sections = subprocess.run(["readelf", "-SW", f"{work}/Swift.o"], capture_output=True, text=True).stdout
text = next(l.split("]")[0].split("[")[1].strip() for l in sections.splitlines() if l.split("]")[-1].split()[:1] == [".text"])
symbols = subprocess.run(["readelf", "-sW", f"{work}/Swift.o"], capture_output=True, text=True).stdout
unsplit = {f[7] for f in (l.split() for l in symbols.splitlines()) if len(f) >= 8 and f[3] == "FUNC" and f[6] == text}
order, listed = [], set()
for line in open(f"{work}/hits"):
    # A function without a symbol has no name here: the linker script places it (.text..L*).
    for name in names.get(int(line, 16), []):
        if name not in listed:
            order.append(name)
            listed.add(name)
first = [n for n in order if n in unsplit][:1]
# A local name several objects define (a value witness such as `$sSqwxx`) places every
# copy: where the regex modules define one too, it would bring their unsplit sections
# (0.9 MB the hot paths never run) in among the hot code. Such names are placed by their
# section's name instead (berth's objects have one section per function; those modules
# keep theirs in one `.text`), in the linker script below.
regex = set()
for module in ("_RegexParser", "_StringProcessing"):
    table = subprocess.run(["readelf", "-sW", f"{work}/{module}.o"], capture_output=True, text=True).stdout
    regex |= {f[7] for f in (l.split() for l in table.splitlines()) if len(f) >= 8 and f[3] == "FUNC"}
rest = [n for n in order if n not in first]
with open(out, "w") as f:
    f.write("".join(n + "\n" for n in first + [n for n in rest if n not in regex]))
shared = [n for n in rest if n in regex]
with open(script, "w") as f:
    f.write(
        "/* Written by scripts/hotorder.sh. Functions the symbol order cannot place: those\n"
        "   without a symbol (in sections named after local labels, .text..L*: closures'\n"
        "   context destructors among them, 9 KB in all), and the hot ones whose name the regex\n"
        "   modules also define. They go together before .text, so that none brings in a 2 MB\n"
        "   page of cold code. */\n"
        "SECTIONS\n{\n  .text.hot : {\n    *(.text..L*)\n"
        + "".join(f"    *(.text.{n})\n" for n in shared)
        + "  }\n}\nINSERT BEFORE .text;\n")
print(f"hotorder: {len(order)} functions in {out} and {script}")
EOF
