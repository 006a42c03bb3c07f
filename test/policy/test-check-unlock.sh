#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zuki check-unlock against LUKS2 header files made by cryptsetup (detached headers: no root
# devices, no loop devices) with systemd-tpm2 tokens imported by `cryptsetup token import`, shaped
# as systemd-cryptenroll 252 writes them (tpm2_pubkey = base64 of the enrolled PEM file). Each
# case checks the exit status, the human answer and the --json answer.
#   test-check-unlock.sh ZUKI STUB KERNEL
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$(realpath "$1") stub=$(realpath "$2") kernel=$(realpath "$3")
need_tool cryptsetup
make_tmp
cd "$tmp" || exit 1
failures=0 checks=0
t0=$(date +%s%N)

for k in key1 key2; do
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $k.pem 2>/dev/null
        openssl pkey -in $k.pem -pubout -out $k.pub
done
printf 'ID=zuki-test\n' >os-release
build() { # OUT ARGS...
        local out=$1
        shift
        "$zuki" build --stub "$stub" --linux "$kernel" --no-compress --cmdline "console=ttyS0" \
                --os-release @os-release --output "$out" "$@" >/dev/null || fail "zuki build $out"
}
build good.efi --pcr-private-key key1.pem --pcr-public-key key1.pub
build other-key.efi --pcr-private-key key2.pem
build initrd-only.efi --pcr-private-key key1.pem --phases enter-initrd
build sha1-only.efi --pcr-private-key key1.pem --pcr-banks sha1
build unsigned.efi --pcrpkey key1.pub
build two-keys.efi --pcr-private-key key2.pem --pcr-private-key key1.pem --pcrpkey key1.pub
# PCR policy and Secure Boot signature together: .pcrsig is embedded before the Authenticode signature.
"$zuki" genkey --secureboot-private-key sb.key --secureboot-certificate sb.crt >/dev/null || fail "genkey"
build sb-signed.efi --pcr-private-key key1.pem --secureboot-private-key sb.key --secureboot-certificate sb.crt
if command -v sbverify >/dev/null; then
        checks=$((checks + 1))
        if sbverify --cert sb.crt sb-signed.efi >/dev/null 2>&1; then
                echo "ok: sbverify accepts the UKI signed after its .pcrsig was embedded"
        else
                echo "FAIL: sbverify rejects sb-signed.efi"
                failures=$((failures + 1))
        fi
else
        echo "not checked: sbverify is not installed (package sbsigntool)"
fi
build profiles.efi --pcr-private-key key1.pem --profile 'ID=default' --profile 'ID=debug' \
        --profile-cmdline 'console=ttyS0 debug'
# systemd 262's policy references: the initrd-only policy ukify 262 signs (ref "initrd",
# enter-initrd only) next to the unreferenced ones, and a UKI signed for reference "other" only.
build sign-initrd.efi --pcr-private-key key1.pem --sign-initrd-pcrs
build ref-other.efi --pcr-private-key key1.pem --policyref other

printf 'x' >passphrase
truncate -s 4M data.img
truncate -s 1M empty-header.img
t1=$(date +%s%N)
cryptsetup luksFormat --type luks2 --header empty-header.img --batch-mode --key-file passphrase \
        --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --luks2-metadata-size 16k --luks2-keyslots-size 256k \
        data.img >/dev/null 2>&1 || fail "cryptsetup luksFormat"
echo "luksFormat of a header file: $((($(date +%s%N) - t1) / 1000000)) ms"

# header NAME TOKEN-JSON-FIELDS... [PCRS=JSON]: a copy of the empty header with systemd-tpm2
# tokens, one per argument (extra JSON members for each token; tpm2-pcrs from PCRS=, default []).
# tpm2-blob and tpm2-policy-hash are random: check-unlock never needs them.
header() {
        local name=$1 extra
        shift
        cp empty-header.img "$name.img"
        local pcrs='[]'
        local last=${!#}
        [[ $last == PCRS=* ]] && pcrs=${last#PCRS=} && set -- "${@:1:$#-1}"
        for extra in "$@"; do
                printf '{"type":"systemd-tpm2","keyslots":["0"],"tpm2-blob":"%s","tpm2-pcrs":%s,"tpm2-primary-alg":"ecc","tpm2-policy-hash":"%s",%s}' \
                        "$(head -c 64 /dev/urandom | base64 -w0)" "$pcrs" "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
                        "$extra" >token.json
                cryptsetup token import "$name.img" --header "$name.img" --json-file token.json --key-slot 0 ||
                        fail "cryptsetup token import ($name)"
        done
}
pub1=$(base64 -w0 key1.pub)
pub2=$(base64 -w0 key2.pub)
key1=('"tpm2-pcr-bank":"sha256","tpm2-pin":false,"tpm2_pubkey_pcrs":[11],"tpm2_pubkey":"'"$pub1"'"')
header signed "${key1[0]}"
header signed-der '"tpm2-pcr-bank":"sha256","tpm2-pin":false,"tpm2_pubkey_pcrs":[11],"tpm2_pubkey":"'"$(openssl pkey -pubin -in key1.pub -outform DER | base64 -w0)"'"'
header pin '"tpm2-pcr-bank":"sha256","tpm2-pin":true,"tpm2_pubkey_pcrs":[11],"tpm2_pubkey":"'"$pub1"'"'
header no-bank '"tpm2-pin":false,"tpm2_pubkey_pcrs":[11],"tpm2_pubkey":"'"$pub1"'"'
header other-pcr '"tpm2-pcr-bank":"sha256","tpm2-pin":false,"tpm2_pubkey_pcrs":[12],"tpm2_pubkey":"'"$pub1"'"'
header key2 '"tpm2-pcr-bank":"sha256","tpm2-pin":false,"tpm2_pubkey_pcrs":[11],"tpm2_pubkey":"'"$pub2"'"'
header literal-only '"tpm2-pcr-bank":"sha256","tpm2-pin":false'
# A signed policy plus PCRs 4 and 7 bound by value (PCR 4 changes with every new image).
header pcr4-too '"tpm2-pcr-bank":"sha256","tpm2-pin":false,"tpm2_pubkey_pcrs":[11],"tpm2_pubkey":"'"$pub1"'"' PCRS=[4,7]
# Enrolled with systemd-cryptenroll 262 --tpm2-public-key-policyref=initrd (tpm2_pubkey_ref).
header ref-initrd '"tpm2-pcr-bank":"sha256","tpm2-pin":false,"tpm2_pubkey_pcrs":[11],"tpm2_pubkey":"'"$pub1"'","tpm2_pubkey_ref":"initrd"'
# Two tokens: one that cannot work and one that does; the best answer counts.
header two-tokens '"tpm2-pcr-bank":"sha256","tpm2-pin":false,"tpm2_pubkey_pcrs":[11],"tpm2_pubkey":"'"$pub2"'"' "${key1[0]}"

expect() { # WANT-EXIT WANT-ANSWER UKI HEADER [OPTIONS...]
        local want=$1 answer=$2 uki=$3 hdr=$4 rc jrc got
        shift 4
        checks=$((checks + 1))
        "$zuki" check-unlock "$@" "$uki" "$hdr" >out.txt 2>err.txt
        rc=$?
        "$zuki" check-unlock --json "$@" "$uki" "$hdr" >out.json 2>>err.txt
        jrc=$?
        got=$(/usr/bin/python3 -c 'import json; j = json.load(open("out.json")); print(j["answer"], j["exit"])' 2>/dev/null)
        if [[ $rc -ne $want || $jrc -ne $want || $got != "$answer $want" || -s err.txt ]] ||
                ! grep -q "^[a-z ]*: $answer (" out.txt; then
                echo "FAIL: $uki vs $hdr $*: exit $rc/$jrc, json '$got', want $want $answer"
                sed 's/^/    /' out.txt err.txt
                failures=$((failures + 1))
        else
                echo "ok: $uki vs $hdr $* -> $want $(head -1 out.txt)"
        fi
}

expect 0 unlocks good.efi signed.img
expect 0 unlocks good.efi signed-der.img
expect 0 unlocks good.efi no-bank.img
expect 0 unlocks two-keys.efi signed.img
expect 0 unlocks good.efi two-tokens.img
expect 10 unlocks-with-pin good.efi pin.img
expect 20 no-token good.efi empty-header.img
expect 20 no-token good.efi literal-only.img
expect 21 no-signature unsigned.efi signed.img
expect 22 key-mismatch other-key.efi signed.img
expect 22 key-mismatch good.efi key2.img
expect 23 pcr-mismatch good.efi other-pcr.img
expect 24 bank-missing sha1-only.efi signed.img
expect 25 phase-missing initrd-only.efi signed.img
expect 0 unlocks initrd-only.efi signed.img --phase enter-initrd
expect 26 cannot-tell good.efi pcr4-too.img
expect 0 unlocks sb-signed.efi signed.img
expect 0 unlocks profiles.efi signed.img --profile 1
expect 0 unlocks profiles.efi signed.img --profile 0
# Only entries signed for the token's policy reference count (the TPM checks pol || SHA256(ref)).
expect 0 unlocks sign-initrd.efi signed.img
expect 22 key-mismatch good.efi ref-initrd.img
expect 22 key-mismatch ref-other.efi signed.img
expect 22 key-mismatch ref-other.efi ref-initrd.img
expect 25 phase-missing sign-initrd.efi ref-initrd.img
expect 0 unlocks sign-initrd.efi ref-initrd.img --phase enter-initrd

# The detail that matters most: the phases judged carry the PCR 11 value zuki measure predicts.
"$zuki" check-unlock --json good.efi signed.img >good.json
"$zuki" measure --json good.efi >predicted.json
/usr/bin/python3 - <<'PY' || failures=$((failures + 1))
import json
c = json.load(open("good.json"))["tokens"][0]
p = {e["phase"]: e["hash"] for e in json.load(open("predicted.json"))["sha256"] if e["pcr"] == 11}
bad = [ph for ph in c["phases"] if p.get(ph["phase"]) != ph["pcr11"] or not ph["signature_valid"]]
print("FAIL: phases" if bad else f"ok: {len(c['phases'])} phases judged on the predicted PCR 11", bad or "")
raise SystemExit(1 if bad else 0)
PY

# Errors: not a LUKS2 volume, missing file: exit 1 with one line.
for target in os-release "$tmp/nonexistent"; do
        checks=$((checks + 1))
        "$zuki" check-unlock good.efi "$target" >out.txt 2>err.txt
        rc=$?
        if [[ $rc -ne 1 || -s out.txt || $(wc -l <err.txt) -ne 1 ]]; then
                echo "FAIL: check-unlock on $target: exit $rc, $(cat err.txt out.txt)"
                failures=$((failures + 1))
        else
                echo "ok: $target -> $(cat err.txt)"
        fi
done
echo "$((checks - failures)) of $checks passed in $((($(date +%s%N) - t0) / 1000000)) ms"
[[ $failures -eq 0 ]]
