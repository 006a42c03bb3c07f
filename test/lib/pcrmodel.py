#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What systemd-stub measures for a UKI: the one PCR model every zuki test uses.

Written from systemd's sources and the TPM 2.0 specification, never from zuki's code or output,
so that a test comparing zuki (its stub in a guest, or `zuki measure`) with this model compares
two independent implementations. Run with /usr/bin/python3 (needs python3-pefile).

The rules (systemd src/boot/stub.c, src/boot/measure.c, src/fundamental/uki.h, systemd-measure):
  PCR 11  For each section in canonical order (uki.h, below), .pcrsig excepted, that is present
          and not empty (VirtualSize 0 is absent: systemd src/boot/efi/pe.h PE_SECTION_VECTOR_IS_SET
          is `size != 0`, size being the VirtualSize): extend
          with SHA(name + NUL), then with SHA(VirtualSize bytes of the section as loaded, i.e.
          raw data zero-filled up to VirtualSize). Both are EV_IPL events described by the name.
          Multi-profile UKIs: the sections before the first .profile are the base; profile N is
          the N-th .profile section and the sections after it up to the next .profile. The stub
          measures the base with the selected profile's sections replacing same-named ones.
  PCR 12  Profile number N != 0: an EV_EVENT_TAG event (tag 0x13aed6db) over the decimal number
          as UTF-16LE with its NUL; then, if the command line came from the load options, an
          EV_IPL event over it as UTF-16LE with its NUL.
  phases  systemd-pcrphase extends PCR 11 with SHA(word), no NUL, for each word of a phase path
          "enter-initrd:leave-initrd:..."; empty words (":" alone) extend nothing.
  policy  TPM2_PolicyPCR from an empty policy: H(0^n || TPM_CC_PolicyPCR || TPML_PCR_SELECTION ||
          H(PCR values)), all with the session's hash (SHA-256 for systemd's signed policies).

Command line:
  pcrmodel.py pcr11 UKI [--profile N] [--phase PATH]        PCR 11 (hex), after the phase words
  pcrmodel.py pcr12 [--profile N] [--load-options TEXT]     PCR 12 (hex)
  pcrmodel.py events UKI [--profile N] [--load-options TEXT] [--pcr P] [--phase PATH]
                                                            one event per line: PCR TYPE DIGEST NAME;
                                                            phase words follow as "11 phase DIGEST WORD"
  pcrmodel.py policy PCR11_HEX [--phase PATH]               PolicyPCR digest (hex) for PCR 11 after
                                                            the phase words
  pcrmodel.py json UKI [--profile N] [--load-options TEXT] [--phase PATH]...
                                                            all of the above as one JSON object
Options take --bank sha1|sha256|sha384|sha512 (default sha256).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

# systemd src/fundamental/uki.h, enum UnifiedSection (NOT the order of the UAPI spec text).
CANONICAL_ORDER = (".linux", ".osrel", ".cmdline", ".initrd", ".ucode", ".splash", ".dtb", ".uname",
                   ".sbat", ".pcrsig", ".pcrpkey", ".profile", ".dtbauto", ".hwids", ".efifw")
NOT_MEASURED = frozenset({".pcrsig"})

EV_EVENT_TAG = 0x00000006
EV_IPL = 0x0000000D
# systemd src/boot/measure.h: INITRD_EVENT_TAG_ID etc.; the profile tag.
PROFILE_EVENT_TAG = 0x13AED6DB

TPM_CC_POLICY_PCR = 0x0000017F
TPM_ALG = {"sha1": 0x0004, "sha256": 0x000B, "sha384": 0x000C, "sha512": 0x000D}


@dataclass(frozen=True)
class Section:
    name: str
    data: bytes  # VirtualSize bytes, as the firmware loads them (zero-filled past the raw data)


@dataclass(frozen=True)
class Event:
    pcr: int
    type: int
    data: bytes  # what is hashed
    description: str

    def digest(self, bank: str = "sha256") -> bytes:
        return hashlib.new(bank, self.data).digest()


def read_sections(path: str | Path) -> list[Section]:
    """Every section of the PE file in file order, with its loaded bytes."""
    import pefile  # only here: the hashing rules below work without pefile

    pe = pefile.PE(str(path), fast_load=True)
    raw = pe.__data__
    out = []
    for s in pe.sections:
        size = s.Misc_VirtualSize
        start = s.PointerToRawData
        have = raw[start:start + min(size, s.SizeOfRawData)]
        out.append(Section(s.Name.rstrip(b"\0").decode("ascii", "replace"), bytes(have) + bytes(size - len(have))))
    return out


def profile_count(sections: list[Section]) -> int:
    return sum(1 for s in sections if s.name == ".profile")


def select_profile(sections: list[Section], profile: int = 0) -> dict[str, Section]:
    """The sections the stub measures for PROFILE: the base, overridden by the profile's own."""
    groups: list[list[Section]] = [[]]  # groups[0] is the base, groups[n + 1] profile n
    for s in sections:
        if s.name == ".profile":
            groups.append([])
        groups[-1].append(s)
    if profile < 0 or (len(groups) > 1 and profile >= len(groups) - 1) or (len(groups) == 1 and profile != 0):
        raise ValueError(f"the UKI has no profile {profile}")
    chosen: dict[str, Section] = {}
    for s in groups[0] + (groups[profile + 1] if len(groups) > 1 else []):
        if not s.data:
            # VirtualSize 0: systemd treats the section as absent. An empty section in a profile
            # does not hide the base's section of the same name either.
            continue
        chosen[s.name] = s
    return chosen


def pcr11_events(sections: list[Section], profile: int = 0) -> list[Event]:
    chosen = select_profile(sections, profile)
    events = []
    for name in CANONICAL_ORDER:
        if name in NOT_MEASURED or name not in chosen:
            continue
        events.append(Event(11, EV_IPL, name.encode("ascii") + b"\0", name))
        events.append(Event(11, EV_IPL, chosen[name].data, name))
    return events


def utf16z(text: str) -> bytes:
    return (text + "\0").encode("utf-16-le")


def pcr12_events(profile: int = 0, load_options: str | None = None) -> list[Event]:
    """PROFILE is the number chosen ("@N"); LOAD_OPTIONS the command line the stub used from the
    load options (with any "@N " prefix already removed), None when .cmdline was used."""
    events = []
    if profile:
        events.append(Event(12, EV_EVENT_TAG, utf16z(str(profile)), str(profile)))
    if load_options is not None:
        events.append(Event(12, EV_IPL, utf16z(load_options), load_options))
    return events


def extend(value: bytes, digest: bytes, bank: str = "sha256") -> bytes:
    return hashlib.new(bank, value + digest).digest()


def replay(events: list[Event], bank: str = "sha256") -> bytes:
    value = bytes(hashlib.new(bank).digest_size)
    for e in events:
        value = extend(value, e.digest(bank), bank)
    return value


def phase_words(path: str) -> list[str]:
    return [w for w in path.split(":") if w]


def after_phases(value: bytes, path: str, bank: str = "sha256") -> bytes:
    for word in phase_words(path):
        value = extend(value, hashlib.new(bank, word.encode()).digest(), bank)
    return value


def pcr_selection(pcrs: list[int], bank: str = "sha256") -> bytes:
    """TPML_PCR_SELECTION with one TPMS_PCR_SELECTION (TPM 2.0 Part 2, 10.6), big-endian."""
    bitmap = bytearray(3)
    for p in pcrs:
        bitmap[p // 8] |= 1 << (p % 8)
    return struct.pack(">IHB", 1, TPM_ALG[bank], len(bitmap)) + bytes(bitmap)


def policy_pcr(values: list[bytes], pcrs: list[int], bank: str = "sha256", session: str = "sha256") -> bytes:
    """TPM2_PolicyPCR (TPM 2.0 Part 3, 23.7) from an empty policy digest; VALUES in PCR order."""
    h = lambda b: hashlib.new(session, b).digest()
    start = bytes(hashlib.new(session).digest_size)
    return h(start + struct.pack(">I", TPM_CC_POLICY_PCR) + pcr_selection(pcrs, bank) + h(b"".join(values)))


def expected(uki: str | Path, profile: int = 0, load_options: str | None = None,
             phases: tuple[str, ...] = (":",), bank: str = "sha256") -> dict:
    events = pcr11_events(read_sections(uki), profile) + pcr12_events(profile, load_options)
    pcr11 = replay([e for e in events if e.pcr == 11], bank)
    return {
        "bank": bank,
        "pcr11": pcr11.hex(),
        "pcr12": replay([e for e in events if e.pcr == 12], bank).hex(),
        "phases": {p: {"pcr11": after_phases(pcr11, p, bank).hex(),
                       "policy": policy_pcr([after_phases(pcr11, p, bank)], [11], bank).hex()} for p in phases},
        "events": [{"pcr": e.pcr, "type": e.type, "digest": e.digest(bank).hex(), "description": e.description}
                   for e in events],
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="pcrmodel.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("verb", choices=["pcr11", "pcr12", "events", "policy", "json"])
    ap.add_argument("arg", nargs="?", help="the UKI, or for policy the PCR 11 value in hex")
    ap.add_argument("--profile", type=int, default=0)
    ap.add_argument("--load-options")
    ap.add_argument("--phase", action="append", default=[])
    ap.add_argument("--pcr", type=int)
    ap.add_argument("--bank", default="sha256", choices=sorted(TPM_ALG))
    a = ap.parse_args(argv)
    if a.verb != "pcr12" and not a.arg:
        ap.error(f"{a.verb} needs an argument")
    phase = a.phase[-1] if a.phase else ":"
    if a.verb == "pcr11":
        print(after_phases(replay(pcr11_events(read_sections(a.arg), a.profile), a.bank), phase, a.bank).hex())
    elif a.verb == "pcr12":
        print(replay(pcr12_events(a.profile, a.load_options), a.bank).hex())
    elif a.verb == "events":
        events = pcr11_events(read_sections(a.arg), a.profile) + pcr12_events(a.profile, a.load_options)
        for e in events:
            if a.pcr is None or e.pcr == a.pcr:
                print(f"{e.pcr} {e.type:#x} {e.digest(a.bank).hex()} {e.description}")
        for word in phase_words(phase) if a.pcr in (None, 11) else []:
            print(f"11 phase {hashlib.new(a.bank, word.encode()).hexdigest()} {word}")
    elif a.verb == "policy":
        print(policy_pcr([after_phases(bytes.fromhex(a.arg), phase, a.bank)], [11], a.bank).hex())
    else:
        json.dump(expected(a.arg, a.profile, a.load_options, tuple(a.phase or [":"]), a.bank), sys.stdout, indent=1)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
