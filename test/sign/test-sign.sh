#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zuki sign / zuki verify on the host, judged by sbsigntool (sbverify, sbsign) and OpenSSL:
#   - a zuki signature verifies with `sbverify --cert`, also through a certificate chain;
#   - zuki verify accepts it, rejects a one-byte change, another certificate and an unsigned
#     image, and accepts an image signed by sbsign (whose digest equals zuki's);
#   - SOURCE_DATE_EPOCH makes the output byte-identical (RSA PKCS#1 v1.5 is deterministic);
#   - an already signed image is refused, --replace re-signs it;
#   - bad keys, certificates and files: one line on stderr, non-zero exit, no output file;
#   - zuki zboot / zuki build refuse a signed stub; zuki build --secureboot-* signs the UKI.
# Keys are made here with openssl; none are committed.
#
#   test-sign.sh ZUKI STUB ZBOOT_IMAGE
# ok() always succeeds, so "A && ok || bad" is safe.
# shellcheck disable=SC2015
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
zuki=$(realpath "$1") stub=$(realpath "$2") zboot=$(realpath "$3")
need_tool sbverify sbsigntool
need_tool sbsign sbsigntool
need_tool openssl openssl
make_tmp
cd "$tmp" || exit 1

# --- keys ----------------------------------------------------------------------------------
selfsigned db "zuki test db"
selfsigned other "zuki other"
# A chain: root -> intermediate -> leaf.
selfsigned root "zuki test root"
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n' >ca.ext
openssl req -new -newkey rsa:2048 -nodes -keyout inter.key -out inter.csr -subj "/CN=zuki test intermediate/" 2>/dev/null
openssl x509 -req -in inter.csr -CA root.crt -CAkey root.key -CAcreateserial -out inter.crt -days 3650 \
        -extfile ca.ext 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj "/CN=zuki test leaf/" 2>/dev/null
openssl x509 -req -in leaf.csr -CA inter.crt -CAkey inter.key -CAcreateserial -out leaf.crt -days 3650 2>/dev/null
[[ -s leaf.crt ]] || fail "openssl cannot make a certificate chain"

cp "$stub" stub.efi
cp "$zboot" image.efi

# --- signing, judged by sbverify -------------------------------------------------------------
t0=$(date +%s%N)
check "zuki sign a zboot image" "$zuki" sign --private-key db.key --certificate db.crt --output signed.efi image.efi
echo "   sign time: $((($(date +%s%N) - t0) / 1000000)) ms for $(stat -c %s image.efi) bytes"
check "sbverify --cert accepts zuki's signature" sbverify --cert db.crt signed.efi
check_not "sbverify --cert rejects it for another certificate" sbverify --cert other.crt signed.efi
check "zuki sign the stub in place" "$zuki" sign --private-key db.key --certificate db.crt stub.efi
check "sbverify accepts the stub signed in place" sbverify --cert db.crt stub.efi
check "zuki sign with a chain" "$zuki" sign --private-key leaf.key --certificate leaf.crt --chain inter.crt \
        --output chain.efi image.efi
check "sbverify --cert ROOT accepts the chained signature" sbverify --cert root.crt chain.efi
check "zuki verify --certificate ROOT accepts the chained signature" "$zuki" verify --certificate root.crt chain.efi
check "zuki verify --certificate INTERMEDIATE accepts it too" "$zuki" verify --certificate inter.crt chain.efi
check_not "zuki verify rejects the chain for another root" "$zuki" verify --certificate db.crt chain.efi

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key -out ec.crt -subj "/CN=zuki ec/" \
        -days 3650 2>/dev/null
check "zuki sign with an EC P-256 key" "$zuki" sign --private-key ec.key --certificate ec.crt --output ec.efi image.efi
check "sbverify accepts the ECDSA signature" sbverify --cert ec.crt ec.efi
check "zuki verify accepts the ECDSA signature" "$zuki" verify --certificate ec.crt ec.efi

# --- zuki verify ---------------------------------------------------------------------------
verify_rc 0 "zuki verify accepts its own signature" --certificate db.crt signed.efi
"$zuki" verify --certificate db.crt --json signed.efi >v.json 2>/dev/null
/usr/bin/python3 - v.json <<'EOF' && ok "zuki verify --json reports signer, digest and time" || bad "zuki verify --json"
import json, sys
j = json.load(open(sys.argv[1]))
s = j["signatures"][0]
assert j["valid"] and s["valid"] and s["signer"] == "CN=zuki test db", j
assert s["digest_algorithm"] == "sha256" and s["signed_digest"] == j["sha256"], j
assert s["signing_time"].endswith("Z"), j
EOF
# One changed byte in the middle of the image (inside the payload section).
/usr/bin/python3 -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[len(b) // 2] ^= 0x01
open(sys.argv[2], "wb").write(b)' signed.efi tampered.efi
verify_rc 1 "zuki verify rejects a one-byte change" --certificate db.crt tampered.efi
check_not "sbverify rejects the one-byte change too" sbverify --cert db.crt tampered.efi
verify_rc 1 "zuki verify rejects another certificate" --certificate other.crt signed.efi
verify_rc 1 "zuki verify rejects an unsigned image" --certificate db.crt image.efi
verify_rc 2 "zuki verify without --certificate is a usage error" signed.efi
verify_rc 3 "zuki verify with an unreadable certificate cannot check" --certificate nonexistent.crt signed.efi
verify_rc 3 "zuki verify with a malformed certificate cannot check" --certificate db.key signed.efi

# A damaged certificate table (flipped bits, bad lengths, a truncated or misplaced table): zuki
# verify answers 0 or 1 with one verdict line, and never crashes. (Bytes outside the signed parts, such as
# padding or an embedded copy of the trusted certificate, may change without invalidating it, as
# in UEFI.)
/usr/bin/python3 - "$zuki" stub.efi db.crt <<'EOF' && ok "200 damaged certificate tables: no crash, one line each" || bad "damaged certificate tables"
import random, struct, subprocess, sys
zuki, image, cert = sys.argv[1:4]
b = open(image, "rb").read()
entry = struct.unpack_from("<I", b, 0x3c)[0] + 24 + 112 + 8 * 4
off, size = struct.unpack_from("<II", b, entry)
random.seed(20240607)
problems = 0
for i in range(200):
    m = bytearray(b)
    kind = i % 5
    if kind == 0:
        m[random.randrange(off, len(m))] ^= 1 << random.randrange(8)
    elif kind == 1:
        for _ in range(16):
            m[random.randrange(off, len(m))] = random.randrange(256)
    elif kind == 2:
        m = m[:random.randrange(off, len(m))]
    elif kind == 3:
        struct.pack_into("<II", m, entry, random.choice([off, off + 8, off - 8, 0, 0xfffffff8, random.randrange(1 << 32)]),
                         random.choice([size, size + 8, size - 8, 8, 0x7fffffff, random.randrange(1 << 32)]))
    else:
        struct.pack_into("<I", m, off, random.choice([0, 7, 8, 9, size + 1, 0xffffffff, random.randrange(1 << 32)]))
    open("damaged.efi", "wb").write(m)
    p = subprocess.run([zuki, "verify", "--certificate", cert, "damaged.efi"], capture_output=True, text=True)
    # The verdict: one line on stdout after the table listing (valid), or one line on stderr.
    verdict = p.stdout.splitlines()[-1:] if p.returncode == 0 else p.stderr.splitlines()
    if p.returncode not in (0, 1) or len(verdict) != 1 or (p.returncode == 0 and p.stderr) or \
            (p.returncode == 0 and "valid signature by" not in verdict[0]):
        problems += 1
        print(f"case {i} (kind {kind}): exit {p.returncode}: {p.stderr.strip()[:200]}")
sys.exit(1 if problems else 0)
EOF

# sbsign's signature: zuki verify accepts it, and the digest sbsign signed is the one zuki computes.
if sbsign --key db.key --cert db.crt --output sbsigned.efi image.efi >/dev/null 2>&1; then
        verify_rc 0 "zuki verify accepts sbsign's signature" --certificate db.crt sbsigned.efi
        "$zuki" verify --certificate db.crt --json sbsigned.efi >sb.json 2>/dev/null
        "$zuki" verify --certificate db.crt --json signed.efi >zk.json 2>/dev/null
        /usr/bin/python3 -c '
import json, sys
sb, zk = (json.load(open(f)) for f in sys.argv[1:3])
assert sb["signatures"][0]["signed_digest"] == zk["sha256"] == zk["signatures"][0]["signed_digest"]' sb.json zk.json &&
                ok "the digest sbsign signed equals zuki's Authenticode digest" ||
                bad "sbsign's signed digest differs from zuki's"
        verify_rc 1 "zuki verify rejects sbsign's signature for another certificate" --certificate other.crt sbsigned.efi
        check "zuki sign --replace replaces sbsign's signature" "$zuki" sign --replace --private-key other.key \
                --certificate other.crt --output resigned-sb.efi sbsigned.efi
        check "sbverify accepts the replacement" sbverify --cert other.crt resigned-sb.efi
else
        bad "sbsign failed"
fi

# A signature made by someone else's tooling: Debian's signed kernel verifies against the signer
# certificate openssl finds in it, and re-signing it with --replace keeps the digest Debian signed.
if [[ -n ${ZUKI_KERNEL:-} && -r $ZUKI_KERNEL ]]; then
        certificate_der "$ZUKI_KERNEL" 1 >debian.p7
        openssl pkcs7 -inform DER -in debian.p7 -print_certs 2>/dev/null | sed -n '/BEGIN/,/END/p;/END/q' >debian-signer.pem
        if [[ -s debian-signer.pem ]] && sbverify --cert debian-signer.pem "$ZUKI_KERNEL" >/dev/null 2>&1; then
                verify_rc 0 "zuki verify accepts Debian's kernel signature" --certificate debian-signer.pem "$ZUKI_KERNEL"
                verify_rc 1 "zuki verify rejects Debian's kernel for the test certificate" --certificate db.crt "$ZUKI_KERNEL"
                "$zuki" verify --json --certificate debian-signer.pem "$ZUKI_KERNEL" >debian.json 2>/dev/null
                "$zuki" sign --replace --json --private-key db.key --certificate db.crt --output kernel.efi "$ZUKI_KERNEL" \
                        >kernel.json 2>/dev/null
                /usr/bin/python3 -c '
import json, sys
d, k = (json.load(open(f)) for f in sys.argv[1:3])
assert d["signatures"][0]["signed_digest"] == k["sha256"] and k["replaced"]' debian.json kernel.json &&
                        ok "re-signing Debian's kernel signs the digest Debian signed" ||
                        bad "re-signed kernel digest differs from Debian's"
                check "sbverify accepts the re-signed kernel" sbverify --cert db.crt kernel.efi
        else
                echo "note: $ZUKI_KERNEL carries no signature sbverify accepts; Debian signature checks skipped"
        fi
fi

# --- reproducibility -----------------------------------------------------------------------
SOURCE_DATE_EPOCH=1700000000 "$zuki" sign --private-key db.key --certificate db.crt --output r1.efi image.efi >/dev/null
sleep 1.1 # a wall-clock signing time would now differ
SOURCE_DATE_EPOCH=1700000000 "$zuki" sign --private-key db.key --certificate db.crt --output r2.efi image.efi >/dev/null
if cmp -s r1.efi r2.efi; then ok "SOURCE_DATE_EPOCH: byte-identical output"; else bad "SOURCE_DATE_EPOCH: outputs differ"; fi
SOURCE_DATE_EPOCH=1700000001 "$zuki" sign --private-key db.key --certificate db.crt --output r3.efi image.efi >/dev/null
if cmp -s r1.efi r3.efi; then bad "another SOURCE_DATE_EPOCH gives the same output"; else ok "another SOURCE_DATE_EPOCH, another output"; fi
want=$(date -u -d @1700000000 +%Y-%m-%dT%H:%M:%SZ)
got=$("$zuki" verify --certificate db.crt --json r1.efi | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["signatures"][0]["signing_time"])')
[[ $got == "$want" ]] && ok "signing time is SOURCE_DATE_EPOCH ($got)" || bad "signing time $got, wanted $want"
# The signing time as an independent parser reads it from the PKCS#7.
certificate_der r1.efi 1 >sig.der
if openssl asn1parse -inform DER -in sig.der 2>/dev/null | grep -A2 ':signingTime' | grep -q 'UTCTIME.*:231114221320Z'; then
        ok "openssl asn1parse finds signingTime 2023-11-14 22:13:20 UTC"
else
        bad "openssl asn1parse does not find the expected signingTime"
fi
if openssl asn1parse -inform DER -in sig.der 2>/dev/null | grep -q '1.3.6.1.4.1.311.2.1.4'; then
        ok "the PKCS#7 content type is SPC_INDIRECT_DATA"
else
        bad "no SPC_INDIRECT_DATA content type in the PKCS#7"
fi

# --- refusals: one line, non-zero, no output -------------------------------------------------
refuse() { # NAME REGEX ARGS... (zuki sign ... --output refused.efi is appended)
        local name=$1 regex=$2
        shift 2
        "$zuki" "$@" >/dev/null 2>"$tmp/stderr"
        local rc=$? lines
        lines=$(wc -l <"$tmp/stderr")
        if [[ $rc -eq 0 || $lines -ne 1 ]] || ! grep -Eq "^zuki: $regex" "$tmp/stderr" || [[ -e refused.efi ]] ||
                compgen -G "*zuki-tmp*" >/dev/null; then
                bad "$name: exit $rc, stderr: $(cat "$tmp/stderr")"
        else
                ok "$name -> $(cat "$tmp/stderr")"
        fi
}
head -c 300 /dev/urandom >garbage.key
printf -- '-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n' >broken.key
openssl genpkey -algorithm ed25519 -out ed.key 2>/dev/null
openssl req -x509 -key ed.key -out ed.crt -subj "/CN=ed25519/" -days 30 2>/dev/null
openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048 -aes256 -pass pass:secret -out encrypted.key 2>/dev/null
echo "not a PE image" >text.efi
sign=(sign --output refused.efi)
refuse "garbage key" 'garbage.key is not a PEM or DER private key' "${sign[@]}" --private-key garbage.key --certificate db.crt image.efi
refuse "broken PEM key" 'broken.key is not a PEM or DER private key' "${sign[@]}" --private-key broken.key --certificate db.crt image.efi
refuse "certificate given as key" 'db.crt is not a PEM or DER private key' "${sign[@]}" --private-key db.crt --certificate db.crt image.efi
refuse "key given as certificate" 'db.key is not a PEM or DER certificate' "${sign[@]}" --private-key db.key --certificate db.key image.efi
refuse "garbage certificate" 'garbage.key is not a PEM or DER certificate' "${sign[@]}" --private-key db.key --certificate garbage.key image.efi
refuse "key not matching the certificate" 'The private key does not belong to the certificate' "${sign[@]}" --private-key other.key --certificate db.crt image.efi
refuse "Ed25519 key" 'The private key is ED25519; Authenticode signing needs an RSA or EC key' "${sign[@]}" --private-key ed.key --certificate ed.crt image.efi
refuse "encrypted key" 'encrypted.key: the private key is encrypted' "${sign[@]}" --private-key encrypted.key --certificate db.crt image.efi
refuse "missing key" 'Cannot open nonexistent.key: No such file' "${sign[@]}" --private-key nonexistent.key --certificate db.crt image.efi
refuse "directory as certificate" '. is not a regular file' "${sign[@]}" --private-key db.key --certificate . image.efi
refuse "missing chain file" 'Cannot open nonexistent.crt' "${sign[@]}" --private-key db.key --certificate db.crt --chain nonexistent.crt image.efi
refuse "missing image" 'Cannot open nonexistent.efi' "${sign[@]}" --private-key db.key --certificate db.crt nonexistent.efi
refuse "not a PE image" 'text.efi: Not a usable PE image' "${sign[@]}" --private-key db.key --certificate db.crt text.efi
refuse "already signed" 'signed.efi: The image is signed already; use --replace to replace its signature or --append' "${sign[@]}" --private-key db.key --certificate db.crt signed.efi
SOURCE_DATE_EPOCH=yesterday refuse "bad SOURCE_DATE_EPOCH" 'SOURCE_DATE_EPOCH is not a valid number' "${sign[@]}" --private-key db.key --certificate db.crt image.efi
refuse "no certificate" 'zuki sign needs --private-key and --certificate' "${sign[@]}" --private-key db.key image.efi
cp signed.efi before.efi
refuse "already signed, in place" 'signed.efi: The image is signed already' sign --private-key other.key --certificate other.crt signed.efi
cmp -s before.efi signed.efi && ok "a refused in-place signing leaves the image alone" || bad "the refused image changed"

# --replace: the old signature goes, the new one verifies, the old certificate no longer does.
check "zuki sign --replace" "$zuki" sign --replace --private-key other.key --certificate other.crt --output replaced.efi signed.efi
check "sbverify accepts the replaced signature" sbverify --cert other.crt replaced.efi
verify_rc 1 "the old certificate no longer verifies it" --certificate db.crt replaced.efi
[[ $(stat -c %s replaced.efi) -eq $(stat -c %s signed.efi) ]] && ok "one signature, not two (same size)" ||
        bad "replaced image size $(stat -c %s replaced.efi) != $(stat -c %s signed.efi)"

# The private key never lands in the output: look for a slice of its private exponent.
/usr/bin/python3 - db.key signed.efi <<'EOF' && ok "no private key bytes in the signed image" || bad "private key material in the output"
import subprocess, sys
der = subprocess.run(["openssl", "pkey", "-in", sys.argv[1], "-outform", "DER"], capture_output=True, check=True).stdout
image = open(sys.argv[2], "rb").read()
# PKCS#8 RSA: the modulus (public) comes first, the private exponent after it; sample late bytes.
for at in range(len(der) // 2, len(der) - 32, 97):
    assert der[at:at + 24] not in image
EOF

# --- signed stubs are refused by zuki zboot and zuki build -----------------------------------
sstub=(--stub stub.efi --output refused.efi)
refuse "zboot with a signed stub" 'Stub image is signed \(Authenticode\); adding sections would break the signature' \
        zboot "${sstub[@]}" "$ZUKI_KERNEL"
refuse "build with a signed stub" 'Stub image is signed \(Authenticode\); adding sections would break the signature' \
        build "${sstub[@]}" --linux image.efi --no-os-release

# --- zuki build --secureboot-* -------------------------------------------------------------
check "zuki build --secureboot-private-key/--secureboot-certificate" "$zuki" build --linux image.efi --no-os-release \
        --cmdline "console=ttyS0" --secureboot-private-key db.key --secureboot-certificate db.crt --output uki.efi
check "sbverify accepts the signed UKI" sbverify --cert db.crt uki.efi
verify_rc 0 "zuki verify accepts the signed UKI" --certificate db.crt uki.efi
refuse "build with a key not matching the certificate" 'The private key does not belong to the certificate' \
        build --linux image.efi --no-os-release --output refused.efi \
        --secureboot-private-key other.key --secureboot-certificate db.crt
refuse "build with only a key" '--secureboot-private-key and --secureboot-certificate go together' \
        build --linux image.efi --no-os-release --output refused.efi --secureboot-private-key db.key

summary
