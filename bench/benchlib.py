# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the boot benchmarks (x86-boot-qemu.py, arm64-uki-qemu.py, esp-extras-qemu.py) share."""

from __future__ import annotations

import argparse
import os
import re
import selectors
import subprocess
import sys
import time
from pathlib import Path


def boot_arguments(doc: str) -> argparse.ArgumentParser:
    """The options every boot benchmark takes; the caller adds its own and NAME=UKI."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--logs", type=Path)
    p.add_argument("--json", type=Path, required=True)
    p.add_argument("ukis", nargs="+", metavar="NAME=UKI")
    return p


def variants(specs: list[str], prog: str) -> list[tuple[str, Path]] | None:
    """NAME=UKI arguments as (name, path); None (after one error line) when one is malformed."""
    out = []
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not Path(path).is_file():
            print(f"{prog}: error: want NAME=UKI with an existing file, not {spec}", file=sys.stderr)
            return None
        out.append((name, Path(path)))
    return out


# The boot.sh line printed right before QEMU starts (after the ESP image is made and swtpm runs).
BOOT_SH_START = re.compile(r"^boot\.sh: \S*qemu-system-")  # a path for trixie's riscv64 QEMU


def stream_lines(proc: subprocess.Popen, on_line, deadline: float | None = None) -> str:
    """Reads proc's stdout as it comes and calls on_line(monotonic time, line) for every line,
    until on_line returns True ("" is returned then), the pipe closes, proc exits or the monotonic
    deadline passes (a reason is returned for those)."""
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    pending = b""
    while True:
        wait = 1.0
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timed out"
            wait = min(left, wait)
        if not sel.select(timeout=wait):
            if proc.poll() is not None:
                return f"exited with status {proc.returncode}"
            continue
        chunk = os.read(proc.stdout.fileno(), 65536)
        now = time.monotonic()
        if not chunk:
            return "closed its output"
        pending += chunk
        *done, pending = re.split(rb"\r?\n", pending)
        for raw in done:
            if on_line(now, raw.decode("utf-8", "replace")):
                return ""


def boot_sh_timed(cmd: list[str], markers: list[tuple[str, re.Pattern[str]]],
                  extra: list[tuple[str, re.Pattern[str]]] | None = None) -> dict:
    """Runs test/qemu/boot.sh (cmd) and times its serial log on the host's monotonic clock.

    Times count from boot.sh's "boot.sh: qemu-system-..." line (QEMU's start); boot.sh streams the
    serial log with tail -s 0.2, so line times have ~0.2 s granularity. Returns {"ok", "why",
    "rc", "setup_s", "seconds": {key: first matching line's time}, "captures": {key: group 1 of
    the first line matching an extra pattern}, "lines": the time-stamped log}."""
    res: dict = {"ok": False, "why": "", "seconds": {}, "captures": {}, "lines": []}
    t_launch = time.monotonic()
    t0 = None
    lines: list[str] = res["lines"]

    def on_line(now: float, line: str) -> bool:
        nonlocal t0
        if t0 is None and BOOT_SH_START.search(line):
            t0 = now
            res["setup_s"] = now - t_launch
        rel = now - t0 if t0 is not None else 0.0
        lines.append(f"{rel:9.3f} {line}")
        if t0 is None:
            return False
        for key, pat in markers:
            if key not in res["seconds"] and pat.search(line):
                res["seconds"][key] = rel
        for key, pat in extra or []:
            m = pat.search(line)
            if m and key not in res["captures"]:
                res["captures"][key] = m.group(1)
        return False

    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        stream_lines(proc, on_line)
    finally:
        res["rc"] = proc.wait()
    return res
