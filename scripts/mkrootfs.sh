#!/bin/sh
# Build a minimal busybox-static root filesystem for berth's integration tests.
#
#   scripts/mkrootfs.sh DIR
#
# DIR gets bin/busybox (copied from the host's busybox-static), one symlink per
# applet in bin/, the usual top-level directories, a tiny etc/passwd and
# etc/group, and EMPTY etc/hostname, etc/hosts and etc/resolv.conf (the runtime
# bind-mounts generated files over them). Idempotent: re-running refreshes the
# tree without failing on what already exists.
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
dir=$1
busybox=${BUSYBOX:-/bin/busybox}

if [ ! -x "$busybox" ]; then
    echo "$0: $busybox not found (install the busybox-static package)" >&2
    exit 1
fi
# A dynamically linked busybox would not run inside the rootfs.
if command -v file >/dev/null 2>&1 && file -L "$busybox" | grep -q 'dynamically linked'; then
    echo "$0: $busybox is dynamically linked; install busybox-static" >&2
    exit 1
fi

mkdir -p "$dir"
cd "$dir"
# mnt and srv are mount points the tests use (the rootfs is read-only in containers).
mkdir -p proc sys dev tmp etc root sbin usr/bin var run bin mnt srv
chmod 1777 tmp

# Copy (not link): the rootfs must not depend on the host's file.
if ! cmp -s "$busybox" bin/busybox 2>/dev/null; then
    cp "$busybox" bin/busybox.tmp
    chmod 0755 bin/busybox.tmp
    mv -f bin/busybox.tmp bin/busybox
fi

for applet in $(bin/busybox --list); do
    [ "$applet" = busybox ] && continue
    ln -sfn busybox "bin/$applet"
done

cat > etc/passwd <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > etc/group <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP

# Empty on purpose: the runtime's init layer mounts generated files over these.
for f in hostname hosts resolv.conf; do
    : > "etc/$f"
done
