#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Make a malformed copy of a UKI by editing its section table directly (PE Format offsets),
independent of zuki's code.

    mutate-uki.py MODE IN OUT
    MODE: no-linux        rename .linux so that no .linux section is left
          duplicate       rename .osrel to .cmdline: two .cmdline sections in the base
          vsize           .cmdline's VirtualSize larger than its SizeOfRawData
          beyond-file     .osrel's raw data pointing past the end of the file
          overlap         .cmdline mapped at .osrel's address (two sections overlap in memory)
"""
import struct
import sys

mode, src, dst = sys.argv[1:4]
d = bytearray(open(src, 'rb').read())
pe = struct.unpack_from('<I', d, 0x3c)[0]
nsections = struct.unpack_from('<H', d, pe + 6)[0]
opt_size = struct.unpack_from('<H', d, pe + 20)[0]
table = pe + 24 + opt_size


def section(name):
    for i in range(nsections):
        off = table + 40 * i
        if d[off:off + 8].rstrip(b'\0') == name:
            return off
    sys.exit(f'{src}: no {name.decode()} section')


if mode == 'no-linux':
    off = section(b'.linux')
    d[off:off + 8] = b'.linuy\0\0'
elif mode == 'duplicate':
    section(b'.cmdline')
    off = section(b'.osrel')
    d[off:off + 8] = b'.cmdline'
elif mode == 'vsize':
    off = section(b'.cmdline')
    vsize = struct.unpack_from('<I', d, off + 8)[0]
    struct.pack_into('<I', d, off + 16, vsize // 2)  # SizeOfRawData < VirtualSize
elif mode == 'beyond-file':
    off = section(b'.osrel')
    struct.pack_into('<I', d, off + 20, len(d) + 0x10000)
elif mode == 'overlap':
    osrel = section(b'.osrel')
    off = section(b'.cmdline')
    struct.pack_into('<I', d, off + 12, struct.unpack_from('<I', d, osrel + 12)[0])
else:
    sys.exit(f'unknown mode {mode}')
open(dst, 'wb').write(d)
