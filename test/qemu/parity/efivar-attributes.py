#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The size and attributes of one variable in an EDK2 (OVMF/AAVMF) variable store file, read with
python3-virt-firmware (PYTHONPATH: assets.env's ZUKI_VIRT_FIRMWARE_PYTHONPATH).

    efivar-attributes.py VARS_FILE NAME GUID    prints "size=N attributes=0xA", or "absent"
Exit 1 when the store cannot be read.
"""
import sys

from virt.firmware.varstore import edk2


def main():
    path, name, guid = sys.argv[1:4]
    store = edk2.Edk2VarStore(path)
    for var in store.get_varlist().values():
        if str(var.name) == name and str(var.guid).lower() == guid.lower():
            print(f'size={len(var.data)} attributes={var.attr:#x}')
            return
    print('absent')


if __name__ == '__main__':
    main()
