#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""QEMU boot timings for bench/x86-boot.sh: boots UKIs one at a time under OVMF (TCG) and records,
on the host's monotonic clock, when each serial line of interest arrived.

    x86-boot-qemu.py --code OVMF_CODE --vars OVMF_VARS --append CMDLINE --rounds N
                     [--timeout S] [--logs DIR] --json OUT NAME=UKI...

Every round boots every UKI once, in the order given, rotated by one per round (A B C, B C A,
C A B, ...) so that a neighbour's load or a frequency change does not always hit the same variant.
QEMU's serial port is a pipe read here as the bytes come, so a line's time is when its last byte
reached the host (the guest's 8250 has no baud-rate delay in QEMU). The guest is stopped as soon
as init reports "ZUKI-GUEST: booted".
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import benchlib

# (key, pattern): the first serial line matching the pattern gives the key's time.
MARKERS: list[tuple[str, re.Pattern[str]]] = [
    # OVMF's boot manager starts the image given with -kernel.
    ("firmware_starts_image", re.compile(r"BdsDxe: starting Boot")),
    ("stub_first_line", re.compile(r"^zuki: ")),
    # zuki generic path: the kernel's own EFI stub is about to run.
    ("stub_handover", re.compile(r"^zuki: (Starting the kernel's EFI stub|Exiting boot services, entering)")),
    # The kernel's EFI stub (stock and generic paths only).
    ("kernel_efi_stub", re.compile(r"^EFI stub: ")),
    # The kernel's own decompressor (arch/x86/boot/compressed/misc.c), printed through the early
    # serial console when the command line has earlyprintk=serial: stock and generic paths only.
    ("decompressor_start", re.compile(r"Decompressing Linux")),
    ("decompressor_done", re.compile(r"Booting the kernel")),
    ("linux_version", re.compile(r"Linux version ")),
    ("init_booted", re.compile(r"^ZUKI-GUEST: booted")),
]
CYCLES = re.compile(r"^zuki: .*\((\d+) cycles after stub entry\)")
GUEST_TSC = re.compile(r"tsc: Detected ([0-9.]+) MHz")
ESCAPES = re.compile(r"\x1b\[[0-9;?=>]*[A-Za-z]|\x1b[()][A-Z0-9]")


@dataclass
class Boot:
    name: str
    round: int
    ok: bool = False
    why: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    stub_cycles: int | None = None
    guest_tsc_mhz: float | None = None


def boot_once(name: str, rnd: int, uki: Path, args: argparse.Namespace, tmp: Path) -> Boot:
    result = Boot(name, rnd)
    vars_copy = tmp / "vars.fd"
    shutil.copyfile(args.vars, vars_copy)
    cmd = ["qemu-system-x86_64", "-machine", "q35", "-m", "1024", "-smp", "1", "-nodefaults",
           "-display", "none", "-no-reboot", "-net", "none",
           "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={args.code}",
           "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}",
           "-serial", "stdio", "-kernel", str(uki), "-append", args.append]
    log_lines: list[str] = []
    start = time.monotonic()

    def on_line(t: float, raw: str) -> bool:
        now = t - start
        line = ESCAPES.sub("", raw).replace("\r", "")
        log_lines.append(f"{now:9.3f} {line}")
        for key, pattern in MARKERS:
            if key not in result.seconds and pattern.search(line):
                result.seconds[key] = now
        m = CYCLES.search(line)
        if m:
            result.stub_cycles = int(m.group(1))
        m = GUEST_TSC.search(line)
        if m and result.guest_tsc_mhz is None:
            result.guest_tsc_mhz = float(m.group(1))
        return "init_booted" in result.seconds

    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        why = benchlib.stream_lines(proc, on_line, start + args.timeout)
        result.ok = why == ""
        if why == "timed out":
            result.why = f"timed out after {args.timeout} s"
        elif why:
            result.why = f"QEMU {why}"
    finally:
        proc.kill()
        _, err = proc.communicate()
    if not result.ok and err.strip():
        result.why += ": " + err.decode("utf-8", "replace").strip().splitlines()[-1]
    if args.logs:
        args.logs.mkdir(parents=True, exist_ok=True)
        (args.logs / f"{name}-round{rnd}.log").write_text("\n".join(log_lines) + "\n")
    return result


def main() -> int:
    p = benchlib.boot_arguments(__doc__)
    p.add_argument("--code", type=Path, required=True)
    p.add_argument("--vars", type=Path, required=True)
    p.add_argument("--append", required=True)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--timeout", type=float, default=240)
    args = p.parse_args()
    variants = benchlib.variants(args.ukis, "x86-boot-qemu")
    if variants is None:
        return 2
    boots: list[Boot] = []
    with tempfile.TemporaryDirectory(prefix="zuki-x86-boot-") as tmp:
        for rnd in range(args.rounds):
            for k in range(len(variants)):
                name, uki = variants[(rnd + k) % len(variants)]
                b = boot_once(name, rnd, uki, args, Path(tmp))
                shown = " ".join(f"{k}={v:.2f}" for k, v in sorted(b.seconds.items(), key=lambda kv: kv[1]))
                print(f"bench: round {rnd + 1}/{args.rounds} {name}: "
                      f"{'ok' if b.ok else 'FAILED (' + b.why + ')'} {shown}", file=sys.stderr)
                boots.append(b)
    args.json.write_text(json.dumps([b.__dict__ for b in boots], indent=1) + "\n")
    return 0 if all(b.ok for b in boots) else 1


if __name__ == "__main__":
    sys.exit(main())
