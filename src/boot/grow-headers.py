#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Link a stub with lld-link, then give its PE headers room for many more section headers.

zuki and ukify append a UKI's sections (.linux, .initrd, ... and, in multi-profile UKIs, each
profile's again) as new section headers after the stub's own, in the space between the section
table and the first section's data. lld-link leaves one page there (about 90 headers); systemd 258
and later allow 120 sections. lld-link cannot be told to reserve more, so after linking every
section is moved up by the same whole number of pages, in memory and in the file. A uniform move
keeps every PC-relative reference between sections (x86_64 RIP-relative, arm64 ADRP/ADD/LDR)
correct; what holds an RVA or an absolute address is adjusted here: the entry point, BaseOfCode,
SizeOfImage, the data directories, every base relocation block and the 64-bit value it patches,
and the debug directory's data pointers. The code must not address the PE headers themselves
PC-relatively (no __ImageBase): the stub finds its image through EFI_LOADED_IMAGE_PROTOCOL.

    grow-headers.py --headers SIZE -- LLD-LINK ARGS... /out:FILE
"""

import os
import struct
import subprocess
import sys

REL_BASED_ABSOLUTE = 0
REL_BASED_DIR64 = 10
DEBUG_DIRECTORY = 6
BASE_RELOCATION_DIRECTORY = 5


def fail(msg):
    sys.exit(f'grow-headers: {msg}')


def grow(data: bytearray, headers: int) -> bytearray:
    if data[:2] != b'MZ':
        fail('not an MZ image')
    pe = struct.unpack_from('<I', data, 0x3C)[0]
    if data[pe:pe + 4] != b'PE\0\0':
        fail('no PE signature')
    coff = pe + 4
    nsections, = struct.unpack_from('<H', data, coff + 2)
    opt_size, = struct.unpack_from('<H', data, coff + 16)
    opt = coff + 20
    if struct.unpack_from('<H', data, opt)[0] != 0x20B:
        fail('not PE32+')
    section_align, file_align = struct.unpack_from('<II', data, opt + 32)
    size_of_headers, = struct.unpack_from('<I', data, opt + 60)
    if section_align != file_align:
        fail('expects FileAlignment == SectionAlignment (lld-link /filealign)')
    if headers <= size_of_headers:
        return data
    if headers % section_align:
        fail(f'--headers must be a multiple of the section alignment {section_align:#x}')
    delta = headers - size_of_headers
    table = opt + opt_size
    sections = []
    for i in range(nsections):
        h = table + 40 * i
        vsize, va, raw_size, raw_ptr = struct.unpack_from('<IIII', data, h + 8)
        if raw_size and raw_ptr != va:
            fail('expects file offsets equal to RVAs')
        sections.append((h, va, vsize, raw_size, raw_ptr))

    def rva_to_offset(rva):
        for _, va, vsize, raw_size, raw_ptr in sections:
            if va <= rva < va + max(vsize, raw_size):
                return raw_ptr + (rva - va)
        fail(f'RVA {rva:#x} is in no section')

    # Absolute addresses the base relocations patch (image base + RVA) move by delta.
    image_base, = struct.unpack_from('<Q', data, opt + 24)
    nrva, = struct.unpack_from('<I', data, opt + 108)
    if nrva > BASE_RELOCATION_DIRECTORY:
        reloc_rva, reloc_size = struct.unpack_from('<II', data, opt + 112 + 8 * BASE_RELOCATION_DIRECTORY)
        pos = rva_to_offset(reloc_rva) if reloc_size else 0
        end = pos + reloc_size
        while pos < end:
            page, block = struct.unpack_from('<II', data, pos)
            if block < 8:
                fail('malformed base relocation block')
            for k in range(pos + 8, pos + block, 2):
                entry, = struct.unpack_from('<H', data, k)
                kind, off = entry >> 12, entry & 0xFFF
                if kind == REL_BASED_ABSOLUTE:
                    continue
                if kind != REL_BASED_DIR64:
                    fail(f'unexpected base relocation type {kind}')
                at = rva_to_offset(page + off)
                value, = struct.unpack_from('<Q', data, at)
                if value - image_base < size_of_headers:
                    fail(f'an absolute address points into the PE headers (RVA {value - image_base:#x})')
                struct.pack_into('<Q', data, at, value + delta)
            struct.pack_into('<I', data, pos, page + delta)
            pos += block
    # The debug directory's entries point at their data by RVA and by file offset.
    if nrva > DEBUG_DIRECTORY:
        dbg_rva, dbg_size = struct.unpack_from('<II', data, opt + 112 + 8 * DEBUG_DIRECTORY)
        if dbg_size:
            at = rva_to_offset(dbg_rva)
            for e in range(at, at + dbg_size, 28):
                raw_rva, raw_ptr = struct.unpack_from('<II', data, e + 20)
                struct.pack_into('<II', data, e + 20, raw_rva + delta if raw_rva else 0,
                                 raw_ptr + delta if raw_ptr else 0)
    # Data directories, entry point, BaseOfCode, SizeOfImage, SizeOfHeaders.
    for d in range(min(nrva, 16)):
        rva, size = struct.unpack_from('<II', data, opt + 112 + 8 * d)
        if rva and d != 4:  # 4: the certificate table holds a file offset, and there is none yet
            struct.pack_into('<I', data, opt + 112 + 8 * d, rva + delta)
    for field in (16, 20):  # AddressOfEntryPoint, BaseOfCode
        v, = struct.unpack_from('<I', data, opt + field)
        struct.pack_into('<I', data, opt + field, v + delta)
    size_of_image, = struct.unpack_from('<I', data, opt + 56)
    struct.pack_into('<I', data, opt + 56, size_of_image + delta)
    struct.pack_into('<I', data, opt + 60, headers)
    struct.pack_into('<I', data, opt + 64, 0)  # CheckSum: not kept
    # Sections move up; the file gains delta zero bytes after the headers.
    for h, va, vsize, raw_size, raw_ptr in sections:
        struct.pack_into('<I', data, h + 12, va + delta)
        if raw_size:
            struct.pack_into('<I', data, h + 20, raw_ptr + delta)
    return data[:size_of_headers] + bytearray(delta) + data[size_of_headers:]


def main():
    args = sys.argv[1:]
    if len(args) < 4 or args[0] != '--headers' or args[2] != '--':
        fail('usage: grow-headers.py --headers SIZE -- LLD-LINK ARGS... /out:FILE')
    headers = int(args[1], 0)
    link = args[3:]
    outs = [a[5:] for a in link if a.lower().startswith('/out:')]
    if len(outs) != 1:
        fail('the link command needs exactly one /out:FILE')
    subprocess.run(link, check=True)
    with open(outs[0], 'rb') as f:
        data = bytearray(f.read())
    data = grow(data, headers)
    tmp = outs[0] + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(data)
    os.replace(tmp, outs[0])


if __name__ == '__main__':
    main()
