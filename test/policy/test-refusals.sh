#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Bad keys and files for measure --private-key, build --pcr-private-key and genkey: one line on
# stderr, non-zero exit, nothing on stdout, no output file. genkey never overwrites and writes
# private keys with mode 0600; no private key byte reaches stdout or stderr.
#   test-refusals.sh ZUKI STUB KERNEL
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$(realpath "$1") stub=$(realpath "$2") kernel=$(realpath "$3")
make_tmp
cd "$tmp" || exit 1
failures=0 checks=0

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out good.pem 2>/dev/null
openssl pkey -in good.pem -pubout -out good.pub
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other.pem 2>/dev/null
openssl pkey -in other.pem -pubout -out other.pub
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.pem 2>/dev/null
openssl genpkey -algorithm ED25519 -out ed25519.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -aes-128-cbc -pass pass:secret -out encrypted.pem 2>/dev/null
head -c 300 good.pem >truncated.pem
printf 'not a key\n' >garbage.pem
mkdir directory.pem
printf 'x' >linux
printf '{"sha256": 5}' >bad-append.json
printf '[1,2' >broken.json

refuse() { # NAME REGEX OUTPUT-THAT-MUST-NOT-EXIST COMMAND...
        local name=$1 regex=$2 out=$3 rc
        shift 3
        checks=$((checks + 1))
        "$@" >stdout 2>stderr
        rc=$?
        if [[ $rc -eq 0 || $(wc -l <stderr) -ne 1 || -s stdout ]] || ! grep -Eq "^zuki: $regex" stderr ||
                { [[ -n $out ]] && [[ -e $out ]]; } || compgen -G '*zuki-tmp*' >/dev/null || grep -q "PRIVATE KEY" stdout stderr; then
                echo "FAIL: $name: exit $rc, stderr: $(cat stderr) stdout: $(head -c 200 stdout)"
                failures=$((failures + 1))
        else
                echo "ok: $name -> $(cat stderr)"
        fi
}

m=("$zuki" measure --linux=linux)
refuse "garbage private key" 'garbage.pem is not a PEM or DER private key' "" "${m[@]}" --private-key garbage.pem
refuse "truncated private key" 'truncated.pem is not a PEM or DER private key' "" "${m[@]}" --private-key truncated.pem
refuse "encrypted private key" 'encrypted.pem: the private key is encrypted' "" "${m[@]}" --private-key encrypted.pem
refuse "missing private key" 'Cannot open nonexistent.pem' "" "${m[@]}" --private-key nonexistent.pem
refuse "directory as key" 'directory.pem is not a regular file' "" "${m[@]}" --private-key directory.pem
refuse "RSA 1024" 'rsa1024.pem: RSA key of 1024 bits is too weak' "" "${m[@]}" --private-key rsa1024.pem
refuse "EC P-384" 'p384.pem: wrong key type \(EC secp384r1\)' "" "${m[@]}" --private-key p384.pem
refuse "Ed25519" 'ed25519.pem: wrong key type \(ED25519\)' "" "${m[@]}" --private-key ed25519.pem
refuse "public key as private key" 'good.pub is not a PEM or DER private key' "" "${m[@]}" --private-key good.pub
refuse "private key as public key" 'good.pem holds a private key where a public key is expected' "" \
        "${m[@]}" --private-key good.pem --public-key good.pem
refuse "garbage public key" 'garbage.pem is not a public key' "" "${m[@]}" --private-key good.pem --public-key garbage.pem
refuse "mismatched public key" 'other.pub is not the public key of good.pem' "" "${m[@]}" --private-key good.pem --public-key other.pub
refuse "unknown bank" 'Unknown PCR bank md5' "" "${m[@]}" --private-key good.pem --bank md5
refuse "append: not JSON" 'broken.json is not valid JSON' "" "${m[@]}" --private-key good.pem --append broken.json
refuse "append: bank not an array" 'bad-append.json: member "sha256" is not an array' "" "${m[@]}" --private-key good.pem --append bad-append.json
refuse "public key without private key" '--public-key, --append, --policyref and --signature-digest need --private-key' "" "${m[@]}" --public-key good.pub
refuse "policyref without private key" '--public-key, --append, --policyref and --signature-digest need --private-key' "" "${m[@]}" --policyref initrd
refuse "unknown signature digest" '--signature-digest takes sha256 or bank, not sha1' "" "${m[@]}" --private-key good.pem --signature-digest sha1
refuse "policyref not UTF-8" 'The policy reference is not UTF-8 text' "" "${m[@]}" --private-key good.pem --policyref $'\xff'
refuse "policyref with bank digests" 'A policy reference needs SHA-256 signatures' "" "${m[@]}" --private-key good.pem \
        --signature-digest bank --policyref initrd

b=("$zuki" build --stub "$stub" --linux "$kernel" --no-compress --no-os-release --output uki.efi)
refuse "build: garbage key" 'garbage.pem is not a PEM or DER private key' uki.efi "${b[@]}" --pcr-private-key garbage.pem
refuse "build: wrong key type" 'ed25519.pem: wrong key type' uki.efi "${b[@]}" --pcr-private-key ed25519.pem
refuse "build: mismatched pair" 'other.pub is not the public key of good.pem' uki.efi "${b[@]}" --pcr-private-key good.pem --pcr-public-key other.pub
refuse "build: unpaired public keys" 'Give one --pcr-public-key per --pcr-private-key' uki.efi \
        "${b[@]}" --pcr-private-key good.pem --pcr-public-key good.pub --pcr-public-key other.pub
refuse "build: unknown phase" "Unknown boot phase 'boot'" uki.efi "${b[@]}" --pcr-private-key good.pem --phases enter-initrd:boot
refuse "build: unknown bank" 'Unknown PCR bank sha3' uki.efi "${b[@]}" --pcr-private-key good.pem --pcr-banks sha256,sha3
refuse "build: unpaired policyrefs" 'Give one --policyref per --pcr-private-key' uki.efi "${b[@]}" --pcr-private-key good.pem \
        --policyref a --policyref b
refuse "build: policyref not UTF-8" 'The policy reference is not UTF-8 text' uki.efi "${b[@]}" --pcr-private-key good.pem \
        --policyref $'\xff'
refuse "build: initrd policy without key" '--sign-initrd-pcrs needs --pcr-private-key' uki.efi "${b[@]}" --sign-initrd-pcrs

# genkey: refuses existing files (and writes none of the set), makes 0600 private keys.
printf 'keep' >existing.pub
refuse "genkey: existing public key" 'existing.pub already exists; not overwriting it' new.pem \
        "$zuki" genkey --pcr-private-key new.pem --pcr-public-key existing.pub
[[ $(cat existing.pub) == keep ]] || { echo "FAIL: genkey changed existing.pub"; failures=$((failures + 1)); }
refuse "genkey: half a Secure Boot pair" '--secureboot-private-key and --secureboot-certificate go together' sb.key \
        "$zuki" genkey --secureboot-private-key sb.key
refuse "genkey: unwritable directory" 'Cannot create a temporary file in nodir' nodir/k.pem \
        "$zuki" genkey --pcr-private-key nodir/k.pem

checks=$((checks + 1))
if "$zuki" genkey --pcr-private-key pcr.key --pcr-public-key pcr.pub --secureboot-private-key sb.key \
        --secureboot-certificate sb.crt --secureboot-certificate-common-name 'zuki test' \
        --secureboot-certificate-validity 30 >genkey.out 2>genkey.err &&
        [[ $(stat -c %a pcr.key) == 600 && $(stat -c %a sb.key) == 600 && $(stat -c %a pcr.pub) == 644 ]] &&
        openssl rsa -in pcr.key -check -noout >/dev/null 2>&1 &&
        [[ $(openssl pkey -in pcr.key -pubout) == "$(cat pcr.pub)" ]] &&
        [[ $(openssl pkey -in pcr.key -text -noout | head -1) == *"2048 bit"* ]] &&
        openssl x509 -in sb.crt -noout -subject | grep -q 'CN = zuki test' &&
        openssl x509 -in sb.crt -noout -ext basicConstraints | grep -q 'CA:FALSE' &&
        openssl x509 -in sb.crt -noout -checkend $((29 * 86400)) >/dev/null &&
        ! openssl x509 -in sb.crt -noout -checkend $((31 * 86400)) >/dev/null &&
        [[ $(openssl x509 -in sb.crt -noout -pubkey) == "$(openssl pkey -in sb.key -pubout)" ]] &&
        openssl verify -CAfile sb.crt -partial_chain sb.crt >/dev/null 2>&1 &&
        ! grep -q "PRIVATE KEY" genkey.out genkey.err; then
        echo "ok: genkey: 0600 RSA 2048 keys, matching public key, self-signed 30-day certificate"
else
        echo "FAIL: genkey: $(cat genkey.err) $(ls -l)"
        failures=$((failures + 1))
fi
refuse "genkey: second run refuses" 'pcr.key already exists; not overwriting it' "" "$zuki" genkey --pcr-private-key pcr.key

echo "$((checks - failures)) of $checks passed"
[[ $failures -eq 0 ]]
