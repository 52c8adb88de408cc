#!/usr/bin/env python3
"""Read an executable into the page cache so that every process that runs it maps the first
2 MB page of its text with one 2 MB page-table entry, and the rest of it in 4 KB pages.

    python3 scripts/hugetext.py BINARY...

`make build` lays berth's hot functions out at the start of its text (README, Performance):
in one 2 MB page, a command maps them with one page fault instead of one per 64 KB. The
kernel puts a file's page cache in 2 MB folios when a mapping with MADV_HUGEPAGE misses on
it, and maps such a folio with a 2 MB entry wherever the mapping is aligned, which the
linker makes berth's text. Everything after that page is cold code: in 4 KB pages a command
that strays into it maps the 64 KB around each fault, not another 2 MB (that was 2 MB more
peak RSS for `start`, `kill` and `exec`, whose last few functions did not fit).

So: write back, drop the file's cached pages (those no process maps), map the first
2 MB-aligned page of the text with MADV_HUGEPAGE and touch it, then read the rest of the
file page by page without read-ahead, which caches it in 4 KB folios. Where the kernel has
no transparent huge pages, or the filesystem no large folios, the first step changes
nothing and nothing fails. The page cache is the host's: after a reboot or under memory
pressure, run this again (make build does).
"""
import mmap
import os
import struct
import sys

HUGE = 2 << 20


def hot_page(fd):
    """The file offset of the first 2 MB page of the executable segment that the kernel can
    map with one entry (aligned in memory and in the file alike), or None."""
    head = os.pread(fd, 64, 0)
    if head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
        return None
    phoff, = struct.unpack_from("<Q", head, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
    table = os.pread(fd, phentsize * phnum, phoff)
    for i in range(phnum):
        p_type, p_flags, p_offset, p_vaddr, _, p_filesz = struct.unpack_from("<IIQQQQ", table, i * phentsize)
        if p_type != 1 or not p_flags & 1:  # PT_LOAD, PF_X
            continue
        if (p_vaddr - p_offset) % HUGE:
            return None
        start = (p_vaddr + HUGE - 1) // HUGE * HUGE
        if start + HUGE > p_vaddr + p_filesz:
            return None
        return p_offset + (start - p_vaddr)
    return None


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
        # Every page outside the hot one read alone, the ELF header first: read in order,
        # the kernel would grow its folios up to 2 MB.
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
        offset = hot_page(fd)
        if offset is not None:
            m = mmap.mmap(fd, HUGE, mmap.MAP_PRIVATE, mmap.PROT_READ, offset=offset)
            try:
                try:
                    m.madvise(mmap.MADV_HUGEPAGE)
                except (AttributeError, OSError) as e:
                    print(f"hugetext: {path}: no transparent huge pages ({e}); left as it is", file=sys.stderr)
                for o in range(0, HUGE, mmap.PAGESIZE):
                    m[o]
            finally:
                m.close()
            # A 2 MB folio's read-ahead took the next 2 MB in one too: dropped again.
            os.posix_fadvise(fd, offset + HUGE, 0, os.POSIX_FADV_DONTNEED)
        for o in range(0, size, mmap.PAGESIZE):
            os.pread(fd, 1, o)
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
