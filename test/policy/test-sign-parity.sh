#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# `zuki measure --private-key --signature-digest=bank` against `systemd-measure sign` (252) for a 252-era section set
# (.linux .osrel .cmdline .initrd .pcrpkey): the same entries (pcrs, pkfp, pol, sig) per bank, in
# the same order, for the same key, phases and banks. RSA (PKCS#1 v1.5) is deterministic, so the
# whole output must be byte for byte the same; ECDSA is randomised, so for P-256 everything but
# the signature must match and both signatures must verify (openssl). --append is checked against
# two systemd-measure outputs merged.
#   test-sign-parity.sh ZUKI LINUX
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$(realpath "$1") linux=$(realpath "$2")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
measure=${ZUKI_SYSTEMD_MEASURE:-/usr/lib/systemd/systemd-measure}
[[ -x $measure ]] || skip "no systemd-measure at $measure"
need_tool swtpm
make_tmp
cd "$tmp" || exit 1
failures=0

# systemd-measure 252 asks a TPM for the PolicyPCR digest (a trial session); zuki computes it.
swtpm_start "$tmp/tpm" || exit 1

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out rsa4096.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.pem 2>/dev/null
openssl pkey -in rsa2048.pem -pubout -out rsa2048.pub
openssl pkey -in p256.pem -pubout -out p256.pub
printf 'console=ttyS0 zuki.parity=sign' >cmdline
printf 'ID=zuki\nNAME="zuki test"\n' >osrel
head -c 100000 /dev/urandom >initrd
files=(--linux="$linux" --osrel=osrel --cmdline=cmdline --initrd=initrd --pcrpkey=rsa2048.pub)

compare() { # NAME SYSTEMD_JSON ZUKI_JSON MODE(exact|ecdsa)
        /usr/bin/python3 "$here/compare-pcrsig.py" "$@" || failures=$((failures + 1))
}

run_case() { # NAME MODE ARGS...
        local name=$1 mode=$2 t0 t1
        shift 2
        "$measure" sign "${files[@]}" "$@" --tpm2-device="$SWTPM_TCTI" >"$name.systemd.json" ||
                { echo "FAIL: $name: systemd-measure sign"; failures=$((failures + 1)); return; }
        t0=$(date +%s%N)
        "$zuki" measure "${files[@]}" "$@" --signature-digest=bank >"$name.zuki.json" ||
                { echo "FAIL: $name: zuki measure"; failures=$((failures + 1)); return; }
        t1=$(date +%s%N)
        echo "$name: zuki signed in $(((t1 - t0) / 1000000)) ms"
        compare "$name" "$name.systemd.json" "$name.zuki.json" "$mode"
        if [[ $mode == exact ]] && ! cmp -s "$name.systemd.json" "$name.zuki.json"; then
                echo "FAIL: $name: outputs differ byte-wise"
                failures=$((failures + 1))
        fi
}

all_banks=(--bank=sha1 --bank=sha256 --bank=sha384 --bank=sha512)
run_case rsa2048-default-phases exact --private-key=rsa2048.pem "${all_banks[@]}"
# Unsorted, duplicated and non-normalised phases; the bare stub value ':'; a given public key.
run_case rsa2048-phases exact --private-key=rsa2048.pem --public-key=rsa2048.pub --bank=sha256 \
        --phase=sysinit --phase=: --phase=enter-initrd::leave-initrd --phase=enter-initrd --phase=sysinit
run_case rsa4096 exact --private-key=rsa4096.pem --bank=sha384 --bank=sha256 --bank=SHA256
run_case p256 ecdsa --private-key=p256.pem --bank=sha256 --bank=sha1 --phase=enter-initrd --phase=ready
# Both tools' ECDSA signatures verify with openssl (the digest is the bank's, as in systemd-measure).
verified=0
for who in systemd zuki; do
        while read -r bank pol sig; do
                printf '%s' "$pol" | /usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read()))' >pol.bin
                printf '%s' "$sig" | base64 -d >sig.der
                if openssl dgst "-$bank" -verify p256.pub -signature sig.der pol.bin >/dev/null; then
                        verified=$((verified + 1))
                else
                        echo "FAIL: p256: $who's $bank signature does not verify"
                        failures=$((failures + 1))
                fi
        done < <(/usr/bin/python3 -c '
import json, sys
for bank, es in json.load(open(sys.argv[1])).items():
    for e in es: print(bank, e["pol"], e["sig"])' "p256.$who.json")
done
echo "p256: $verified ECDSA signatures verified with openssl"

# --append: zuki appends to an existing JSON; systemd-measure 252 has no --append, so two of its
# outputs are merged bank by bank as later systemd-measure's --append does (seen with 262): entries
# appended in order, every bank signed for moves to the end of the object, in sorted order.
"$measure" sign "${files[@]}" --private-key=rsa2048.pem --bank=sha256 --tpm2-device="$SWTPM_TCTI" >a.systemd.json
"$measure" sign "${files[@]}" --private-key=rsa4096.pem --bank=sha256 --bank=sha1 --phase=: \
        --tpm2-device="$SWTPM_TCTI" >b.systemd.json
/usr/bin/python3 - <<'PY' >append.systemd.json
import json
a = json.load(open("a.systemd.json"))
b = json.load(open("b.systemd.json"))
for bank in sorted(b):
    a[bank] = a.pop(bank, []) + b[bank]
print(json.dumps(a, separators=(",", ":")))
PY
"$zuki" measure "${files[@]}" --private-key=rsa2048.pem --bank=sha256 --signature-digest=bank >a.zuki.json
"$zuki" measure "${files[@]}" --private-key=rsa4096.pem --bank=sha256 --bank=sha1 --phase=: --signature-digest=bank \
        --append=a.zuki.json >append.zuki.json || { echo "FAIL: zuki measure --append"; failures=$((failures + 1)); }
compare append append.systemd.json append.zuki.json exact

[[ $failures -eq 0 ]] && echo PASS || echo "FAIL: $failures cases"
[[ $failures -eq 0 ]]
