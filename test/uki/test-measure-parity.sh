#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# `zuki measure` against systemd-measure (the distribution's, 252) for the sections systemd-measure
# knows: every bank and phase path it reports must have the same PCR 11 value.
#   test-measure-parity.sh ZUKI LINUX INITRD OSREL
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$1 linux=$2 initrd=$3 osrel=$4
measure=${ZUKI_SYSTEMD_MEASURE:-/usr/lib/systemd/systemd-measure}
[[ -x $measure ]] || skip "no systemd-measure at $measure"
make_tmp
printf 'console=ttyS0 panic=-1 zuki.parity=1' >"$tmp/cmdline"

files=(--linux="$linux" --osrel="$osrel" --cmdline="$tmp/cmdline" --initrd="$initrd")
banks=(sha1 sha256 sha384 sha512)
"$measure" calculate "${files[@]}" "${banks[@]/#/--bank=}" --json=short >"$tmp/systemd.json" || fail "systemd-measure"
"$measure" calculate "${files[@]}" --bank=sha256 --phase=: --json=short >"$tmp/systemd-bare.json" || exit 1
"$zuki" measure "${files[@]}" "${banks[@]/#/--bank=}" --json >"$tmp/zuki.json" || fail "zuki measure"
"$zuki" measure "${files[@]}" --bank=sha256 --phase=: --json >"$tmp/zuki-bare.json" || exit 1

/usr/bin/python3 - "$tmp" <<'PY'
import json, sys
d = sys.argv[1]
def entries(name):
    j = json.load(open(f"{d}/{name}"))
    return {(bank, e.get("phase", ""), e["pcr"]): e["hash"].lower() for bank, es in j.items() for e in es}
failures = 0
for a, b in (("systemd.json", "zuki.json"), ("systemd-bare.json", "zuki-bare.json")):
    s, z = entries(a), entries(b)
    if not s:
        print(f"FAIL: {a} is empty"); failures += 1
    for key, value in sorted(s.items()):
        ok = z.get(key) == value
        failures += not ok
        print(f"{'ok' if ok else 'MISMATCH'}: {key[0]} pcr {key[2]} phase '{key[1]}': systemd {value} zuki {z.get(key)}")
print("PASS" if failures == 0 else f"FAIL: {failures} mismatches")
sys.exit(failures != 0)
PY
