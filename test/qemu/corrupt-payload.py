#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Copy a zboot image, flipping one byte in the middle of its compressed payload.

Reads the Linux zboot header itself (offsets from Linux zboot-header.S), independent of zuki's
code, so the test exercises the stub against a payload that is corrupt by construction.
"""
import struct
import sys

src, dst = sys.argv[1], sys.argv[2]
data = bytearray(open(src, 'rb').read())
if data[0:2] != b'MZ' or data[4:8] != b'zimg':
    sys.exit(f'{src}: not a zboot image')
offset, size = struct.unpack_from('<II', data, 8)
victim = offset + size // 2
data[victim] ^= 0x01
open(dst, 'wb').write(data)
print(f'flipped bit 0 of byte {victim:#x} (payload {offset:#x}+{size:#x})')
