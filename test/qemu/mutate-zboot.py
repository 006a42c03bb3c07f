#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Make a malformed copy of a zboot image, reading the Linux zboot header itself (offsets from
Linux zboot-header.S), independent of zuki's code.

    mutate-zboot.py MODE IN OUT
    MODE: trailer-small   size trailer 4096 bytes below the real uncompressed size
          trailer-large   size trailer 4096 bytes above it
          bomb            size trailer 0xf0000000 (beyond the stub's 1 GiB limit)
          truncate        file cut in the middle of the payload
"""
import struct
import sys

mode, src, dst = sys.argv[1:4]
d = bytearray(open(src, 'rb').read())
if d[0:2] != b'MZ' or d[4:8] != b'zimg':
    sys.exit(f'{src}: not a zboot image')
offset, size = struct.unpack_from('<II', d, 8)
trailer = offset + size
real = struct.unpack_from('<I', d, trailer)[0]
if mode == 'trailer-small':
    struct.pack_into('<I', d, trailer, real - 4096)
elif mode == 'trailer-large':
    struct.pack_into('<I', d, trailer, real + 4096)
elif mode == 'bomb':
    struct.pack_into('<I', d, trailer, 0xf0000000)
elif mode == 'truncate':
    d = d[:offset + size // 2]
else:
    sys.exit(f'unknown mode {mode}')
open(dst, 'wb').write(d)
