#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Compares two .pcrsig JSON files entry by entry.

  compare-pcrsig.py NAME EXPECTED ACTUAL exact|ecdsa

exact: same banks in the same order, same entries (pcrs, pkfp, pol, sig) in the same order.
ecdsa: the same, except that `sig` may differ (ECDSA is randomised; the caller verifies both).
"""
import json
import sys

name, expected_path, actual_path, mode = sys.argv[1:5]
expected = json.load(open(expected_path))
actual = json.load(open(actual_path))
problems = []
if list(expected) != list(actual):
    problems.append(f"banks {list(expected)} != {list(actual)}")
count = 0
for bank, entries in expected.items():
    got = actual.get(bank, [])
    if len(got) != len(entries):
        problems.append(f"{bank}: {len(entries)} entries expected, {len(got)} found")
    for i, (e, a) in enumerate(zip(entries, got)):
        count += 1
        for field in ("pcrs", "pkfp", "pol", "sig"):
            if field == "sig" and mode == "ecdsa":
                continue
            if e.get(field) != a.get(field):
                problems.append(f"{bank}[{i}].{field}: expected {e.get(field)!r}, got {a.get(field)!r}")
        if set(a) != {"pcrs", "pkfp", "pol", "sig"}:
            problems.append(f"{bank}[{i}]: fields {sorted(a)}")
if count == 0:
    problems.append("no entries at all")
for p in problems:
    print(f"MISMATCH: {name}: {p}")
if not problems:
    print(f"ok: {name}: {count} entries equal ({mode})")
sys.exit(1 if problems else 0)
