#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes a firmware TPM event log and the PCR files a kernel would show, for a fake root.

Written from the TCG PC Client Platform Firmware Profile (10.2: a SHA-1 format event carrying
"Spec ID Event03", then TCG_PCR_EVENT2 records with SHA-1 and SHA-256 digests) and from
systemd-stub's measurements (PCR 11: for every present UKI section in canonical order except
.pcrsig, an EV_IPL over the name with its NUL, then one over VirtualSize bytes of the section;
the description is the section name in UTF-16 with NUL). Nothing here uses zuki.

  write-event-log.py UKI ROOT [--alter SECTION [--tpm-too]] [--live-differs PCR] [--phase WORD]...
                     [--loader-options TEXT]

--alter SECTION: the logged SHA-256 digest of SECTION's content event is another one; the TPM
  (the PCR files) still gets the right one, unless --tpm-too (as if other contents had booted).
--live-differs PCR: that PCR's file holds another value than the log replays to.
--phase WORD: systemd-pcrphase words extended into PCR 11 after the stub (live value only).
--loader-options TEXT: a boot loader passed TEXT as load options and measured it into PCR 12
  after loading the UKI, before starting it (as systemd-boot < 255 does: EV_IPL, UTF-16 with its
  NUL), and the stub,
  using them as the command line, measured them into PCR 12 again after its PCR 11 events.
Prints the SHA-256 digest of each stub event as "EVENT pcr name kind digest".
"""
import argparse
import hashlib
import os
import struct

import pefile

CANONICAL = [".linux", ".osrel", ".cmdline", ".initrd", ".ucode", ".splash", ".dtb", ".uname", ".sbat",
             ".pcrsig", ".pcrpkey", ".profile", ".dtbauto", ".hwids", ".efifw"]
EV_NO_ACTION, EV_SEPARATOR, EV_S_CRTM_VERSION, EV_IPL = 0x3, 0x4, 0x8, 0xD
EV_EFI_BOOT_SERVICES_APPLICATION = 0x80000003
ALG_SHA1, ALG_SHA256 = 0x0004, 0x000B


def utf16z(text):
    return (text + "\0").encode("utf-16-le")


def spec_id_event():
    algs = [(ALG_SHA1, 20), (ALG_SHA256, 32)]
    body = b"Spec ID Event03\0" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, len(algs))
    body += b"".join(struct.pack("<HH", a, s) for a, s in algs) + b"\0"
    # TCG_PCClientPCREvent: PCRIndex, EventType, SHA-1 digest (zero), EventSize, Event
    return struct.pack("<II", 0, EV_NO_ACTION) + bytes(20) + struct.pack("<I", len(body)) + body


def event2(pcr, etype, sha1, sha256, data):
    digests = struct.pack("<H", ALG_SHA1) + sha1 + struct.pack("<H", ALG_SHA256) + sha256
    return struct.pack("<III", pcr, etype, 2) + digests + struct.pack("<I", len(data)) + data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("uki")
    ap.add_argument("root")
    ap.add_argument("--alter")
    ap.add_argument("--tpm-too", action="store_true")
    ap.add_argument("--live-differs", type=int)
    ap.add_argument("--phase", action="append", default=[])
    ap.add_argument("--loader-options")
    a = ap.parse_args()

    pe = pefile.PE(a.uki, fast_load=True)
    sections = {}
    for s in pe.sections:
        name = s.Name.rstrip(b"\0").decode()
        if name in CANONICAL and name not in sections:  # profile 0: the first of each name
            sections[name] = s.get_data()[: s.Misc_VirtualSize]

    # (pcr, type, hashed bytes, event data, logged sha256 override)
    events = [(0, EV_NO_ACTION, None, b"StartupLocality\0\x00", None),
              (0, EV_S_CRTM_VERSION, utf16z("1.0"), utf16z("1.0"), None),
              (7, EV_SEPARATOR, bytes(4), bytes(4), None),
              (4, EV_EFI_BOOT_SERVICES_APPLICATION, b"pretend authenticode hash", b"\0" * 32, None)]
    # systemd-boot 252: LoadImage (the firmware's PCR 4 event above), then the options into PCR 12,
    # then StartImage (seen in a bookworm guest's log).
    if a.loader_options is not None:
        events.append((12, EV_IPL, utf16z(a.loader_options), utf16z(a.loader_options), None))
    for name in CANONICAL:
        if name not in sections or name == ".pcrsig":
            continue
        events.append((11, EV_IPL, name.encode() + b"\0", utf16z(name), None))
        wrong = hashlib.sha256(b"not " + name.encode()).digest() if a.alter == name else None
        events.append((11, EV_IPL, sections[name], utf16z(name), wrong))

    if a.loader_options is not None:
        events.append((12, EV_IPL, utf16z(a.loader_options), utf16z(a.loader_options), None))

    log = spec_id_event()
    tpm = {n: bytes(32) for n in (0, 4, 7, 11, 12)}
    for pcr, etype, hashed, data, logged in events:
        if etype == EV_NO_ACTION:
            log += event2(pcr, etype, bytes(20), bytes(32), data)
            continue
        d1, d256 = hashlib.sha1(hashed).digest(), hashlib.sha256(hashed).digest()
        log += event2(pcr, etype, d1, logged or d256, data)
        tpm[pcr] = hashlib.sha256(tpm[pcr] + (logged if logged and a.tpm_too else d256)).digest()
        if pcr == 11:
            print(f"EVENT 11 {data.decode('utf-16-le').rstrip(chr(0))} {d256.hex()}")
    for word in a.phase:
        tpm[11] = hashlib.sha256(tpm[11] + hashlib.sha256(word.encode()).digest()).digest()
    if a.live_differs is not None:
        tpm[a.live_differs] = hashlib.sha256(b"something else").digest()

    sec = os.path.join(a.root, "sys/kernel/security/tpm0")
    os.makedirs(sec, exist_ok=True)
    with open(os.path.join(sec, "binary_bios_measurements"), "wb") as f:
        f.write(log)
    pcrdir = os.path.join(a.root, "sys/class/tpm/tpm0/pcr-sha256")
    os.makedirs(pcrdir, exist_ok=True)
    for n, v in tpm.items():
        with open(os.path.join(pcrdir, str(n)), "w") as f:
            f.write(v.hex().upper() + "\n")


main()
