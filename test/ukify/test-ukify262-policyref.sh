#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ukify 262's signed policies with policy references (--policyref, --sign-initrd-pcrs: one more
# policy for enter-initrd only, reference "initrd") through zuki-ukify: once with zuki's
# systemd-measure shim (zuki measure), once with sid's real systemd-measure 262 in --tools. Both
# builds measure the same sections (the same zuki UKI apart from .pcrsig), so the .pcrsig ukify
# writes must be byte for byte the same, with the references and banks asked for.
#   test-ukify262-policyref.sh ZUKI_UKIFY_PLUGIN KERNEL OS_RELEASE
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
plugin=$1 kernel=$2 osrel=$3
load_assets
[[ -n ${ZUKI_UKIFY262:-} && -e ${ZUKI_UKIFY262:-} ]] || skip "no ukify 262 (ZUKI_UKIFY262; run tools/setup.sh)"
[[ -n ${ZUKI_SYSTEMD_MEASURE262:-} && -x ${ZUKI_SYSTEMD_MEASURE262:-} ]] ||
        skip "no systemd-measure 262 (ZUKI_SYSTEMD_MEASURE262; run tools/setup.sh)"
export ZUKI_UKIFY=$ZUKI_UKIFY262
make_tmp
cd "$tmp" || exit 1
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out pcr.key 2>/dev/null
openssl pkey -in pcr.key -pubout -out pcr.pub
mkdir sd-tools
ln -s "$ZUKI_SYSTEMD_MEASURE262" sd-tools/systemd-measure

args=(build --linux "$kernel" --cmdline "console=ttyS0 zuki.policyref=1" --os-release "@$osrel"
        --pcr-private-key pcr.key --pcr-public-key pcr.pub --policyref base --sign-initrd-pcrs
        --pcr-banks sha256,sha384)
ZUKI_UKIFY_MEASURE=zuki "$plugin" "${args[@]}" --output shim.efi 2>shim.err ||
        { cat shim.err; fail "zuki-ukify with zuki's systemd-measure failed"; }
grep -q -- '--policyref=initrd' shim.err || fail "ukify did not ask for the initrd policy: $(grep -- '+ ' shim.err)"
ZUKI_UKIFY_MEASURE=system "$plugin" "${args[@]}" --tools sd-tools --output real.efi 2>real.err ||
        { cat real.err; fail "zuki-ukify with systemd-measure 262 failed"; }
grep -q "sd-tools/systemd-measure sign" real.err || fail "ukify did not run systemd-measure 262: $(grep -- '+ ' real.err)"
for u in shim real; do
        "$ZUKI_BIN" extract --section .pcrsig --output "$u.pcrsig" "$u.efi" >/dev/null || fail "no .pcrsig in $u.efi"
done
"$ZUKI_PYTHON" - shim.pcrsig real.pcrsig <<'PY' || fail ".pcrsig content"
import json, sys
texts = [open(p, "rb").read() for p in sys.argv[1:]]
j = json.loads(texts[1].rstrip(b"\0"))
refs = sorted({(bank, e.get("ref")) for bank, es in j.items() for e in es})
print("systemd-measure 262's .pcrsig:", {b: len(es) for b, es in j.items()}, "refs", refs)
ok = refs == [("sha256", "base"), ("sha256", "initrd"), ("sha384", "base"), ("sha384", "initrd")]
print(("ok" if ok else "FAIL") + ": both banks carry the 'base' and the 'initrd' policies")
same = texts[0] == texts[1]
print(("ok" if same else "FAIL") + f": .pcrsig of zuki's shim and of systemd-measure 262 byte for byte equal ({len(texts[1])} bytes)")
sys.exit(0 if ok and same else 1)
PY
"$ZUKI_BIN" check-policy shim.efi >/dev/null || fail "zuki check-policy refuses the UKI"

# No --bank (ukify without --pcr-banks): systemd-measure 262 signs and calculates every bank it
# knows, and so must the shim.
"$ZUKI_BIN" extract --section .linux --output s.linux real.efi >/dev/null &&
        "$ZUKI_BIN" extract --section .osrel --output s.osrel real.efi >/dev/null || fail "zuki extract failed"
shim_measure=$ZUKI_UKIFY_TOOLS/systemd-measure
for verb in sign calculate; do
        extra=()
        [[ $verb == sign ]] && extra=(--private-key=pcr.key --public-key=pcr.pub)
        [[ $verb == calculate ]] && extra=(--json=short)
        "$ZUKI_SYSTEMD_MEASURE262" $verb --linux=s.linux --osrel=s.osrel "${extra[@]}" >real.$verb 2>&1 ||
                fail "systemd-measure 262 $verb failed: $(cat real.$verb)"
        "$ZUKI_PYTHON" "$shim_measure" $verb --linux=s.linux --osrel=s.osrel "${extra[@]}" >shim.$verb 2>&1 ||
                fail "zuki's systemd-measure $verb failed: $(cat shim.$verb)"
        "$ZUKI_PYTHON" - real.$verb shim.$verb <<'PY' || fail "systemd-measure $verb without --bank"
import json, sys
real, shim = (json.load(open(p)) for p in sys.argv[1:])
print("systemd-measure 262 without --bank:", sorted(real))
same = real == shim
print(("ok" if same else "FAIL") + ": zuki's systemd-measure gives the same banks and values")
sys.exit(0 if same else 1)
PY
done
echo PASS
