#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks an x86 direct-boot zboot image against its bzImage, independently of zuki's code:
extracts vmlinux.bin + vmlinux.relocs from the bzImage with Python's own codecs, lays the PT_LOAD
segments out as the kernel's decompressor does (paddr - LOAD_PHYSICAL_ADDR), and compares that,
byte for byte, with the image's decompressed .payload; checks the .x86boot fields against the
setup header and the ELF, undoes the branch filter of the segments marked with it (written here
from docs/formats.md, not from zuki's code), and walks the relocation table (three zero-terminated lists read from
the end), checking every entry names a field inside the image.

    check-direct-payload.py BZIMAGE ZBOOT_IMAGE
"""
import lzma
import re
import struct
import sys
import zlib

import pefile
import zstandard


def decompress(payload):
    data, size = payload[:-4], struct.unpack('<I', payload[-4:])[0]
    if data[:2] == b'\x1f\x8b':
        out = zlib.decompress(data, 16 + zlib.MAX_WBITS)
    elif data[:6] == b'\xfd7zXZ\x00':
        out = lzma.decompress(data, format=lzma.FORMAT_XZ)
    elif data[:4] == b'\x28\xb5\x2f\xfd':
        out = zstandard.ZstdDecompressor().decompressobj().decompress(data)
    else:
        raise SystemExit(f'codec {data[:4].hex()} not handled by this checker')
    assert len(out) == size, (len(out), size)
    return out


BRANCH_FILTERED = 4
OPCODES = re.compile(rb'[\xe8\xe9]')


def unfilter(flat, start, end):
    """docs/formats.md: every E8/E9 at i (i + 5 <= end), walking forward, consumes its four
    following bytes; a field whose top byte is 0x00 or 0xff held the 25-bit target, sign-extended,
    and becomes the displacement (target - (i + 5)) again."""
    view = memoryview(flat)
    nxt = start
    converted = 0
    for m in OPCODES.finditer(flat, start, end):
        i = m.start()
        if i < nxt or i + 5 > end:
            continue
        v = struct.unpack_from('<I', flat, i + 1)[0]
        if v >> 24 in (0x00, 0xff):
            d = (v - (i + 5)) & 0x1ffffff
            if d & 0x1000000:
                d |= 0xfe000000
            struct.pack_into('<I', view, i + 1, d)
            converted += 1
        nxt = i + 5
    return converted


def main():
    bz = open(sys.argv[1], 'rb').read()
    img = open(sys.argv[2], 'rb').read()
    setup_sects = bz[0x1f1] or 4
    po, pl = struct.unpack_from('<II', bz, 0x248)
    start = (setup_sects + 1) * 512 + po
    vm = decompress(bz[start:start + pl])
    pref = struct.unpack_from('<Q', bz, 0x258)[0]
    init_size = struct.unpack_from('<I', bz, 0x260)[0]

    entry, phoff, shoff = struct.unpack_from('<QQQ', vm, 24)
    phentsize, phnum, shentsize, shnum = struct.unpack_from('<HHHH', vm, 54)
    end = max(phoff + phentsize * phnum, shoff + shentsize * shnum)
    loads = []
    for i in range(phnum):
        ptype, flags, off, vaddr, paddr, filesz, memsz, _ = struct.unpack_from('<IIQQQQQQ', vm, phoff + i * phentsize)
        if ptype == 1:
            loads.append((paddr - pref, off, filesz, memsz, flags))
            end = max(end, off + filesz)
    file_size = max(o + f for o, _, f, _, _ in loads)
    image_size = max(o + m for o, _, _, m, _ in loads)
    flat = bytearray(file_size)
    for o, off, filesz, _, _ in loads:
        flat[o:o + filesz] = vm[off:off + filesz]
    relocs = vm[end:]
    expected = bytes(flat) + relocs

    pe = pefile.PE(data=img, fast_load=True)
    sections = {s.Name.rstrip(b'\0').decode(): s for s in pe.sections}
    x86boot = sections['.x86boot'].get_data()[:sections['.x86boot'].Misc_VirtualSize]
    # The zboot header (Linux zboot-header.S): payload offset and size at 0x08/0x0c.
    p_off, p_size = struct.unpack_from('<II', img, 8)
    frame = img[p_off:p_off + p_size]
    got = bytearray(zstandard.ZstdDecompressor().decompress(frame, max_output_size=1 << 30))
    nseg = struct.unpack_from('<I', x86boot, 0x38)[0]
    converted = 0
    for i in range(nseg):
        so, ss, sf = struct.unpack_from('<QQI', x86boot, 64 + 24 * i)
        if sf & BRANCH_FILTERED:
            converted += unfilter(got, so, min(so + ss, file_size))
    executable = sum(1 for _, _, _, _, flags in loads if flags & 1)
    if executable and not converted:
        raise SystemExit('FAIL: no branch-filtered code in the payload')
    print(f'branch filter: {converted} CALL/JMP fields restored in {executable} executable segment(s)')
    # Version 2 (docs/formats.md): the relocation lists are delta-coded; undo it.
    version = struct.unpack_from('<I', x86boot, 8)[0]
    if version != 2:
        raise SystemExit(f'FAIL: .x86boot version {version}, expected 2 (delta-coded relocations)')
    words = list(struct.unpack_from(f'<{len(relocs) // 4}I', got, file_size))
    prev = 0
    for k, d in enumerate(words):
        prev = 0 if d == 0 else (prev + d) & 0xffffffff
        words[k] = prev
    struct.pack_into(f'<{len(words)}I', got, file_size, *words)
    if got != expected:
        raise SystemExit(f'FAIL: payload differs from the independent layout ({len(got)} vs {len(expected)} bytes)')
    print(f'payload: {len(got)} bytes equal the PT_LOAD layout ({file_size}) plus {len(relocs)} bytes of relocations')

    magic, _, fixed, load, isize, fsize, rsize, eoff, nseg, hsize = struct.unpack_from('<8sIIQQQQQII', x86boot, 0)
    checks = [
        ('magic', magic, b'zukix86\0'), ('load address', load, pref), ('image size', isize, image_size),
        ('file size', fsize, file_size), ('relocations size', rsize, len(relocs)), ('entry', eoff, entry - pref),
        ('segments', nseg, len(loads)),
        ('setup header', x86boot[64 + 24 * nseg:64 + 24 * nseg + hsize], bz[0x1f1:0x202 + bz[0x201]]),
    ]
    for i, (o, _, _, m, flags) in enumerate(loads):
        so, ss, sf = struct.unpack_from('<QQI', x86boot, 64 + 24 * i)
        want = (1 | BRANCH_FILTERED if flags & 1 else 0) | (2 if flags & 2 else 0)
        checks.append((f'segment {i}', (so, ss, sf), (o, m, want)))
    for name, have, want in checks:
        if have != want:
            raise SystemExit(f'FAIL: .x86boot {name}: {have!r}, expected {want!r}')
    print(f'.x86boot: {len(checks)} fields match the setup header and the ELF (init_size {init_size:#x})')

    entries = struct.unpack(f'<{len(relocs) // 4}I', relocs)
    pos, counts = len(entries), []
    for width in (4, 4, 8):
        n = 0
        while True:
            pos -= 1
            if pos < 0:
                raise SystemExit('FAIL: relocation list without terminator')
            v = entries[pos]
            if v == 0:
                break
            off = (v | 0xffffffff00000000 if v & 0x80000000 else v) - 0xffffffff80000000 - pref
            if not 0 <= off <= image_size - width:
                raise SystemExit(f'FAIL: relocation {v:#x} outside the image')
            n += 1
        counts.append(n)
    if pos != 0:
        raise SystemExit('FAIL: entries before the 64-bit terminator')
    print(f'relocations: {counts[0]} 32-bit, {counts[1]} inverse 32-bit, {counts[2]} 64-bit, all inside the image')
    print('PASS')


main()
