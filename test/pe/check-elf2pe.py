#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Differential check of src/elf2pe: the PE image it wrote holds what the ELF it read holds.

The ELF side is read by llvm-readelf and llvm-objcopy, the PE side by pefile; neither is zuki's
code. Checked: every allocated ELF section that carries bytes (other than the dynamic-loader
ones the converter leaves out) appears byte for byte at the same RVA in the PE image, except
the 8-byte slots of R_RISCV_RELATIVE relocations, each of which must be a DIR64 base relocation
holding ImageBase + addend; and there is no DIR64 entry that no R_RISCV_RELATIVE asked for.

    check-elf2pe.py IN.elf OUT.efi
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import pefile

DYNAMIC_ONLY = {".dynamic", ".dynsym", ".dynstr", ".hash", ".gnu.hash", ".rela.dyn"}
REL_BASED_DIR64 = 10


def elf_sections(elf: Path) -> list[tuple[str, str, int, int, str]]:
    out = subprocess.run(["llvm-readelf", "-S", "-W", str(elf)], check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\S+\s+(\S*)", line)
        if m:
            rows.append((m[1], m[2], int(m[3], 16), int(m[4], 16), m[5]))
    return rows


def elf_relative_relocations(elf: Path) -> dict[int, int]:
    out = subprocess.run(["llvm-readelf", "-r", "-W", str(elf)], check=True, capture_output=True, text=True).stdout
    relocs = {}
    for line in out.splitlines():
        m = re.match(r"\s*([0-9a-f]{16})\s+[0-9a-f]+\s+(R_RISCV_\w+)\s+(.*)$", line)
        if not m:
            continue
        if m[2] != "R_RISCV_RELATIVE":
            sys.exit(f"FAIL: the ELF has a {m[2]} relocation; it should not have converted")
        relocs[int(m[1], 16)] = int(m[3].split()[-1], 16)
    return relocs


def main() -> int:
    elf, efi = Path(sys.argv[1]), Path(sys.argv[2])
    pe = pefile.PE(str(efi), fast_load=True)
    pe.parse_data_directories(directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_BASERELOC"]])
    base = pe.OPTIONAL_HEADER.ImageBase
    image = pe.get_memory_mapped_image()
    failures = 0

    dir64 = set()
    for block in getattr(pe, "DIRECTORY_ENTRY_BASERELOC", []):
        for entry in block.entries:
            if entry.type == REL_BASED_DIR64:
                dir64.add(entry.rva)
            elif entry.type != 0:
                print(f"FAIL: base relocation of type {entry.type} at {entry.rva:#x}")
                failures += 1
    relocs = elf_relative_relocations(elf)
    if not relocs:
        print("FAIL: the ELF has no R_RISCV_RELATIVE relocation to compare")
        return 1
    for offset, addend in sorted(relocs.items()):
        if offset not in dir64:
            print(f"FAIL: R_RISCV_RELATIVE at {offset:#x} has no DIR64 base relocation")
            failures += 1
        value, = struct.unpack_from("<Q", image, offset)
        if value != base + addend:
            print(f"FAIL: slot {offset:#x} holds {value:#x}, want ImageBase + {addend:#x} = {base + addend:#x}")
            failures += 1
    for rva in sorted(dir64 - set(relocs)):
        print(f"FAIL: DIR64 base relocation at {rva:#x} that no R_RISCV_RELATIVE asked for")
        failures += 1

    compared = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, kind, addr, size, flags in elf_sections(elf):
            if "A" not in flags or kind == "NOBITS" or not size or name in DYNAMIC_ONLY:
                continue
            dump = Path(tmp) / "section.bin"
            subprocess.run(["llvm-objcopy", "-O", "binary", f"--only-section={name}", str(elf), str(dump)], check=True)
            want = bytearray(dump.read_bytes())
            for offset in relocs:
                if addr <= offset < addr + size:
                    want[offset - addr : offset - addr + 8] = image[offset : offset + 8]  # checked above
            got = image[addr : addr + size]
            if got != want:
                first = next(i for i in range(min(len(got), len(want))) if got[i] != want[i]) if len(got) == len(want) else 0
                print(f"FAIL: section {name} ({size:#x} bytes at {addr:#x}) differs in the PE image, first at +{first:#x}")
                failures += 1
            else:
                compared += 1
    if failures:
        print(f"{failures} difference(s)")
        return 1
    print(f"ok: {compared} ELF sections byte-identical at their RVAs, {len(relocs)} R_RISCV_RELATIVE = DIR64 "
          f"(ImageBase {base:#x} + addend)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
