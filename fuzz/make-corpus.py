#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Generates the seed corpora of the fuzz targets (nothing binary is committed).

    make-corpus.py OUT_DIR [--no-real-inputs]

writes OUT_DIR/<target>/<seed> for every target (pe, zboot, uki, text, cpio, kaslr, wx, ...) and a
libFuzzer dictionary OUT_DIR/<target>.dict. The seeds are small synthetic inputs built here from
the formats' field layouts: PE32+ images for x86_64 and arm64 (copying and in-place layouts,
with and without base relocations), zboot images, UKIs with base and profile sections, UTF-8
text, cpio entry lists and memory maps. Reproducers of bugs the fuzzers found are generated
cases too (see REPRODUCERS). Unless --no-real-inputs is given, the first 64 KiB of the Debian
kernels tools/setup.sh downloads (/var/cache/zuki/kernels/bookworm-*/vmlinuz) and the systemd
stubs recorded in /var/cache/zuki/assets.env are added when present.
"""

import base64
import json
import os
import shutil
import struct
import sys

TARGETS = ["pe", "zboot", "uki", "text", "cpio", "kaslr", "wx", "pcrsig", "x86", "hwids", "devpath"]

X64 = 0x8664
ARM64 = 0xAA64
RISCV64 = 0x5064
CODE = 0x00000020 | 0x20000000 | 0x40000000  # CNT_CODE | MEM_EXECUTE | MEM_READ
DATA = 0x00000040 | 0x40000000 | 0x80000000  # CNT_INITIALIZED_DATA | MEM_READ | MEM_WRITE
RODATA = 0x00000040 | 0x40000000
RELOC = 0x00000040 | 0x40000000 | 0x02000000  # ... | MEM_DISCARDABLE
RWX = CODE | 0x80000000
REL_ABSOLUTE, REL_HIGHLOW, REL_DIR64 = 0, 3, 10
LINUX_PE_MAGIC = 0x818223CD


def align_up(v, a):
    return (v + a - 1) // a * a


def pattern(index, n):
    """Non-zero bytes that differ per section and offset."""
    return bytes((0x40 + 0x10 * index + k % 13) & 0xFF for k in range(n))


class Section:
    def __init__(self, name, va, vsize, raw_offset=0, raw_size=None, chars=RODATA, content=None):
        self.name = name.encode() if isinstance(name, str) else name
        self.va, self.vsize, self.raw_offset = va, vsize, raw_offset
        self.raw_size = vsize if raw_size is None else raw_size
        self.chars = chars
        self.content = content


def build_pe(sections, machine=X64, entry=None, image_base=0x140000000, salign=0x1000, falign=0x200,
             size_of_image=None, size_of_headers=0x400, dirs=None, lfanew=0x80, ndirs=16,
             file_size=None, pad_to_image=False, optional_magic=0x20B):
    """A PE32+ file; writes exactly what it is told, consistent or not."""
    dirs = dirs or {}
    opt_size = 112 + 8 * ndirs
    opt = lfanew + 24
    table = opt + opt_size
    if size_of_image is None:
        size_of_image = align_up(max([s.va + max(s.vsize, s.raw_size) for s in sections] + [size_of_headers]), salign)
    if entry is None:
        code = [s for s in sections if s.chars & 0x20000000]
        entry = code[0].va if code else 0
    end = max([0x40, size_of_headers, table + 40 * len(sections)] +
              [s.raw_offset + s.raw_size for s in sections if s.raw_size])
    f = bytearray(end)
    f[0:2] = b"MZ"
    struct.pack_into("<I", f, 0x3C, lfanew)
    f[lfanew:lfanew + 4] = b"PE\0\0"
    struct.pack_into("<HHIIIHH", f, lfanew + 4, machine, len(sections), 0, 0, 0, opt_size, 0x0022)
    struct.pack_into("<H", f, opt, optional_magic)
    struct.pack_into("<I", f, opt + 16, entry)
    struct.pack_into("<Q", f, opt + 24, image_base)
    struct.pack_into("<II", f, opt + 32, salign, falign)
    struct.pack_into("<II", f, opt + 56, size_of_image, size_of_headers)
    struct.pack_into("<HH", f, opt + 68, 10, 0x0140)  # EFI application; DYNAMIC_BASE | NX_COMPAT
    struct.pack_into("<I", f, opt + 108, ndirs)
    for index, (address, size) in dirs.items():
        if index < ndirs:
            struct.pack_into("<II", f, opt + 112 + 8 * index, address, size)
    for i, s in enumerate(sections):
        h = table + 40 * i
        f[h:h + 8] = s.name[:8].ljust(8, b"\0")
        struct.pack_into("<IIII", f, h + 8, s.vsize, s.va, s.raw_size, s.raw_offset)
        struct.pack_into("<I", f, h + 36, s.chars)
        if s.raw_size:
            data = s.content if s.content is not None else pattern(i, s.raw_size)
            data = data[:s.raw_size].ljust(s.raw_size, b"\0")
            f[s.raw_offset:s.raw_offset + s.raw_size] = data
    if pad_to_image and len(f) < size_of_image:
        f += bytes(size_of_image - len(f))
    if file_size is not None:
        f = f[:file_size] if file_size < len(f) else f + bytes(file_size - len(f))
    return bytes(f)


def reloc_table(blocks):
    """blocks: [(page_rva, [(type, offset), ...])] -> base relocation table bytes."""
    out = b""
    for page, entries in blocks:
        words = [(t << 12) | (o & 0xFFF) for t, o in entries]
        if len(words) % 2:
            words.append(0)  # ABSOLUTE padding to a 32-bit boundary
        out += struct.pack("<II", page, 8 + 2 * len(words)) + b"".join(struct.pack("<H", w) for w in words)
    return out


def raw_block(page, size, words):
    """A block whose header says whatever it is told (for malformed tables)."""
    return struct.pack("<II", page, size) + b"".join(struct.pack("<H", w) for w in words)


# --- PE images ------------------------------------------------------------------------------

def pe_copy_layout(machine=X64):
    """File layout != memory layout (FileAlignment 0x200), BSS tail in .data, no relocations."""
    return build_pe([
        Section(".text", 0x1000, 0x800, 0x400, 0x800, CODE),
        Section(".data", 0x2000, 0x1800, 0xC00, 0x400, DATA),
    ], machine=machine, entry=0x1010, size_of_image=0x3800)


def pe_with_relocs(machine=X64, image_base=0x140000000):
    data = bytearray(0x400)
    for off in (0x10, 0x18, 0x100):
        struct.pack_into("<Q", data, off, image_base + 0x1000 + off)
    struct.pack_into("<I", data, 0x20, (image_base + 0x1234) & 0xFFFFFFFF)
    table = reloc_table([
        (0x2000, [(REL_DIR64, 0x10), (REL_DIR64, 0x18), (REL_HIGHLOW, 0x20), (REL_ABSOLUTE, 0)]),
        (0x2000, [(REL_DIR64, 0x100)]),
        (0x1000, [(REL_DIR64, 0x7F8)]),
    ])
    return build_pe([
        Section(".text", 0x1000, 0x800, 0x400, 0x800, CODE),
        Section(".data", 0x2000, 0x1000, 0xC00, 0x400, DATA, bytes(data)),
        Section(".reloc", 0x3000, len(table), 0x1000, 0x200, RELOC, table),
    ], machine=machine, image_base=image_base, entry=0x1004, dirs={5: (0x3000, len(table))})


def pe_in_place(machine=ARM64, pad=False, with_relocs=True):
    """FileAlignment == SectionAlignment: the file already is the memory layout."""
    table = reloc_table([(0x2000, [(REL_DIR64, 0x0), (REL_DIR64, 0x8), (REL_HIGHLOW, 0x40)])])
    sections = [
        Section(".text", 0x1000, 0x1000, 0x1000, 0x1000, CODE),
        Section(".data", 0x2000, 0x2000, 0x2000, 0x1000, DATA),  # 0x1000 of BSS
    ]
    dirs = {}
    if with_relocs:
        sections.append(Section(".reloc", 0x4000, len(table), 0x4000, 0x200, RELOC, table))
        dirs = {5: (0x4000, len(table))}
    return build_pe(sections, machine=machine, image_base=0xFFFF800000000000 if machine == ARM64 else 0x140000000,
                    falign=0x1000, size_of_headers=0x1000, dirs=dirs, pad_to_image=pad)


def pe_bzimage_like():
    """32-byte section and file alignment, as x86 bzImages have."""
    table = reloc_table([(0x400, [(REL_ABSOLUTE, 0)])])
    return build_pe([
        Section(".setup", 0x200, 0x200, 0x200, 0x200, CODE),
        Section(".reloc", 0x400, 0x20, 0x400, 0x20, RELOC, table),
        Section(".compat", 0x420, 0x20, 0x420, 0x20, RELOC),
        Section(".text", 0x440, 0x1000, 0x440, 0x1000, CODE),
        Section(".bss", 0x1440, 0x800, 0, 0, DATA),
    ], salign=0x20, falign=0x20, size_of_headers=0x200, entry=0x500, size_of_image=0x2000,
        dirs={5: (0x400, len(table))})


def pe_arm64_64k():
    """arm64 Image alignment: 64 KiB sections."""
    return build_pe([
        Section(".text", 0x10000, 0x2000, 0x1000, 0x2000, CODE),
        Section(".data", 0x20000, 0x1000, 0x3000, 0x800, DATA),
    ], machine=ARM64, salign=0x10000, falign=0x1000, size_of_headers=0x1000)


def pe_many_sections(n=12, headers=0x800):
    sections = []
    raw = headers
    for i in range(n):
        va = align_up(headers, 0x1000) + 0x1000 * i
        if i % 4 == 3:
            sections.append(Section(".bss%d" % i, va, 0x300, 0, 0, DATA))  # no raw data
        elif i % 4 == 2:
            sections.append(Section(".empty%d" % i, va, 0, 0, 0, RODATA))  # no memory
        else:
            sections.append(Section(".s%d" % i, va, 0x180, raw, 0x200, CODE if i % 2 == 0 else DATA))
            raw += 0x200
    return build_pe(sections, size_of_headers=headers)


def pe_wx_shared_page():
    """Code and writable data on one page (only 512-byte aligned): W^X impossible."""
    return build_pe([
        Section(".text", 0x200, 0x200, 0x200, 0x200, CODE),
        Section(".data", 0x400, 0x200, 0x400, 0x200, DATA),
    ], salign=0x200, falign=0x200, size_of_headers=0x200)


def pe_adjacent_code():
    """Two code sections sharing a page, then data on its own pages."""
    return build_pe([
        Section(".text", 0x1000, 0x300, 0x400, 0x300, CODE),
        Section(".text2", 0x1400, 0x1000, 0x800, 0x300, CODE),  # runs on into the next page
        Section(".rdata", 0x2800, 0x100, 0xC00, 0x100, RODATA),
        Section(".data", 0x4000, 0x200, 0xE00, 0x200, DATA),
    ], salign=0x200, falign=0x200)


def pe_rwx():
    return build_pe([Section(".text", 0x1000, 0x1000, 0x400, 0x1000, RWX)])


def pe_bad_relocs():
    """Malformed relocation tables; relocate must refuse each without touching the image."""
    out = {}
    base = [
        Section(".text", 0x1000, 0x800, 0x400, 0x800, CODE),
        Section(".data", 0x2000, 0x1000, 0xC00, 0x400, DATA),
    ]

    def image(name, table, directory=None):
        secs = base + [Section(".reloc", 0x3000, len(table), 0x1000, 0x200, RELOC, table)]
        out[name] = build_pe(secs, dirs={5: directory or (0x3000, len(table))})

    image("pe-reloc-into-table", reloc_table([(0x3000, [(REL_DIR64, 0x0)])]))
    image("pe-reloc-past-image", reloc_table([(0x3000, [(REL_DIR64, 0xFFC)])]))
    image("pe-reloc-odd-block", raw_block(0x2000, 11, [0xA000, 0xA008]))
    image("pe-reloc-short-block", raw_block(0x2000, 4, [0xA000, 0xA008]))
    image("pe-reloc-unknown-type", reloc_table([(0x2000, [(5, 0x10)])]))
    image("pe-reloc-block-past-table", raw_block(0x2000, 0x40, [0xA000, 0xA008]))
    image("pe-reloc-dir-past-image", reloc_table([(0x2000, [(REL_DIR64, 0)])]), (0x3000, 0x10000))
    image("pe-reloc-into-headers", reloc_table([(0x0, [(REL_DIR64, 0x88), (REL_HIGHLOW, 0xC0)])]))
    image("pe-reloc-highlow-past-image", reloc_table([(0x3000, [(REL_HIGHLOW, 0xFFE)])]))
    image("pe-reloc-highlow-into-table", reloc_table([(0x3000, [(REL_HIGHLOW, 0x4)])]))
    return out


def pe_seeds():
    seeds = {
        "pe-x64-copy": pe_copy_layout(X64),
        "pe-arm64-copy": pe_copy_layout(ARM64),
        "pe-x64-relocs": pe_with_relocs(X64),
        "pe-arm64-relocs": pe_with_relocs(ARM64, 0xFFFF800010000000),
        "pe-riscv64-copy": pe_copy_layout(RISCV64),
        "pe-riscv64-relocs": pe_with_relocs(RISCV64),
        "pe-arm64-in-place": pe_in_place(ARM64),
        "pe-x64-in-place": pe_in_place(X64),
        "pe-x64-in-place-norelocs": pe_in_place(X64, with_relocs=False),
        "pe-arm64-loaded": pe_in_place(ARM64, pad=True),
        "pe-bzimage-like": pe_bzimage_like(),
        "pe-arm64-64k": pe_arm64_64k(),
        "pe-many-sections": pe_many_sections(),
        # A multi-profile UKI: systemd 258 allows 120 sections by default.
        "pe-120-sections": pe_many_sections(120, headers=0x2000),
        "pe-wx-shared-page": pe_wx_shared_page(),
        "pe-adjacent-code": pe_adjacent_code(),
        "pe-rwx": pe_rwx(),
        "pe-no-sections": build_pe([], size_of_image=0x1000),
        "pe-entry-in-data": build_pe([Section(".text", 0x1000, 0x200, 0x400, 0x200, CODE),
                                      Section(".data", 0x2000, 0x200, 0x600, 0x200, DATA)], entry=0x2000),
        "pe-overlapping": build_pe([Section(".text", 0x1000, 0x1000, 0x400, 0x200, CODE),
                                    Section(".data", 0x1800, 0x200, 0x600, 0x200, DATA)]),
        "pe-pe32": build_pe([Section(".text", 0x1000, 0x200, 0x400, 0x200, CODE)], optional_magic=0x10B),
        "pe-few-directories": build_pe([Section(".text", 0x1000, 0x200, 0x400, 0x200, CODE)], ndirs=6),
        "pe-shared-raw-data": build_pe([Section(".text", 0x1000, 0x200, 0x400, 0x200, CODE),
                                        Section(".alias", 0x2000, 0x200, 0x400, 0x200, RODATA)]),
    }
    seeds.update(pe_bad_relocs())
    full = seeds["pe-x64-relocs"]
    for n in (0x3C, 0x40, 0x98, 0x200, 0x3FF, 0x1100):
        seeds["pe-x64-relocs-truncated-%x" % n] = full[:n]
    return seeds


# --- zboot -----------------------------------------------------------------------------------

def zstd_frame(n, seed=1):
    """Bytes that start like a zstd frame; the parsers never decompress them."""
    x = seed
    body = bytearray()
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        body.append(x >> 16 & 0xFF)
    return b"\x28\xb5\x2f\xfd" + bytes(body)


def set_zboot_header(image, payload_offset, payload_size, codec=b"zstd", magic=LINUX_PE_MAGIC):
    f = bytearray(image)
    f[4:0x3C] = bytes(0x38)
    f[4:8] = b"zimg"
    struct.pack_into("<II", f, 8, payload_offset, payload_size)
    f[0x18:0x18 + len(codec)] = codec
    struct.pack_into("<I", f, 0x38, magic)
    return bytes(f)


def zboot_image(frame_size=0x100, decompressed=0x10000, codec=b"zstd", in_place=True, trailer=True):
    """A zuki-style zboot image: stub sections plus .payload holding frame + le32 size."""
    frame = zstd_frame(frame_size)
    stored = frame + (struct.pack("<I", decompressed) if trailer else b"")
    if in_place:
        sections = [
            Section(".text", 0x1000, 0x1000, 0x1000, 0x1000, CODE),
            Section(".data", 0x2000, 0x800, 0x2000, 0x1000, DATA),
            Section(".payload", 0x3000, len(stored), 0x3000, align_up(len(stored), 0x1000), RODATA, stored),
        ]
        image = build_pe(sections, falign=0x1000, size_of_headers=0x1000)
        offset = 0x3000
    else:
        sections = [
            Section(".text", 0x1000, 0x800, 0x400, 0x800, CODE),
            Section(".payload", 0x2000, len(stored), 0xC00, align_up(len(stored), 0x200), RODATA, stored),
        ]
        image = build_pe(sections)
        offset = 0xC00
    return set_zboot_header(image, offset, frame_size, codec)


def zboot_seeds():
    good = zboot_image()
    seeds = {
        "zboot-zstd": good,
        "zboot-zstd22": zboot_image(codec=b"zstd22"),
        "zboot-gzip": zboot_image(codec=b"gzip", trailer=False),
        "zboot-lzma": zboot_image(codec=b"lzma"),
        "zboot-copy-layout": zboot_image(in_place=False),
        "zboot-loaded": build_pe_padded(zboot_image()),
        "zboot-size-zero": zboot_image(decompressed=0),
        "zboot-size-over-limit": zboot_image(decompressed=0xFFFFFFFF),
        "zboot-payload-outside-sections": set_zboot_header(good + zstd_frame(0x40) + b"\0\0\1\0", len(good), 0x41),
        "zboot-payload-past-end": set_zboot_header(good, 0x3000, 0x2000),
        "zboot-header-only": good[:0x40],
        "zboot-bad-magic": set_zboot_header(good, 0x3000, 0x100, magic=0),
        "zboot-codec-unterminated": set_zboot_header(good, 0x3000, 0x100, codec=b"z" * 32),
        "zboot-codec-unprintable": set_zboot_header(good, 0x3000, 0x100, codec=b"zs\x01d"),
        "zboot-zero-offset": set_zboot_header(good, 0, 0x100),
        "zboot-not-pe": set_zboot_header(bytes(0x200), 0x40, 0x10)[:0x200].replace(b"\0\0", b"MZ", 1),
        # objcopy rewrote the MS-DOS header: found through .payload.
        "zboot-header-rewritten": good[:4] + bytes(0x38) + good[0x3C:],
    }
    return seeds


def build_pe_padded(image):
    """The file zero-padded to its SizeOfImage (what a loaded in-place image looks like)."""
    lfanew = struct.unpack_from("<I", image, 0x3C)[0]
    size = struct.unpack_from("<I", image, lfanew + 24 + 56)[0]
    return image + bytes(max(0, size - len(image)))


# --- UKIs ------------------------------------------------------------------------------------

def uki_image(parts, loaded=False, machine=X64):
    """parts: [(name, bytes or (vsize, bytes))]; a .text with the stub code comes first."""
    sections = [Section(".text", 0x1000, 0x1000, 0x1000, 0x1000, CODE)]
    va = 0x2000
    for name, data in parts:
        if isinstance(data, tuple):
            vsize, data = data
        else:
            vsize = len(data)
        raw_size = align_up(len(data), 0x200) if data else 0
        sections.append(Section(name, va, vsize, va if raw_size else 0, raw_size, RODATA, data))
        va += align_up(max(vsize, raw_size, 1), 0x1000)
    return build_pe(sections, machine=machine, falign=0x200, salign=0x1000, size_of_headers=0x1000,
                    pad_to_image=loaded)


UKI_BASE = [
    (".osrel", b"ID=zuki\nVERSION_ID=1\n"),
    (".cmdline", b"console=ttyS0 root=/dev/vda rw  quiet\n"),
    (".uname", b"6.1.0-50-amd64"),
    (".sbat", b"sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"),
    (".pcrsig", b'{"sha256":[{"pcrs":[11],"pkfp":"00","pol":"00","sig":"00"}]}'),
    (".pcrpkey", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
    (".linux", b"MZ" + bytes(0x3E) + b"kernel"),
    (".initrd", b"070701" + bytes(0x20)),
    (".ucode", b"\x01\x00\x00\x00"),
    (".splash", b"BM"),
    (".dtb", b"\xd0\x0d\xfe\xed"),
]

UKI_PROFILES = [
    (".profile", b"ID=one\nTITLE=Profile one\n"),
    (".cmdline", b"console=ttyS0 \xc3\xa9\xe2\x82\xac\tsingle\n"),
    (".profile", b"ID=two\n"),
    (".cmdline", b"@2 \x01\x7fquiet "),
    (".dtbauto", b"\xd0\x0d\xfe\xed\x01"),
    (".dtbauto", b"\xd0\x0d\xfe\xed\x02"),
    (".hwids", b"hwid"),
    (".efifw", b"fw"),
    (".profile", b"ID=three\n"),
    (".osrel", (0, b"")),  # VirtualSize 0: does not hide the base's .osrel
]


def uki_seeds():
    multi = uki_image(UKI_BASE + UKI_PROFILES)
    single = uki_image(UKI_BASE)
    seeds = {}
    for p in (0, 1, 2, 3, 7, 255):
        seeds["uki-multi-profile-%d" % p] = bytes([p]) + multi
    seeds["uki-single-profile-0"] = b"\0" + single
    seeds["uki-single-profile-1"] = b"\1" + single
    seeds["uki-arm64-loaded"] = b"\1" + uki_image(UKI_BASE + UKI_PROFILES, loaded=True, machine=ARM64)
    seeds["uki-duplicate-base"] = b"\0" + uki_image(UKI_BASE + [(".cmdline", b"again")])
    seeds["uki-duplicate-profile"] = b"\1" + uki_image(UKI_BASE + [(".profile", b"ID=a"), (".uname", b"x"),
                                                                   (".uname", b"y")])
    seeds["uki-vsize-exceeds-raw"] = b"\0" + uki_image([(".linux", b"k"), (".osrel", (0x400, b"ID=x"))])
    seeds["uki-no-linux"] = b"\0" + uki_image([(".osrel", b"ID=x"), (".cmdline", b"quiet")])
    seeds["uki-zero-vsize-base"] = b"\0" + uki_image([(".linux", (0, b"")), (".cmdline", b"x")])
    seeds["uki-selector-cmdline"] = b"\0" + uki_image([(".linux", b"k"), (".cmdline", b"@12 rest of it")])
    seeds["uki-selector-overflow"] = b"\0" + "@4294967296 x".encode("utf-16-le")
    seeds["uki-selector-max"] = b"\0" + "@4294967295".encode("utf-16-le")
    return seeds


# --- hwids (.hwids sections, devicetrees, SMBIOS tables, UKIs with .dtbauto) -----------------

def hwids_section(devices):
    """ukify's layout: one 28-byte entry per (type, chid bytes_le, name, compatible), an end entry, strings."""
    strings = sorted({s for _, _, name, comp in devices for s in (name, comp)})
    base = (len(devices) + 1) * 28
    offsets, blob = {}, b""
    for s in strings:
        offsets[s] = base + len(blob)
        blob += s.encode() + b"\0"
    out = b""
    for kind, chid, name, comp in devices:
        out += struct.pack("<I", kind << 28 | 28) + chid + struct.pack("<II", offsets[name], offsets[comp])
    return out + bytes(28) + blob


def fdt(compatible, extra_node=True):
    """A flattened devicetree (big-endian): root with model and compatible, one child node."""
    strings = b"model\0compatible\0"
    def prop(off, value):
        pad = value + bytes(-len(value) % 4)
        return struct.pack(">III", 3, len(value), off) + pad
    st = struct.pack(">II", 1, 0) + prop(0, b"test\0") + prop(6, b"".join(c + b"\0" for c in compatible))
    if extra_node:
        st += struct.pack(">I", 1) + b"cpu\0" + struct.pack(">I", 2)
    st += struct.pack(">II", 2, 9)
    off_struct = 40 + 16
    off_strings = off_struct + len(st)
    total = off_strings + len(strings)
    head = struct.pack(">10I", 0xD00DFEED, total, off_struct, off_strings, 40, 17, 16, 0, len(strings), len(st))
    return head + bytes(16) + st + strings


def smbios_table(manufacturer=b"Acme Corp", with_bios=True):
    def structure(kind, formatted, strings):
        body = struct.pack("<BBH", kind, 4 + len(formatted), kind) + formatted
        return body + (b"".join(s + b"\0" for s in strings) + b"\0" if strings else b"\0\0")
    t = b""
    if with_bios:
        t += structure(0, bytes([1, 2, 0, 0xE8, 3, 0]) + bytes(10) + bytes([5, 0x1A, 0xFF, 0xFF]), [b"BIOS", b"1.0"])
    t += structure(1, bytes([1, 2, 0, 0]) + bytes(16) + bytes([6, 3, 4]), [manufacturer, b"Widget", b"SKU", b"Family"])
    t += structure(2, bytes([1, 2, 0, 0]), [b"Board Co", b"B-1"])
    t += structure(3, bytes([1, 0x0A, 0, 0, 0]), [manufacturer])
    return t + structure(127, b"", [])


def hwids_seeds():
    chid_a = bytes(range(16))
    chid_b = bytes(range(16, 32))
    sec = hwids_section([(1, chid_a, "Device A", "acme,a"), (1, chid_b, "Device B", "acme,b"),
                         (2, chid_a, "Firmware", "fw-1")])
    seeds = {
        "hwids-section": b"\0" + sec,
        "hwids-bad-type": b"\0" + struct.pack("<I", 3 << 28 | 28) + sec[4:],
        "hwids-offset-out": b"\0" + sec[:24] + struct.pack("<I", len(sec)) + sec[28:],
        "hwids-no-nul": b"\0" + sec[:-1],
        "hwids-empty": b"\0" + bytes(28),
        "fdt-root": b"\1" + fdt([b"acme,a", b"acme,soc"]),
        "fdt-no-child": b"\1" + fdt([b"acme,b"], extra_node=False),
        "fdt-truncated": b"\1" + fdt([b"acme,a"])[:60],
        "smbios-full": b"\2" + smbios_table(),
        "smbios-no-bios": b"\2" + smbios_table(with_bios=False),
        "smbios-spaces": b"\2" + smbios_table(b"  00Acme Corp  "),
        "smbios-truncated": b"\2" + smbios_table()[:40],
    }
    uki = uki_image([(".linux", b"k"), (".dtbauto", fdt([b"acme,x"])), (".dtbauto", fdt([b"acme,a"])),
                     (".hwids", sec), (".profile", b"ID=p"), (".dtbauto", fdt([b"acme,b"])),
                     (".hwids", hwids_section([(1, chid_a, "P", "acme,b")]))])
    seeds["uki-dtbauto-hwids"] = b"\3" + uki
    seeds["uki-dtbauto-firmware"] = b"\7" + uki
    return seeds


# --- text ------------------------------------------------------------------------------------

TEXT = {
    "text-ascii": b"console=ttyS0 root=/dev/vda rw quiet",
    "text-blanks": b"  \t\n root=/dev/sda1\t\tquiet \r\n\x7f",
    "text-controls": b"a\x01b\x1fc\x7fd\x00e",
    "text-two-byte": "café über naïve".encode(),
    "text-three-byte": "€ ∑ 日本語 \ufeff \uffff".encode(),
    "text-four-byte": "😀 𝄞 \U0010ffff".encode(),
    "text-lone-continuation": b"a\x80b\xbfc",
    "text-truncated": b"abc\xe2\x82",
    "text-truncated-4": b"\xf0\x9f\x98",
    "text-overlong": b"\xc0\xaf \xe0\x80\xaf \xf0\x80\x80\xaf \xc1\xbf",
    "text-surrogates": b"\xed\xa0\x80 \xed\xbf\xbf \xed\x9f\xbf",
    "text-past-max": b"\xf4\x90\x80\x80 \xf5\x80\x80\x80 \xf8\x88\x80\x80\x80",
    "text-invalid-leads": bytes(range(0xF5, 0x100)) + b"\xc2",
    "text-utf16": "@1 quiet".encode("utf-16-le"),
    "text-utf16-controls": "\t a\u0001b \u00a0 \u2028 ".encode("utf-16-le"),
    "text-empty": b"",
    "text-only-blanks": b" \t\n\x7f ",
}


# --- cpio ------------------------------------------------------------------------------------

def cpio_input(entries, first_inode=1, cut=0x40):
    """entries: [(op, permissions, path, data)] in the harness's encoding."""
    out = struct.pack("<IH", first_inode, cut)
    for op, perm, path, data in entries:
        out += struct.pack("<BHB", op, perm, len(path)) + path
        if (op & 3) in (0, 2):
            out += struct.pack("<H", len(data)) + data
    return out


def cpio_seeds():
    extra = [
        (1, 0o755, b".extra", b""),
        (0, 0o444, b".extra/profile", b"ID=one\n"),
        (0, 0o444, b".extra/os-release", b"ID=zuki\nVERSION_ID=1\n"),
        (0, 0o444, b".extra/tpm2-pcr-signature.json", b'{"sha256":[]}'),
        (0, 0o444, b".extra/tpm2-pcr-public-key.pem", b"-----BEGIN PUBLIC KEY-----\n"),
    ]
    return {
        "cpio-extra": cpio_input(extra),
        "cpio-extra-tight": cpio_input(extra, cut=0x1F3),
        "cpio-inode-base": cpio_input(extra[:2], first_inode=0xFFFFFFFE, cut=7),
        "cpio-empty": cpio_input([]),
        "cpio-long-path": cpio_input([(0x80, 0o644, b"x" * 200, b"d"), (0x81, 0o755, b"y" * 255, b"")]),
        "cpio-odd-sizes": cpio_input([(0, 0o7777, b"a", b"1"), (0, 0o600, b"bc", b"12"), (0, 0o600, b"def", b"123"),
                                      (0, 0o600, b"", b"")]),
        "cpio-finish-early": cpio_input([(3, 0, b"", b""), (0, 0o644, b"after", b"x")]),
        "cpio-nul-in-path": cpio_input([(0, 0o644, b"a\0b", b"data")]),
        "cpio-big-file": cpio_input([(0, 0o644, b"big", bytes(range(256)) * 16)], cut=0x300),
    }


# --- kaslr -----------------------------------------------------------------------------------

CONV = 0x00  # harness: type byte without bit 7 is EfiConventionalMemory
MIRROR, SP, HOTPLUG, WB = 1, 2, 4, 8


def kaslr_input(size, align_log2, regions, max_address=0, seed=0x12345678, flags=1):
    out = struct.pack("<QBQIB", size, align_log2, max_address, seed, flags)
    for start, pages, type_, attr in regions:
        out += struct.pack("<QQBB", start, pages, type_, attr)
    return out


def kaslr_seeds():
    mib = 1 << 20
    ovmf = [
        (0x0, 0xA0, CONV, WB),
        (0x100000, 0x700, CONV, WB),
        (0x800000, 0x8, 0x80 | 10, WB),  # ACPI NVS
        (0x1000000, 0x3E000, CONV, WB),
        (0x40000000, 0x100, 0x80 | 4, WB),  # boot services data
        (0x100000000, 0x40000, CONV, WB | SP),
        (0x200000000, 0x40000, CONV, WB | HOTPLUG),
        (0x300000000, 0x80000, CONV, WB),
    ]
    return {
        "kaslr-ovmf-2m": kaslr_input(32 * mib, 21, ovmf),
        "kaslr-ovmf-64k": kaslr_input(40 * mib + 0x1234, 16, ovmf, seed=0xFFFFFFFF),
        "kaslr-below-4g": kaslr_input(16 * mib, 21, ovmf, max_address=0xFFFFFFFF, flags=0),
        "kaslr-mirrored": kaslr_input(16 * mib, 21, ovmf + [(0x400000000, 0x10000, CONV, WB | MIRROR)]),
        "kaslr-mirrored-too-small": kaslr_input(16 * mib, 21, ovmf + [(0x400000000, 0x10, CONV, WB | MIRROR)]),
        "kaslr-top-of-memory": kaslr_input(2 * mib, 21, [((1 << 64) - (1 << 30), 1 << 18, CONV, WB)]),
        "kaslr-wrapping-region": kaslr_input(0x1000, 12, [((1 << 64) - 0x1000, 2, CONV, WB), (0x1000, 1, CONV, 0)]),
        "kaslr-whole-space": kaslr_input(0x1000, 12, [(0, 1 << 52, CONV, WB)]),
        "kaslr-bad-alignment": kaslr_input(0x1000, 11, ovmf),
        "kaslr-zero-size": kaslr_input(0, 21, ovmf),
        "kaslr-size-in-pages": kaslr_input(0x2000, 21, ovmf, flags=3),
        "kaslr-huge-alignment": kaslr_input(0x1000, 63, [(1 << 63, 1, CONV, 0), (0, 0x10, CONV, 0)]),
        "kaslr-many-regions": kaslr_input(0x3000, 12, [(0x10000 * i, 1 + i % 5, CONV if i % 3 else 0x83, WB)
                                                       for i in range(64)], seed=0x9E3779B9),
        "kaslr-empty-map": kaslr_input(0x1000, 12, []),
    }


# --- x86 ------------------------------------------------------------------------------------

def x86_setup_header(init_size=0x3F97000, relocatable=1, version=0x20F):
    h = bytearray(0x26C - 0x1F1)
    def put(off, fmt, *v):
        struct.pack_into(fmt, h, off - 0x1F1, *v)
    put(0x200, "<BB", 0xEB, 0x6A)
    put(0x202, "<I", 0x53726448)
    put(0x206, "<H", version)
    put(0x230, "<I", 0x200000)
    put(0x234, "<B", relocatable)
    put(0x236, "<H", 0x7F)
    put(0x238, "<I", 2047)
    put(0x258, "<Q", 0x1000000)
    put(0x260, "<I", init_size)
    return bytes(h)


def x86_section(segments=((0, 0x18E6498, 1), (0x1A00000, 0x642000, 2)), entry=0xC43, image=58 << 20,
                relocs=16, header=None):
    header = header or x86_setup_header()
    out = b"zukix86\0" + struct.pack("<IIQQQQQII", 1, 64, 0x1000000, image, image, relocs, entry, len(segments),
                                        len(header))
    for off, size, flags in segments:
        out += struct.pack("<QQII", off, size, flags, 0)
    return out + header


def x86_relocs(r32, inv, r64, image_size=0x100, delta=0x200):
    words = [0] + r64[::-1] + [0] + inv[::-1] + [0] + r32[::-1]
    return bytes([1]) + struct.pack("<HI", image_size, delta) + struct.pack("<%dI" % len(words), *words)


def x86_seeds():
    at = lambda off: 0x81000000 + off
    desc = lambda t, start, pages, attr=0: struct.pack("<IIQQQQQ", t, 0, start, 0, pages, attr, 0)
    ovmf_map = b"".join([desc(3, 0, 0xA0), desc(7, 0xA0000, 0x60), desc(0, 0x100000, 0x10), desc(1, 0x110000, 0x10),
                         desc(7, 0x120000, 0x10, 0x40000), desc(9, 0x130000, 1), desc(10, 0x131000, 1),
                         desc(6, 0x132000, 2), desc(15, 0x134000, 1), desc(14, 0x200000, 0x100)])
    spec = (b"Spec ID Event03\0" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, 2) + struct.pack("<HHHH", 4, 20, 11, 32) + b"\0")
    first = struct.pack("<II20sI", 0, 3, bytes(20), len(spec)) + spec
    ev = lambda pcr, n: (struct.pack("<III", pcr, 13, 2) + struct.pack("<H", 4) + bytes(20) + struct.pack("<H", 11)
                         + bytes(32) + struct.pack("<I", n) + bytes(n))
    return {
        "x86-section-debian": bytes([0]) + x86_section(),
        "x86-section-one-segment": bytes([0]) + x86_section(segments=((0, 0x100000, 1),), image=0x100000,
                                                            header=x86_setup_header(init_size=0x200000)),
        "x86-section-not-relocatable": bytes([0]) + x86_section(header=x86_setup_header(relocatable=0)),
        "x86-relocs-each-kind": x86_relocs([at(0x10)], [at(0x20)], [at(0x30)]),
        "x86-relocs-many": x86_relocs([at(4 * i) for i in range(16)], [at(0x80)], [at(0x88), at(0xF8)]),
        "x86-relocs-outside": x86_relocs([at(0x100)], [], []),
        "x86-relocs-zero-delta": x86_relocs([at(0x10)], [], [], delta=0),
        "x86-e820-ovmf": bytes([2, 6]) + ovmf_map,
        "x86-e820-40-byte": bytes([2, 5]) + b"".join(d[:40] for d in [desc(7, 0, 16), desc(7, 0x10000, 16)]),
        "x86-tcg-log": bytes([3]) + first + ev(9, 13) + ev(11, 0),
        "x86-tcg-spec-only": bytes([3]) + first,
    }


# --- dictionaries ----------------------------------------------------------------------------

def dp_node(node_type, subtype, data=b""):
    return struct.pack("<BBH", node_type, subtype, 4 + len(data)) + data


def devpath_seeds():
    """EFI device paths as OVMF's HTTP boot, a disk, a loaded file and iPXE make them, and broken ones."""
    end = dp_node(0x7F, 0xFF)
    net = (dp_node(2, 1, struct.pack("<II", 0x0A0341D0, 0)) + dp_node(1, 1, b"\0\1")
           + dp_node(3, 11, b"\x52" * 33) + dp_node(3, 12, bytes(23)))
    uri = dp_node(3, 24, b"http://10.0.2.2:8080/uki.efi\0")
    disk = dp_node(2, 1, struct.pack("<II", 0x0A0341D0, 0)) + dp_node(4, 1, bytes(38))
    gpt = dp_node(4, 1, struct.pack("<IQQ", 1, 2048, 204800) + bytes(range(16)) + b"\2\2")

    def name(text):
        return dp_node(4, 4, text.encode("utf-16-le") + b"\0\0")
    return {
        "devpath-http": net + uri + end,
        "devpath-uri-no-nul": net + dp_node(3, 24, b"https://boot.example/a.efi") + end,
        "devpath-uri-empty": net + dp_node(3, 24) + end,
        "devpath-disk": disk + end,
        "devpath-short-node": net[:2] + b"\3\0" + net[4:] + uri + end,
        "devpath-overlong-uri": net + struct.pack("<BBH", 3, 24, 0xFFFF) + b"http://x/",
        "devpath-unterminated": net + uri,
        "devpath-after-end": disk + end + uri,
        "devpath-esp-gpt": disk[:12] + gpt + end,
        "devpath-file": name("\\EFI\\Linux\\uki.efi") + end,
        "devpath-file-split": name("\\EFI\\Linux") + name("uki.efi") + end,
    }


def dict_entry(value):
    return '"' + "".join(chr(b) if 0x20 <= b < 0x7F and b not in (0x22, 0x5C) else "\\x%02x" % b
                         for b in value) + '"'


SECTION_NAMES = [b".linux", b".osrel", b".cmdline", b".initrd", b".ucode", b".splash", b".dtb", b".uname",
                 b".sbat", b".pcrsig", b".pcrpkey", b".profile", b".dtbauto", b".hwids", b".efifw"]
PE_TOKENS = [b"MZ", b"PE\0\0", b"\x0b\x02", b"\x64\x86", b"\x64\xaa", b".text", b".data", b".reloc",
             b"\x00\x10\x00\x00", b"\x00\x02\x00\x00", b"\x20\x00\x00\x60", b"\x40\x00\x00\xc0", b"\x00\xa0",
             b"\x00\x30"]
def pcrsig_seeds():
    """Selector byte (0 .pcrsig, 1 token, 2 public key, 3 base64 text), then the data."""
    here = os.path.dirname(os.path.abspath(__file__))
    pem = open(os.path.join(here, "..", "test", "uki", "pcr-public-key.pem"), "rb").read()
    body = b"".join(l for l in pem.splitlines() if l and not l.startswith(b"-----"))
    der = base64.b64decode(body)
    hexa = "".join("%02x" % (i * 7 & 0xff) for i in range(32))
    sig = base64.b64encode(bytes(range(256))).decode()
    entry = {"pcrs": [11], "pkfp": hexa, "pol": hexa[::-1], "sig": sig}
    pcrsig = {"sha1": [entry], "sha256": [entry, dict(entry, pcrs=[7, 11])], "sha512": []}
    token = {"type": "systemd-tpm2", "keyslots": ["0"], "tpm2-blob": "AAAA", "tpm2-pcrs": [7],
             "tpm2-pcr-bank": "sha256", "tpm2-primary-alg": "ecc", "tpm2-policy-hash": hexa, "tpm2-pin": False,
             "tpm2_pubkey_pcrs": [11], "tpm2_pubkey": base64.b64encode(pem).decode()}
    return {
        "pcrsig-full": b"\0" + json.dumps(pcrsig).encode(),
        "pcrsig-compact": b"\0" + json.dumps(pcrsig, separators=(",", ":")).encode(),
        "pcrsig-partial-entry": b"\0" + b'{"sha256":[{"pcrs":[11],"pol":"00"}]}',
        "token-full": b"\1" + json.dumps(token).encode(),
        "token-minimal": b"\1" + b'{"tpm2-pcrs":[],"tpm2-blob":"","tpm2-policy-hash":""}',
        "key-pem": b"\2" + pem,
        "key-der": b"\2" + der,
        "base64-text": b"\3" + base64.b64encode(der),
        "base64-padded": b"\3" + b"Zg==",
    }


DICTS = {
    "pcrsig": [b'"pcrs"', b'"pkfp"', b'"pol"', b'"sig"', b'"sha256"', b'"tpm2_pubkey"', b'"tpm2_pubkey_pcrs"',
               b'"tpm2-pcrs"', b'"tpm2-blob"', b'"tpm2-policy-hash"', b'"tpm2-pin"', b'"tpm2-pcr-bank"',
               b"-----BEGIN PUBLIC KEY-----\n", b"-----END PUBLIC KEY-----\n", b"-----BEGIN CERTIFICATE-----\n",
               b"\x30\x82", b"=="],
    "pe": PE_TOKENS,
    "wx": PE_TOKENS + [b"\xe0\x00\x00\xe0", b"\x00\x00\x00\x80"],
    "zboot": PE_TOKENS + [b"zimg", b"zstd", b"zstd22", b"gzip", b"\xcd\x23\x82\x81", b"\x28\xb5\x2f\xfd",
                          b".payload"],
    "uki": PE_TOKENS + SECTION_NAMES + [b"@1 ", b"@0"],
    "text": [b"\xef\xbf\xbd", b"\xf0\x9f\x98\x80", b"\xed\xa0\x80", b"\xf4\x8f\xbf\xbf", b"\xe0\xa0\x80", b"\xc2\x80",
             b"\x7f", b"\t", b"@1 "],
    "cpio": [b"TRAILER!!!", b".extra/", b"\x00\x10"],
    "x86": [b"zukix86\0", b"HdrS", b"\x00\x00\x00\x81", b"\xff\xff\xff\xff", b"Spec ID Event03\0",
            b"\x0b\x00", b"\x00\x00\x20\x00", b"\x00\x00\x00\x01"],
    "devpath": [b"\x03\x18", b"\x7f\xff\x04\x00", b"http://", b"\x03\x0c", b"\x04\x01"],
    "kaslr": [b"\x07", b"\x00\x00\x01\x00", b"\x00\x00\x04\x00", b"\x00\x00\x10\x00", b"\xff\xff\xff\xff"],
    "hwids": PE_TOKENS + [b".dtbauto", b".hwids\0\0", b"\x1c\x00\x00\x10", b"\x1c\x00\x00\x20", b"\xd0\x0d\xfe\xed",
                          b"compatible\0", b"\x00\x00\x00\x01", b"\x00\x00\x00\x03", b"\x7f\x04\x00\x00"],
}


# --- bug reproducers -------------------------------------------------------------------------

def reproducers():
    """Inputs that once crashed a harness: {target: {name: bytes}}. Kept as generated cases."""
    return {}


# --- real inputs -----------------------------------------------------------------------------

def real_inputs():
    """{target: {name: bytes}} from the kernels and stubs tools/setup.sh downloads."""
    out = {"pe": {}, "wx": {}, "zboot": {}, "uki": {}}
    cache = "/var/cache/zuki"
    kernels = os.path.join(cache, "kernels")
    if os.path.isdir(kernels):
        for d in sorted(os.listdir(kernels)):
            if not d.startswith("bookworm-"):
                continue
            path = os.path.join(kernels, d, "vmlinuz")
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    head = f.read(64 * 1024)
                out["pe"]["real-" + d] = head
                out["wx"]["real-" + d] = head
    assets = os.path.join(cache, "assets.env")
    if os.path.isfile(assets):
        with open(assets) as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                value = value.strip("'\"")
                if key.startswith("ZUKI_SYSTEMD_STUB_") and os.path.isfile(value):
                    with open(value, "rb") as s:
                        stub = s.read(128 * 1024)
                    name = "real-" + os.path.basename(value)
                    out["pe"][name] = stub
                    out["wx"][name] = stub
                    out["uki"][name] = b"\0" + stub
                    out["zboot"][name] = stub
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    real = "--no-real-inputs" not in sys.argv
    if len(args) != 1:
        sys.exit(__doc__)
    out = args[0]
    os.makedirs(out, exist_ok=True)

    pe = pe_seeds()
    corpora = {
        "pe": dict(pe),
        "wx": dict(pe),
        "zboot": zboot_seeds(),
        "uki": uki_seeds(),
        "text": dict(TEXT),
        "cpio": cpio_seeds(),
        "kaslr": kaslr_seeds(),
        "pcrsig": pcrsig_seeds(),
        "x86": x86_seeds(),
        "hwids": hwids_seeds(),
        "devpath": devpath_seeds(),
    }
    # Every zboot image is a PE too, and UKIs are PEs once the profile byte is dropped.
    for name, image in corpora["zboot"].items():
        corpora["pe"][name] = image
    for name, data in corpora["uki"].items():
        corpora["pe"][name] = data[1:]
        corpora["wx"][name] = data[1:]
    corpora["text"].update({"text-from-" + k: v for k, v in UKI_BASE + UKI_PROFILES if isinstance(v, bytes)})
    for target, seeds in reproducers().items():
        corpora[target].update(seeds)
    if real:
        for target, seeds in real_inputs().items():
            corpora[target].update(seeds)

    for target in TARGETS:
        d = os.path.join(out, target)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        for name, data in sorted(corpora[target].items()):
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        with open(os.path.join(out, target + ".dict"), "w") as f:
            for i, token in enumerate(DICTS.get(target, [])):
                f.write("kw%d=%s\n" % (i, dict_entry(token)))
    # A stamp whose mtime tells the build system the corpus is fresh.
    with open(os.path.join(out, "stamp"), "w") as f:
        f.write("".join("%s %d\n" % (t, len(corpora[t])) for t in TARGETS))


if __name__ == "__main__":
    main()
