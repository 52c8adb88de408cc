#!/usr/bin/env python3
"""Read an executable into the page cache in 2 MB folios, so that every process that runs it
maps its text with 2 MB page-table entries (a few page faults instead of one per 64 KB).

    python3 scripts/hugetext.py BINARY...

berth's text is about 10 MB; read the usual way, a command takes 90-140 page faults for it
and its children as many again (README, Performance). The kernel puts a file's page cache
in 2 MB folios when a mapping with MADV_HUGEPAGE misses on it, and then maps those folios
with 2 MB entries wherever a mapping of the file is aligned (the ELF loader aligns berth's
text). So: write back, drop the file's cached pages (those no process maps), map it with
MADV_HUGEPAGE and touch every page. Where the kernel has no transparent huge pages, or the
filesystem no large folios, nothing changes and nothing fails. The page cache is the
host's: after a reboot or under memory pressure, run this again (make build does).
"""
import mmap
import os
import sys


def warm(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        if size == 0:
            return
        # Pages just written by the linker are dirty: they cannot be dropped before
        # they are written back.
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        m = mmap.mmap(fd, size, mmap.MAP_PRIVATE, mmap.PROT_READ)
        try:
            try:
                m.madvise(mmap.MADV_HUGEPAGE)
            except (AttributeError, OSError) as e:
                print(f"hugetext: {path}: no transparent huge pages ({e}); left as it is", file=sys.stderr)
            for offset in range(0, size, mmap.PAGESIZE):
                m[offset]
        finally:
            m.close()
    finally:
        os.close(fd)


def main(paths):
    if not paths:
        print("usage: hugetext.py BINARY...", file=sys.stderr)
        return 2
    status = 0
    for path in paths:
        try:
            warm(path)
        except OSError as e:
            print(f"hugetext: {path}: {e.strerror}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
