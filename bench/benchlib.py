# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the boot benchmarks (x86-boot-qemu.py, arm64-uki-qemu.py) share."""

from __future__ import annotations

import argparse
import sys
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
