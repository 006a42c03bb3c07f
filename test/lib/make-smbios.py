#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes an SMBIOS structure table (DMTF DSP0134: type 1 system, type 2 baseboard, end) with the
given strings, as /sys/firmware/dmi/tables/DMI holds one, for zuki measure --smbios-file.

    make-smbios.py OUT MANUFACTURER PRODUCT FAMILY SKU BOARD_MANUFACTURER BOARD_PRODUCT
"""
import struct
import sys


def structure(kind: int, formatted: bytes, strings: list[str]) -> bytes:
    body = struct.pack('<BBH', kind, 4 + len(formatted), 0x100 + kind) + formatted
    if not strings:
        return body + b'\0\0'
    return body + b''.join(s.encode() + b'\0' for s in strings) + b'\0'


def main() -> None:
    out, manufacturer, product, family, sku, board_manufacturer, board_product = sys.argv[1:8]
    # Type 1 (SMBIOS 2.4, 0x1b bytes): manufacturer 1, product 2, version 0, serial 0, UUID,
    # wake-up type, SKU 3, family 4.
    t1 = bytes([1, 2, 0, 0]) + bytes(16) + bytes([6, 3, 4])
    # Type 2: manufacturer 1, product 2, version, serial, asset tag, features, location, chassis
    # handle, board type 0x0a (motherboard), no contained handles.
    t2 = bytes([1, 2, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0])
    table = (structure(1, t1, [manufacturer, product, sku, family]) +
             structure(2, t2, [board_manufacturer, board_product]) +
             structure(127, b'', []))
    with open(out, 'wb') as f:
        f.write(table)


if __name__ == '__main__':
    main()
