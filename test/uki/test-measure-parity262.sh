#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# `zuki measure` against sid's systemd-measure 262 (tools/setup.sh: ZUKI_SYSTEMD_MEASURE262), no
# TPM: calculate (PCR 11 per bank and phase) and sign, with and without --policyref, for all four
# banks at once. RSA PKCS#1 v1.5 is deterministic, so calculate and the RSA signatures must be
# byte for byte the same; ECDSA is randomised, so for P-256 everything but "sig" must match and
# both tools' signatures must verify with openssl over SHA256(pol || SHA256(ref)). Each comparison
# is also run once against a deliberately different zuki output, which must be reported.
#   test-measure-parity262.sh ZUKI LINUX INITRD OSREL
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$(realpath "$1") linux=$(realpath "$2") initrd=$(realpath "$3") osrel=$(realpath "$4")
measure=${ZUKI_SYSTEMD_MEASURE262:-}
[[ -n $measure ]] || skip "ZUKI_SYSTEMD_MEASURE262 is not set (tools/setup.sh fetches sid's systemd-measure)"
[[ -x $measure ]] || skip "no systemd-measure 262 at $measure"
"$measure" --version | grep -q '^systemd 26[2-9]' || skip "$measure is not systemd-measure 262 or later"
make_tmp
cd "$tmp" || exit 1
failures=0
bad() {
        echo "FAIL: $*"
        failures=$((failures + 1))
}

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.pem 2>/dev/null
openssl pkey -in rsa.pem -pubout -out rsa.pub
openssl pkey -in p256.pem -pubout -out p256.pub
printf 'console=ttyS0 zuki.parity=262' >cmdline
printf '6.1.0-zuki' >uname
printf 'sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n' >sbat
files=(--linux="$linux" --osrel="$osrel" --cmdline=cmdline --initrd="$initrd" --uname=uname --sbat=sbat --pcrpkey=rsa.pub)
banks=(--bank=sha1 --bank=sha256 --bank=sha384 --bank=sha512)

same() { # NAME SYSTEMD ZUKI: byte equality
        if cmp -s "$2" "$3"; then
                echo "ok: $1: byte for byte equal ($(wc -c <"$2") bytes)"
        else
                bad "$1: outputs differ"
                diff <(tr ',' '\n' <"$2") <(tr ',' '\n' <"$3") | head -n 6
        fi
}

# calculate: the predicted PCR 11 per bank and phase.
"$measure" calculate "${files[@]}" "${banks[@]}" --json=short >calc.systemd.json || bad "systemd-measure calculate"
"$zuki" measure "${files[@]}" "${banks[@]}" --json=short >calc.zuki.json || bad "zuki measure"
same "calculate, 4 banks" calc.systemd.json calc.zuki.json

# sign, RSA: without a reference, with one, and the initrd-only policy ukify 262's
# --sign-initrd-pcrs asks for; then --append of the latter to the former.
sign_case() { # NAME ARGS...
        local name=$1
        shift
        "$measure" sign "${files[@]}" "$@" --json=short >"$name.systemd.json" || { bad "$name: systemd-measure sign"; return; }
        "$zuki" measure "${files[@]}" "$@" >"$name.zuki.json" || { bad "$name: zuki measure"; return; }
        same "$name" "$name.systemd.json" "$name.zuki.json"
}
sign_case rsa-noref --private-key=rsa.pem "${banks[@]}"
sign_case rsa-ref --private-key=rsa.pem --public-key=rsa.pub "${banks[@]}" --policyref=zuki-parity
sign_case rsa-initrd --private-key=rsa.pem --bank=sha256 --phase=enter-initrd --policyref=initrd
sign_case rsa-append --private-key=rsa.pem --bank=sha256 --bank=sha384 --phase=sysinit --phase=: \
        --policyref=second --append=rsa-ref.systemd.json
# An empty reference is no reference (no "ref" member), in both.
sign_case rsa-emptyref --private-key=rsa.pem --bank=sha256 --policyref=

# The comparison notices a wrong reference and systemd-measure 252's bank digests (sha384 here).
"$zuki" measure "${files[@]}" --private-key=rsa.pem --public-key=rsa.pub "${banks[@]}" --policyref=zuki-parit >wrong-ref.json
cmp -s rsa-ref.systemd.json wrong-ref.json && bad "a different --policyref gave the same output"
"$zuki" measure "${files[@]}" --private-key=rsa.pem "${banks[@]}" --signature-digest=bank >bank-digest.json
cmp -s rsa-noref.systemd.json bank-digest.json && bad "--signature-digest=bank gave systemd-measure 262's output"
/usr/bin/python3 - rsa-noref.systemd.json bank-digest.json <<'PY' || bad "sha256 entries must not depend on --signature-digest"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
# For the sha256 bank both ways sign SHA256(pol); the others differ.
assert a["sha256"] == b["sha256"], "sha256 entries differ"
assert all(a[k] != b[k] for k in ("sha1", "sha384", "sha512")), "a non-sha256 bank signed the same way"
PY

# sign, P-256: everything but the signatures equal; every signature verifies over
# SHA256(pol || SHA256(ref)) (ref absent: pol alone).
for ref in "" "--policyref=zuki-ec"; do
        name=p256${ref:+-ref}
        "$measure" sign "${files[@]}" --private-key=p256.pem "${banks[@]}" ${ref:+"$ref"} --json=short >"$name.systemd.json" ||
                { bad "$name: systemd-measure sign"; continue; }
        "$zuki" measure "${files[@]}" --private-key=p256.pem "${banks[@]}" ${ref:+"$ref"} >"$name.zuki.json" ||
                { bad "$name: zuki measure"; continue; }
        /usr/bin/python3 - "$name" <<'PY' || bad "$name: ECDSA entries"
import base64, hashlib, json, subprocess, sys
name = sys.argv[1]
s, z = (json.load(open(f"{name}.{who}.json")) for who in ("systemd", "zuki"))
strip = lambda j: {b: [{k: v for k, v in e.items() if k != "sig"} for e in es] for b, es in j.items()}
ok = True
if json.dumps(strip(s)) != json.dumps(strip(z)):
    print(f"MISMATCH: {name}: the entries differ outside sig"); ok = False
verified = 0
for who, j in (("systemd", s), ("zuki", z)):
    for bank, es in j.items():
        for e in es:
            msg = bytes.fromhex(e["pol"]) + (hashlib.sha256(e["ref"].encode()).digest() if "ref" in e else b"")
            open("msg.bin", "wb").write(msg)
            open("sig.der", "wb").write(base64.b64decode(e["sig"]))
            r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", "p256.pub", "-signature", "sig.der", "msg.bin"],
                               capture_output=True)
            if r.returncode != 0:
                print(f"MISMATCH: {name}: {who}'s {bank} signature does not verify"); ok = False
            else:
                verified += 1
print(f"ok: {name}: entries equal but for sig; {verified} ECDSA signatures verified" if ok else f"{name}: failed")
sys.exit(0 if ok else 1)
PY
done

[[ $failures -eq 0 ]] && echo PASS || echo "FAIL: $failures"
[[ $failures -eq 0 ]]
