#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Self-test of pcrmodel.py: small PE files written here, expectations computed by hand (every
hash chain spelled out below, not through the model's functions), plus systemd-measure 252 as a
second opinion when it is installed.   test-pcrmodel.py [-v]"""
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pcrmodel  # noqa: E402

FILE_ALIGN, SECTION_ALIGN = 0x200, 0x1000


def write_pe(path, sections):
    """A minimal PE32+ image with SECTIONS = [(name, data, virtual_size or None)], in that order."""
    headers = 0x400
    table, body, rva, off = b"", b"", SECTION_ALIGN, headers
    for name, data, vsize in sections:
        raw = data + bytes(-len(data) % FILE_ALIGN)
        vsize = len(data) if vsize is None else vsize
        table += struct.pack("<8sIIIIIIHHI", name.encode(), vsize, rva, len(raw), off if raw else 0, 0, 0, 0, 0,
                             0x40000040)
        body += raw
        off += len(raw)
        rva += max(SECTION_ALIGN, -(-max(vsize, 1) // SECTION_ALIGN) * SECTION_ALIGN)
    dos = b"MZ" + bytes(0x3A) + struct.pack("<I", 0x40)
    coff = struct.pack("<HHIIIHH", 0x8664, len(sections), 0, 0, 0, 240, 0x22)
    opt = struct.pack("<HBBIIIIIQIIHHHHHHIIIIHHQQQQII", 0x20B, 0, 0, 0, 0, 0, 0, 0, 0x140000000, SECTION_ALIGN,
                      FILE_ALIGN, 0, 0, 0, 0, 0, 0, 0, rva, headers, 0, 10, 0, 0x100000, 0x1000, 0x100000, 0x1000, 0,
                      16) + bytes(16 * 8)
    head = dos + b"PE\0\0" + coff + opt + table
    assert len(head) <= headers
    Path(path).write_bytes(head + bytes(headers - len(head)) + body)


def sha(b):
    return hashlib.sha256(b).digest()


def ext(pcr, data):  # one extend of the SHA-256 bank with the digest of DATA
    return sha(pcr + sha(data))


ZERO = bytes(32)


class PcrModel(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def pe(self, sections):
        path = os.path.join(self.dir.name, "uki.efi")
        write_pe(path, sections)
        return path

    def test_canonical_order_and_pcrsig(self):
        # File order .osrel before .linux; systemd measures .linux first. .pcrsig never.
        uki = self.pe([(".osrel", b"ID=x\n", None), (".pcrsig", b"{}", None), (".linux", b"KERNEL", None)])
        want = ext(ext(ext(ext(ZERO, b".linux\0"), b"KERNEL"), b".osrel\0"), b"ID=x\n")
        self.assertEqual(pcrmodel.replay(pcrmodel.pcr11_events(pcrmodel.read_sections(uki))), want)

    def test_empty_section_is_not_measured(self):
        # VirtualSize 0: neither the name nor the (empty) data is measured.
        uki = self.pe([(".linux", b"KERNEL", None), (".cmdline", b"", 0), (".uname", b"6.1", None)])
        want = ext(ext(ext(ext(ZERO, b".linux\0"), b"KERNEL"), b".uname\0"), b"6.1")
        events = pcrmodel.pcr11_events(pcrmodel.read_sections(uki))
        self.assertEqual([e.description for e in events], [".linux", ".linux", ".uname", ".uname"])
        self.assertEqual(pcrmodel.replay(events), want)

    def test_virtual_size_beyond_raw_data_is_zero_filled(self):
        uki = self.pe([(".linux", b"K", 8)])
        want = ext(ext(ZERO, b".linux\0"), b"K" + bytes(7))
        self.assertEqual(pcrmodel.replay(pcrmodel.pcr11_events(pcrmodel.read_sections(uki))), want)

    def test_virtual_size_shorter_than_raw_data_is_cut(self):
        uki = self.pe([(".cmdline", b"console=ttyS0 junk", 13)])
        want = ext(ext(ZERO, b".cmdline\0"), b"console=ttyS0")
        self.assertEqual(pcrmodel.replay(pcrmodel.pcr11_events(pcrmodel.read_sections(uki))), want)

    def test_one_changed_byte_changes_pcr11(self):
        a = pcrmodel.replay(pcrmodel.pcr11_events(pcrmodel.read_sections(self.pe([(".linux", b"KERNEL", None)]))))
        b = pcrmodel.replay(pcrmodel.pcr11_events(pcrmodel.read_sections(self.pe([(".linux", b"KERNEM", None)]))))
        self.assertNotEqual(a, b)

    def test_two_profiles(self):
        uki = self.pe([(".linux", b"KERNEL", None), (".cmdline", b"base", None),
                       (".profile", b"ID=a", None), (".cmdline", b"a", None),
                       (".profile", b"ID=b", None), (".osrel", b"ID=os", None)])
        sections = pcrmodel.read_sections(uki)
        # Profile 0: its .cmdline replaces the base's; canonical order puts .profile after .cmdline.
        p0 = ext(ext(ext(ext(ext(ext(ZERO, b".linux\0"), b"KERNEL"), b".cmdline\0"), b"a"), b".profile\0"), b"ID=a")
        # Profile 1: the base .cmdline stays, its own .osrel comes in.
        p1 = ext(ext(ext(ext(ext(ext(ext(ext(ZERO, b".linux\0"), b"KERNEL"), b".osrel\0"), b"ID=os"),
                                 b".cmdline\0"), b"base"), b".profile\0"), b"ID=b")
        self.assertEqual(pcrmodel.replay(pcrmodel.pcr11_events(sections, 0)), p0)
        self.assertEqual(pcrmodel.replay(pcrmodel.pcr11_events(sections, 1)), p1)
        with self.assertRaises(ValueError):
            pcrmodel.pcr11_events(sections, 2)

    def test_pcr12_profile_tag_then_load_options(self):
        self.assertEqual(pcrmodel.replay(pcrmodel.pcr12_events(0, None)), ZERO)
        events = pcrmodel.pcr12_events(1, "console=ttyS0")
        self.assertEqual([(e.type, e.description) for e in events], [(0x6, "1"), (0xD, "console=ttyS0")])
        want = ext(ext(ZERO, b"1\0\0\0"), "console=ttyS0\0".encode("utf-16-le"))
        self.assertEqual(pcrmodel.replay(events), want)
        # Profile 0 is not measured at all.
        self.assertEqual(pcrmodel.replay(pcrmodel.pcr12_events(0, "x")), ext(ZERO, b"x\0\0\0"))

    def test_phases(self):
        v = sha(b"some PCR")
        self.assertEqual(pcrmodel.after_phases(v, ":"), v)
        self.assertEqual(pcrmodel.after_phases(v, "enter-initrd"), ext(v, b"enter-initrd"))
        self.assertEqual(pcrmodel.after_phases(v, "enter-initrd::leave-initrd"),
                         ext(ext(v, b"enter-initrd"), b"leave-initrd"))

    def test_policy_pcr(self):
        v = sha(b"some PCR")
        # 0^32 || TPM_CC_PolicyPCR || count 1, TPM_ALG_SHA256, sizeofSelect 3, PCR 11 = bit 3 of byte 1.
        want = sha(ZERO + bytes.fromhex("0000017f" "00000001" "000b" "03" "000800") + sha(v))
        self.assertEqual(pcrmodel.policy_pcr([v], [11]), want)

    def test_cli_json(self):
        uki = self.pe([(".linux", b"KERNEL", None)])
        out = subprocess.run([sys.executable, str(Path(pcrmodel.__file__)), "json", uki, "--profile", "0",
                              "--load-options", "x", "--phase", ":", "--phase", "enter-initrd"],
                             capture_output=True, check=True, text=True).stdout
        got = json.loads(out)
        pcr11 = ext(ext(ZERO, b".linux\0"), b"KERNEL")
        self.assertEqual(got["pcr11"], pcr11.hex())
        self.assertEqual(got["pcr12"], ext(ZERO, b"x\0\0\0").hex())
        self.assertEqual(got["phases"]["enter-initrd"]["pcr11"], ext(pcr11, b"enter-initrd").hex())
        self.assertEqual([e["pcr"] for e in got["events"]], [11, 11, 12])

    @unittest.skipUnless(os.access(os.environ.get("ZUKI_SYSTEMD_MEASURE", "/usr/lib/systemd/systemd-measure"),
                                   os.X_OK), "systemd-measure not installed")
    def test_agrees_with_systemd_measure(self):
        files = {".linux": b"KERNEL" * 100, ".osrel": b"ID=x\n", ".cmdline": b"console=ttyS0", ".initrd": b"I" * 513}
        uki = self.pe([(n, d, None) for n, d in files.items()])
        args = []
        for name, data in files.items():
            p = os.path.join(self.dir.name, name[1:])
            Path(p).write_bytes(data)
            args.append(f"--{name[1:]}={p}")
        measure = os.environ.get("ZUKI_SYSTEMD_MEASURE", "/usr/lib/systemd/systemd-measure")
        out = subprocess.run([measure, "calculate", *args, "--bank=sha256", "--phase=:", "--json=short"],
                             capture_output=True, check=True, text=True).stdout
        want = json.loads(out)["sha256"][0]["hash"]
        self.assertEqual(pcrmodel.replay(pcrmodel.pcr11_events(pcrmodel.read_sections(uki))).hex(), want)


if __name__ == "__main__":
    unittest.main()
