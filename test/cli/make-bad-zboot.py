#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Make a copy of a zuki zboot image with one thing wrong that the stub refuses. Reads the Linux
zboot header (zboot-header.S offsets), the PE section table (pefile) and the .x86boot layout
(docs/formats.md) itself, independent of zuki's code; decompresses and recompresses with the
zstd command.

    make-bad-zboot.py MODE IN OUT
    MODE: payload-size-0      zboot header payload size 0
          skippable-frame     a skippable zstd frame in front of the kernel's frame
          gzip-x86boot        codec "gzip" with an .x86boot section
          x86boot-overlap     the second .x86boot segment starts where the first does
          x86boot-entry       the entry point beyond the image
          x86boot-setup-size  the setup header copy declared 4096 bytes long
          cmdline-size        setup-header cmdline_size 0xffffffff
          reloc-outside       the first relocation entry points below the kernel's link address
"""
import struct
import subprocess
import sys

import pefile

mode, src, dst = sys.argv[1:4]
d = bytearray(open(src, 'rb').read())
if d[0:2] != b'MZ' or d[4:8] != b'zimg':
    sys.exit(f'{src}: not a zboot image')
offset, size = struct.unpack_from('<II', d, 8)
pe = pefile.PE(data=bytes(d), fast_load=True)
sections = {s.Name.rstrip(b'\0').decode(): s for s in pe.sections}


def x86boot():
    s = sections.get('.x86boot')
    if s is None:
        sys.exit(f'{src}: no .x86boot section')
    return s.PointerToRawData


def zstd(args, data):
    return subprocess.run(['zstd', '-q', '-c'] + args, input=data, stdout=subprocess.PIPE, check=True).stdout


def repack(frame, trailer):
    """Replace the payload with `frame` and its le32 size trailer. The payload section must be
    the last one in the file; its sizes and SizeOfImage follow."""
    s = next(s for s in pe.sections if s.PointerToRawData == offset)
    if s is not pe.sections[-1]:
        sys.exit(f'{src}: the payload is not in the last section')
    fa, sa = pe.OPTIONAL_HEADER.FileAlignment, pe.OPTIONAL_HEADER.SectionAlignment
    stored = frame + struct.pack('<I', trailer)
    raw = (len(stored) + fa - 1) // fa * fa
    s.SizeOfRawData, s.Misc_VirtualSize = raw, len(stored)
    pe.OPTIONAL_HEADER.SizeOfImage = (s.VirtualAddress + len(stored) + sa - 1) // sa * sa
    out = bytearray(pe.write())[:offset] + stored + b'\0' * (raw - len(stored))
    struct.pack_into('<I', out, 12, len(frame))
    return out


frame = bytes(d[offset:offset + size])
trailer = struct.unpack_from('<I', d, offset + size)[0]
if mode == 'payload-size-0':
    struct.pack_into('<I', d, 12, 0)
elif mode == 'skippable-frame':
    d = repack(struct.pack('<II', 0x184d2a50, 4) + b'zuki' + frame, trailer)
elif mode == 'gzip-x86boot':
    x86boot()
    d[0x18:0x38] = b'gzip'.ljust(32, b'\0')
elif mode == 'x86boot-overlap':
    x = x86boot()
    first = struct.unpack_from('<Q', d, x + 0x40)[0]
    struct.pack_into('<Q', d, x + 0x40 + 24, first)
elif mode == 'x86boot-entry':
    x = x86boot()
    image_size = struct.unpack_from('<Q', d, x + 0x18)[0]
    struct.pack_into('<Q', d, x + 0x30, image_size + 0x1000)
elif mode == 'x86boot-setup-size':
    struct.pack_into('<I', d, x86boot() + 0x3c, 4096)
elif mode == 'cmdline-size':
    x = x86boot()
    segments = struct.unpack_from('<I', d, x + 0x38)[0]
    struct.pack_into('<I', d, x + 0x40 + 24 * segments + 0x238 - 0x1f1, 0xffffffff)
elif mode == 'reloc-outside':
    x86boot()
    inner = bytearray(zstd(['-d'], frame))
    # Read from the end: the first entry is a 32-bit relocation; 0x7fff0000 sign-extends to an
    # address far below __START_KERNEL_map + LOAD_PHYSICAL_ADDR.
    struct.pack_into('<I', inner, len(inner) - 4, 0x7fff0000)
    d = repack(zstd(['-3', '--no-check'], bytes(inner)), trailer)
else:
    sys.exit(f'unknown mode {mode}')
open(dst, 'wb').write(d)
