#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Copy a kernel PE with a forged base relocation directory: 16 bytes at the start of .text read
as a relocation block, whose size field cannot be valid (PE Format offsets, independent of zuki).

    forge-relocs.py IN OUT
"""
import struct
import sys

src, dst = sys.argv[1:3]
d = bytearray(open(src, 'rb').read())
pe = struct.unpack_from('<I', d, 0x3c)[0]
nsec = struct.unpack_from('<H', d, pe + 6)[0]
opt = pe + 24
ndirs = struct.unpack_from('<I', d, opt + 108)[0]
if ndirs < 6:
    sys.exit('no room for a base relocation directory')
table = opt + struct.unpack_from('<H', d, pe + 20)[0]
text = next(table + 40 * i for i in range(nsec) if d[table + 40 * i:table + 40 * i + 8].rstrip(b'\0') == b'.text')
text_rva, text_raw = struct.unpack_from('<I', d, text + 12)[0], struct.unpack_from('<I', d, text + 20)[0]
# A block header claiming 0xfffffff0 bytes: larger than the 16-byte table.
struct.pack_into('<II', d, text_raw, 0, 0xfffffff0)
struct.pack_into('<II', d, opt + 112 + 5 * 8, text_rva, 16)
open(dst, 'wb').write(d)
