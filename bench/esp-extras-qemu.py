#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""QEMU boot timings for bench/esp-extras.sh: boots x86_64 UKIs one at a time from an ESP that also
holds addons, credentials and a sysext, through test/qemu/boot.sh (TCG, bookworm OVMF, swtpm).

    esp-extras-qemu.py --boot-sh PATH --rounds N [--timeout S] [--logs DIR] --json OUT
                       [--esp-file SRC=DEST]... [--want-cmdline WORD]... NAME=UKI...

Every round boots every UKI once, the order rotated by one per round (A B C, B C A, C A B), each
as \\EFI\\BOOT\\BOOTX64.EFI with the same --esp-file list. Times count from QEMU's start (boot.sh's
command line; benchlib.boot_sh_timed). The guest is stopped once init reports
"ZUKI-GUEST: booted". A boot whose kernel command line lacks a --want-cmdline word (an addon's)
counts as failed: the stub did not apply every addon.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import benchlib

MARKERS: list[tuple[str, re.Pattern[str]]] = [
    ("firmware_starts_image", re.compile(r"BdsDxe: starting Boot")),
    ("stub_first_line", re.compile(r"^zuki: ")),
    ("kernel_efi_stub", re.compile(r"^EFI stub: ")),
    ("linux_version", re.compile(r"Linux version ")),
    ("init_booted", re.compile(r"^ZUKI-GUEST: booted")),
]
CAPTURES: list[tuple[str, re.Pattern[str]]] = [
    ("kernel_cmdline", re.compile(r"Kernel command line: (.*)$")),
    # The initrd the kernel got (the UKI's, the addon's, the credentials' and the sysext's cpios).
    ("initrd_kib", re.compile(r"Freeing initrd memory: (\d+)K")),
]


def main() -> int:
    p = benchlib.boot_arguments(__doc__)
    p.add_argument("--boot-sh", type=Path, required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--timeout", type=int, default=300)
    p.add_argument("--esp-file", action="append", default=[])
    p.add_argument("--want-cmdline", action="append", default=[])
    args = p.parse_args()
    variants = benchlib.variants(args.ukis, "esp-extras-qemu")
    if variants is None:
        return 2
    esp = [a for f in args.esp_file for a in ("--esp-file", f)]
    boots = []
    for rnd in range(args.rounds):
        for k in range(len(variants)):
            name, uki = variants[(rnd + k) % len(variants)]
            cmd = ["bash", str(args.boot_sh), "--arch", "x86_64", "--firmware", "bookworm", "--tpm",
                   "--timeout", str(args.timeout), "--expect", "ZUKI-GUEST: booted",
                   "--stop-on", "ZUKI-GUEST: booted", "--esp-image", str(uki), *esp]
            r = benchlib.boot_sh_timed(cmd, MARKERS, CAPTURES)
            lines = r.pop("lines")
            b = {"name": name, "round": rnd, **r}
            b["ok"] = r["rc"] == 0 and "init_booted" in r["seconds"]
            if not b["ok"]:
                b["why"] = next((l for l in reversed(lines) if "boot.sh:" in l), f"boot.sh exited {r['rc']}")
            missing = [w for w in args.want_cmdline if w not in r["captures"].get("kernel_cmdline", "").split()]
            if b["ok"] and missing:
                b["ok"], b["why"] = False, "addon command line words missing: " + " ".join(missing)
            if args.logs:
                args.logs.mkdir(parents=True, exist_ok=True)
                (args.logs / f"{name}-round{rnd}.log").write_text("\n".join(lines) + "\n")
            shown = " ".join(f"{k}={v:.2f}" for k, v in sorted(b["seconds"].items(), key=lambda kv: kv[1]))
            print(f"bench: round {rnd + 1}/{args.rounds} {name}: "
                  f"{'ok' if b['ok'] else 'FAILED (' + b['why'] + ')'} {shown}"
                  f" initrd={r['captures'].get('initrd_kib', '?')}K", file=sys.stderr)
            boots.append(b)
    args.json.write_text(json.dumps(boots, indent=1) + "\n")
    return 0 if all(b["ok"] for b in boots) else 1


if __name__ == "__main__":
    sys.exit(main())
