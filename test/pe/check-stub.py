#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Post-build checks of a zuki EFI stub, done with pefile rather than zuki's own PE code.

Prints one PASS/FAIL line per property and exits 1 if any property fails. The properties are
the ones firmware with a strict NX policy (EDK2 PcdDxeNxMemoryProtectionPolicy, the "strictnx"
OVMF builds), shim/SBAT and the zuki/ukify section appenders rely on.
"""

from __future__ import annotations

import argparse
import re
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

import pefile

MACHINES = {"x64": 0x8664, "aa64": 0xAA64, "riscv64": 0x5064}
PE32_PLUS_MAGIC = 0x20B
SUBSYSTEM_EFI_APPLICATION = 10
DLL_DYNAMIC_BASE = 0x0040
DLL_NX_COMPAT = 0x0100
PAGE_SIZE = 4096
SCN_MEM_EXECUTE = 0x20000000
SCN_MEM_READ = 0x40000000
SCN_MEM_WRITE = 0x80000000
SECTION_HEADER_SIZE = 40
# zuki and ukify append .linux, .osrel, .cmdline, .initrd, .ucode, .splash, .dtb, .uname, .sbat,
# .pcrsig, .pcrpkey, .profile, ... and multi-profile UKIs repeat them: 30 is a comfortable floor.
MIN_FREE_SECTION_HEADERS = 30
REL_BASED_ABSOLUTE = 0  # padding, patches nothing
REL_BASED_HIGHLOW = 3
REL_BASED_DIR64 = 10
RELOCATION_WIDTH = {REL_BASED_ABSOLUTE: 0, REL_BASED_HIGHLOW: 4, REL_BASED_DIR64: 8}
SBAT_FIELDS = 6
IMAGE_FILE_RELOCS_STRIPPED = 0x0001
# Where compilers put global constructors: clang/MSVC emit .CRT$XCU (.CRT$XI*, $XL* for C and TLS
# initialisers) and the linker merges the grouped sections into one `.CRT` section, dropping the
# `$` suffix; GNU toolchains use .ctors/.init_array. (A `/merge:.CRT=.rdata` would hide the table
# from this check: -Werror=global-constructors in the build is the first line of defence.)
CONSTRUCTOR_SECTION = re.compile(r"^(\.CRT(\$.*)?|\.ctors.*|\.init_array.*)$")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def section_name(section: pefile.SectionStructure) -> str:
    return section.Name.rstrip(b"\0").decode("ascii", "replace")


def flags(characteristics: int) -> str:
    return ("r" if characteristics & SCN_MEM_READ else "-") + \
           ("w" if characteristics & SCN_MEM_WRITE else "-") + \
           ("x" if characteristics & SCN_MEM_EXECUTE else "-")


def check_magic(pe: pefile.PE) -> Check:
    magic = pe.OPTIONAL_HEADER.Magic
    return Check("pe32plus", magic == PE32_PLUS_MAGIC, f"optional header magic {magic:#x}")


def check_machine(pe: pefile.PE, machine: str) -> Check:
    got, want = pe.FILE_HEADER.Machine, MACHINES[machine]
    return Check("machine", got == want, f"{got:#06x} (want {want:#06x} for {machine})")


def check_subsystem(pe: pefile.PE) -> Check:
    got = pe.OPTIONAL_HEADER.Subsystem
    return Check("subsystem", got == SUBSYSTEM_EFI_APPLICATION,
                 f"{got} (want {SUBSYSTEM_EFI_APPLICATION}, EFI application)")


def check_dll_characteristics(pe: pefile.PE) -> Check:
    got = pe.OPTIONAL_HEADER.DllCharacteristics
    missing = [name for bit, name in ((DLL_NX_COMPAT, "NX_COMPAT"), (DLL_DYNAMIC_BASE, "DYNAMIC_BASE"))
               if not got & bit]
    detail = f"{got:#06x}" + (f", missing {' '.join(missing)}" if missing else ", NX_COMPAT DYNAMIC_BASE")
    return Check("dll-characteristics", not missing, detail)


def check_section_alignment(pe: pefile.PE) -> Check:
    got = pe.OPTIONAL_HEADER.SectionAlignment
    return Check("section-alignment", got == PAGE_SIZE, f"{got:#x} (want {PAGE_SIZE:#x})")


def check_w_xor_x(pe: pefile.PE) -> Check:
    both = [section_name(s) for s in pe.sections
            if s.Characteristics & SCN_MEM_WRITE and s.Characteristics & SCN_MEM_EXECUTE]
    layout = " ".join(f"{section_name(s)}:{flags(s.Characteristics)}" for s in pe.sections)
    if both:
        return Check("w-xor-x", False, f"writable and executable: {' '.join(both)} ({layout})")
    return Check("w-xor-x", True, layout)


def check_relocations(pe: pefile.PE, addon: bool = False) -> Check:
    directory = pe.OPTIONAL_HEADER.DATA_DIRECTORY[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_BASERELOC"]]
    if addon and directory.Size == 0:
        # The addon stub's code has no absolute address to patch: no table, but the loader may
        # still place it anywhere as long as the file does not say its relocations were stripped.
        if pe.FILE_HEADER.Characteristics & IMAGE_FILE_RELOCS_STRIPPED:
            return Check("base-relocations", False, "no table and IMAGE_FILE_RELOCS_STRIPPED set: not relocatable")
        return Check("base-relocations", True, "no table (nothing to patch), relocations not stripped")
    if directory.VirtualAddress == 0 or directory.Size == 0:
        return Check("base-relocations", False,
                     f"directory empty (rva {directory.VirtualAddress:#x}, size {directory.Size:#x})")
    size_of_image = pe.OPTIONAL_HEADER.SizeOfImage
    if directory.VirtualAddress + directory.Size > size_of_image:
        return Check("base-relocations", False, "directory lies outside the image")
    # pefile maps the RVA to file bytes; the blocks are walked here because pefile's own
    # parse_relocations stops quietly at the first malformed block or duplicate entry.
    try:
        data = pe.get_data(directory.VirtualAddress, directory.Size)
    except pefile.PEFormatError as e:
        return Check("base-relocations", False, f"directory not backed by file data: {e}")
    if len(data) != directory.Size:
        return Check("base-relocations", False, f"directory truncated to {len(data)} bytes")

    counts: dict[int, int] = {}
    outside = []
    blocks = 0
    pos = 0
    while pos < len(data):
        if len(data) - pos < 8:
            return Check("base-relocations", False, f"truncated block header at +{pos:#x}")
        page, block_size = struct.unpack_from("<II", data, pos)
        if block_size < 8 or block_size % 2 or block_size > len(data) - pos:
            return Check("base-relocations", False, f"block at +{pos:#x} has bad size {block_size:#x}")
        for (word,) in struct.iter_unpack("<H", data[pos + 8 : pos + block_size]):
            kind, rva = word >> 12, page + (word & 0xFFF)
            counts[kind] = counts.get(kind, 0) + 1
            width = RELOCATION_WIDTH.get(kind)
            if width is None:
                outside.append(f"type {kind} at {rva:#x}")
            elif width and rva + width > size_of_image:
                outside.append(f"{rva:#x}")
        blocks += 1
        pos += block_size

    summary = ", ".join(f"{n} x type {t}" for t, n in sorted(counts.items()))
    if outside:
        return Check("base-relocations", False,
                     f"entries outside the image (SizeOfImage {size_of_image:#x}) or of unknown type: "
                     + " ".join(outside[:5]) + (f" (+{len(outside) - 5} more)" if len(outside) > 5 else ""))
    if not counts.get(REL_BASED_DIR64):
        return Check("base-relocations", False, f"no DIR64 entry ({summary or 'no entries'})")
    return Check("base-relocations", True, f"{blocks} blocks, {summary}")


# Reserved names (RFC 2606, RFC 6761) that mark a URL as a placeholder, not a vendor's address.
PLACEHOLDER_URL = re.compile(r"\.(invalid|example|test|localhost)\b|\bexample\.(com|net|org)\b|//localhost\b")


def check_sbat(pe: pefile.PE, version: str | None, component: str = "zuki") -> Check:
    sections = [s for s in pe.sections if section_name(s) == ".sbat"]
    if len(sections) != 1:
        return Check("sbat", False, f"{len(sections)} .sbat sections (want 1)")
    section = sections[0]
    if section.Characteristics & (SCN_MEM_WRITE | SCN_MEM_EXECUTE):
        return Check("sbat", False, f".sbat is {flags(section.Characteristics)}")
    data = section.get_data()[: section.Misc_VirtualSize].rstrip(b"\0")
    if not data.startswith(b"sbat,1,"):
        return Check("sbat", False, f"data starts with {data[:16]!r}, not 'sbat,1,'")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return Check("sbat", False, "data is not ASCII")
    lines = text.rstrip("\n").split("\n")
    bad = [line for line in lines if len(line.split(",")) != SBAT_FIELDS]
    if bad:
        return Check("sbat", False, f"line without {SBAT_FIELDS} fields: {bad[0]!r}")
    zuki = [line.split(",") for line in lines if line.startswith(component + ",")]
    if len(zuki) != 1:
        return Check("sbat", False, f"{len(zuki)} '{component}' component lines (want 1)")
    _, generation, _, _, vendor_version, url = zuki[0]
    if not generation.isdigit() or int(generation) < 1:
        return Check("sbat", False, f"zuki component generation {generation!r} is not a number >= 1")
    if version is not None and vendor_version != version:
        return Check("sbat", False, f"zuki component version {vendor_version!r}, the project is {version!r}")
    if not url or PLACEHOLDER_URL.search(url):
        return Check("sbat", False, f"zuki component URL {url!r} is a placeholder")
    components = " ".join(line.split(",")[0] for line in lines)
    return Check("sbat", True, f"{flags(section.Characteristics)}, {len(lines)} entries: {components}")


def check_header_room(pe: pefile.PE) -> Check:
    table_end = (pe.DOS_HEADER.e_lfanew + 4 + pe.FILE_HEADER.sizeof()
                 + pe.FILE_HEADER.SizeOfOptionalHeader
                 + pe.FILE_HEADER.NumberOfSections * SECTION_HEADER_SIZE)
    limits = {"SizeOfHeaders": pe.OPTIONAL_HEADER.SizeOfHeaders}
    raw = [s.PointerToRawData for s in pe.sections if s.SizeOfRawData]
    if raw:
        limits["first PointerToRawData"] = min(raw)
    # A header must also stay below the first section in memory, or it would overlap it.
    if pe.sections:
        limits["first VirtualAddress"] = min(s.VirtualAddress for s in pe.sections)
    limit_name, limit = min(limits.items(), key=lambda item: item[1])
    room = limit - table_end
    free = max(room, 0) // SECTION_HEADER_SIZE
    detail = (f"{free} free section headers ({room} bytes between the section table end {table_end:#x} "
              f"and {limit_name} {limit:#x}; want >= {MIN_FREE_SECTION_HEADERS})")
    return Check("header-room", room >= MIN_FREE_SECTION_HEADERS * SECTION_HEADER_SIZE, detail)


def check_no_constructors(pe: pefile.PE) -> Check:
    named = [section_name(s) for s in pe.sections if CONSTRUCTOR_SECTION.match(section_name(s))]
    tls = pe.OPTIONAL_HEADER.DATA_DIRECTORY[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_TLS"]]
    problems = named + (["TLS directory"] if tls.VirtualAddress or tls.Size else [])
    if problems:
        return Check("no-constructors", False, f"found {' '.join(problems)}")
    return Check("no-constructors", True, "no .CRT/.CRT$XC*/.ctors/.init_array section, no TLS directory")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--machine", choices=sorted(MACHINES), required=True)
    parser.add_argument("--version", help="the project version the .sbat zuki line must carry")
    parser.add_argument("--addon", action="store_true",
                        help="the addon stub: SBAT component zuki-addon, no relocations needed")
    args = parser.parse_args()

    try:
        pe = pefile.PE(str(args.file), fast_load=True)
    except (OSError, pefile.PEFormatError) as e:
        print(f"FAIL parse: {args.file}: {e}")
        return 1

    checks = [
        check_magic(pe),
        check_machine(pe, args.machine),
        check_subsystem(pe),
        check_dll_characteristics(pe),
        check_section_alignment(pe),
        check_w_xor_x(pe),
        check_relocations(pe, args.addon),
        check_sbat(pe, args.version, "zuki-addon" if args.addon else "zuki"),
        check_header_room(pe),
        check_no_constructors(pe),
    ]
    for check in checks:
        print(f"{'PASS' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    failed = [c.name for c in checks if not c.ok]
    print(f"{args.file}: {len(checks) - len(failed)}/{len(checks)} checks passed"
          + (f", failed: {' '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
