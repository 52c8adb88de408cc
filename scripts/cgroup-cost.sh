#!/bin/sh
# What cgroup set-up costs per berth container, from BERTH_TRACE's phase marks: creating
# the directories (and applying limits) and placing the init in them. Medians of N runs,
# back to back, on this host's cgroups; with --v2, also inside a cgroup v2 VM (cg2vm,
# software emulation: compare the two phases with each other, not with the host).
#
#   scripts/cgroup-cost.sh BERTH BUNDLE [N] [--v2 ROOTFS]
set -eu
berth=$1; bundle=$2; n=${3:-20}
root=$(mktemp -d /run/berth-cgcost.XXXXXX)
trap 'rm -rf "$root"' EXIT

measure() { # berth, bundle, root, n -> prints "create <us> join <us>"
python3 - "$@" <<'PY'
import os, statistics, subprocess, sys
berth, bundle, root, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
create, join = [], []
for i in range(n):
    r = subprocess.run([berth, "--root", root, "run", "--bundle", bundle, f"cgc{os.getpid()}-{i}"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ, BERTH_TRACE="1"), text=True)
    marks = {}
    for line in r.stderr.splitlines():
        parts = line.split(" ", 3)
        if len(parts) == 4 and parts[0] == "trace":
            marks.setdefault(parts[3], int(parts[2].rstrip("us")))
    if {"validated", "cgroup created", "maps", "cgroup joined"} <= marks.keys():
        create.append(marks["cgroup created"] - marks["validated"])
        join.append(marks["cgroup joined"] - marks["maps"])
if not create:
    sys.exit("no trace marks: " + r.stderr[-300:])
print(f"create {statistics.median(create):.0f} join {statistics.median(join):.0f}")
PY
}

mode=$(if [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo v2; elif [ -d /sys/fs/cgroup/unified ]; then echo hybrid; else echo v1; fi)
set -- $(measure "$berth" "$bundle" "$root" "$n")
echo "cgroup set-up per container ($mode host, median of $n): create+limits ${2} us, join ${4} us"

