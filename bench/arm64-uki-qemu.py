#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""QEMU boot timings for bench/arm64-uki.sh: boots arm64 (or riscv64) UKIs one at a time through
test/qemu/boot.sh (TCG, swtpm) and records, on the host's monotonic clock, when serial lines arrived.

    arm64-uki-qemu.py --boot-sh PATH --firmware FW[,FW...] --rounds N [--timeout S] [--logs DIR]
                      [--arch aarch64|riscv64] [--no-tpm] --json OUT NAME=UKI...

riscv64 boots from an ESP (EFI/BOOT/BOOTRISCV64.EFI) under U-Boot or EDK2 with virtio-rng; neither of
Debian's riscv64 U-Boot builds nor its EDK2 RISC-V has a TPM driver, so riscv64 runs take --no-tpm.

For every firmware, every round boots every UKI once, the order rotated by one per round (A B,
B A, ...). AAVMF boots the UKI with -kernel (no -append: the embedded .cmdline is used); U-Boot
(uboot-*) boots it from an ESP as EFI/BOOT/BOOTAA64.EFI. boot.sh prints its QEMU command line
right before it starts QEMU (after it has made the ESP and started swtpm) and then streams the
serial log (tail -s 0.2, so line times have ~0.2 s granularity); times count from that line.
The guest is stopped once init reports "ZUKI-GUEST: booted".
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import benchlib

MARKERS: list[tuple[str, re.Pattern[str]]] = [
    ("stub_first_line", re.compile(r"^zuki: ")),
    ("kernel_efi_stub", re.compile(r"^EFI stub: ")),
    ("linux_version", re.compile(r"Linux version ")),
    ("init_booted", re.compile(r"^ZUKI-GUEST: booted")),
]


def boot_once(name: str, fw: str, rnd: int, uki: Path, args: argparse.Namespace) -> dict:
    cmd = ["bash", str(args.boot_sh), "--arch", args.arch, "--firmware", fw,
           "--timeout", str(args.timeout), "--expect", "ZUKI-GUEST: booted", "--stop-on", "ZUKI-GUEST: booted"]
    cmd += [] if args.no_tpm else ["--tpm"]
    cmd += ["--rng"] if args.arch == "riscv64" else []
    # U-Boot and EDK2 RISC-V boot from the ESP (EDK2 RISC-V takes no QEMU -kernel UKI here).
    esp = fw.startswith("uboot-") or args.arch == "riscv64"
    cmd += ["--esp-image", str(uki)] if esp else ["--kernel", str(uki)]
    r = benchlib.boot_sh_timed(cmd, MARKERS)
    rc, lines = r["rc"], r["lines"]
    res = {"name": name, "firmware": fw, "round": rnd, "ok": False, "why": "", "seconds": r["seconds"]}
    if "setup_s" in r:
        res["setup_s"] = r["setup_s"]
    res["ok"] = rc == 0 and "init_booted" in res["seconds"]
    if not res["ok"]:
        res["why"] = next((l for l in reversed(lines) if "boot.sh:" in l), f"boot.sh exited {rc}")
    if args.logs:
        args.logs.mkdir(parents=True, exist_ok=True)
        (args.logs / f"{name}-{fw}-round{rnd}.log").write_text("\n".join(lines) + "\n")
    return res


def main() -> int:
    p = benchlib.boot_arguments(__doc__)
    p.add_argument("--boot-sh", type=Path, required=True)
    p.add_argument("--firmware", required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--timeout", type=int, default=300)
    p.add_argument("--arch", choices=["aarch64", "riscv64"], default="aarch64")
    p.add_argument("--no-tpm", action="store_true")
    args = p.parse_args()
    variants = benchlib.variants(args.ukis, "arm64-uki-qemu")
    if variants is None:
        return 2
    boots = []
    for fw in args.firmware.split(","):
        for rnd in range(args.rounds):
            for k in range(len(variants)):
                name, uki = variants[(rnd + k) % len(variants)]
                b = boot_once(name, fw, rnd, uki, args)
                shown = " ".join(f"{k}={v:.2f}" for k, v in sorted(b["seconds"].items(), key=lambda kv: kv[1]))
                print(f"bench: {fw} round {rnd + 1}/{args.rounds} {name}: "
                      f"{'ok' if b['ok'] else 'FAILED (' + b['why'] + ')'} {shown}", file=sys.stderr)
                boots.append(b)
    args.json.write_text(json.dumps(boots, indent=1) + "\n")
    return 0 if all(b["ok"] for b in boots) else 1


if __name__ == "__main__":
    sys.exit(main())
