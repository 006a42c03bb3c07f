#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Reads a UKI with pefile, independently of zuki.

  uki-tool.py section UKI NAME OUT write a section's VirtualSize bytes to OUT
  uki-tool.py flip UKI NAME OUT    copy UKI to OUT with the first byte of section NAME changed
(What systemd-stub measures for a UKI is test/lib/pcrmodel.py's business.)
"""
import shutil
import sys

import pefile

def sections(path):
    pe = pefile.PE(path, fast_load=True)
    out = {}
    for s in pe.sections:
        name = s.Name.rstrip(b"\0").decode()
        out[name] = (s, s.get_data()[: s.Misc_VirtualSize])
    return out


def main():
    verb, path = sys.argv[1], sys.argv[2]
    secs = sections(path)
    if verb == "section":
        open(sys.argv[4], "wb").write(secs[sys.argv[3]][1])
    elif verb == "flip":
        s = secs[sys.argv[3]][0]
        shutil.copyfile(path, sys.argv[4])
        with open(sys.argv[4], "r+b") as f:
            f.seek(s.PointerToRawData)
            b = f.read(1)
            f.seek(s.PointerToRawData)
            f.write(bytes([b[0] ^ 0x01]))
    else:
        sys.exit(f"unknown verb {verb}")


main()
