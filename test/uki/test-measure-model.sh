#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# `zuki measure`, and the PCR policies `zuki build` signs into .pcrsig, against test/lib/pcrmodel.py
# (written from systemd's rules, not from zuki) for UKIs zuki builds: one profile and two, with
# and without load options, several phase paths, the SHA-1 and SHA-256 banks. Host only: this is
# the quick check that the predictor has not drifted from the rules; the QEMU uki tests compare
# the stub in a guest with the same model.
#   test-measure-model.sh ZUKI STUB LINUX INITRD
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$(realpath "$1") stub=$(realpath "$2") linux=$(realpath "$3") initrd=$(realpath "$4")
need_tool openssl openssl
make_tmp
cd "$tmp" || exit 1

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem 2>/dev/null || fail "openssl genpkey"
printf 'ID=zuki-test\nNAME="zuki model test"\n' >os-release
build() { # OUT ARGS...
        local out=$1
        shift
        "$zuki" build --stub "$stub" --linux "$linux" --output "$out" "$@" >/dev/null || fail "zuki build $out"
}
build single.efi --initrd "$initrd" --cmdline "console=ttyS0 zuki.model=1" --os-release @os-release \
        --pcr-private-key key.pem --pcr-banks sha256,sha1 --phases enter-initrd,enter-initrd:leave-initrd,sysinit
build minimal.efi --no-os-release --uname ''
build profiles.efi --initrd "$initrd" --os-release @os-release --profile ID=a --profile-cmdline "console=ttyS0 a" \
        --profile ID=b --profile-cmdline "console=ttyS0 b"
"$ZUKI_SYSTEM_PYTHON" "$ZUKI_TEST_DIR/policy/uki-tool.py" section single.efi .pcrsig pcrsig.json || fail "no .pcrsig"

# measure UKI [zuki measure options...]: zuki's prediction as JSON in measure-N.json
n=0
cases=()
measure() {
        n=$((n + 1))
        "$zuki" measure --json --bank sha256 --bank sha1 --phase=: --phase=enter-initrd \
                --phase=enter-initrd:leave-initrd:sysinit:ready "$@" >"measure-$n.json" || fail "zuki measure $*"
        cases+=("measure-$n.json" "$(printf '%q ' "$@")")
}
measure single.efi
measure single.efi --load-options "console=ttyS0 zuki.model=override"
measure minimal.efi --load-options "console=ttyS0"
measure profiles.efi --profile 0
measure profiles.efi --profile 1
measure profiles.efi --profile 1 --load-options "console=ttyS0 zuki.model=p1"

"$ZUKI_SYSTEM_PYTHON" - "$ZUKI_TEST_DIR/lib" pcrsig.json enter-initrd,enter-initrd:leave-initrd,sysinit "${cases[@]}" <<'PY'
import json, shlex, sys
sys.path.insert(0, sys.argv[1])
import pcrmodel

pcrsig_path, signed_phases, rest = sys.argv[2], sys.argv[3].split(","), sys.argv[4:]
failures = checks = 0
def check(what, got, want):
    global failures, checks
    checks += 1
    if got == want:
        print(f"ok: {what}")
    else:
        failures += 1
        print(f"FAIL: {what}: zuki {got}, model {want}")

for path, args in zip(rest[0::2], rest[1::2]):
    words = shlex.split(args)
    uki, profile, options = words[0], 0, None
    if "--profile" in words:
        profile = int(words[words.index("--profile") + 1])
    if "--load-options" in words:
        options = words[words.index("--load-options") + 1]
    sections = pcrmodel.read_sections(uki)
    for bank, entries in json.load(open(path)).items():
        pcr11 = pcrmodel.replay(pcrmodel.pcr11_events(sections, profile), bank)
        for e in entries:
            if e["pcr"] == 11:
                want = pcrmodel.after_phases(pcr11, e["phase"], bank).hex()
                check(f"{args}: {bank} PCR 11 after '{e['phase']}'", e["hash"], want)
            else:
                check(f"{args}: {bank} PCR 12", e["hash"], pcrmodel.replay(pcrmodel.pcr12_events(profile, options), bank).hex())
        if (profile or options) and not any(e["pcr"] == 12 for e in entries):
            check(f"{args}: {bank} PCR 12", None, pcrmodel.replay(pcrmodel.pcr12_events(profile, options), bank).hex())

# The policies signed into .pcrsig: one per bank and phase path, PolicyPCR over PCR 11 after it.
sections = pcrmodel.read_sections("single.efi")
signed = json.load(open(pcrsig_path))
for bank in ("sha256", "sha1"):
    pcr11 = pcrmodel.replay(pcrmodel.pcr11_events(sections), bank)
    want = sorted(pcrmodel.policy_pcr([pcrmodel.after_phases(pcr11, p, bank)], [11], bank).hex() for p in signed_phases)
    check(f".pcrsig {bank}: the PolicyPCR digests for {','.join(signed_phases)}",
          sorted(e["pol"] for e in signed.get(bank, [])), want)
print(f"{checks - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
PY
