#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zuki sign and zuki measure with a private key inside a PKCS#11 token (SoftHSM2, through
# OpenSSL's pkcs11 engine and p11-kit): the signature verifies with sbverify, and with
# SOURCE_DATE_EPOCH it is byte for byte the one made with the same key from a file (RSA PKCS#1
# v1.5 is deterministic); so is the signed PCR policy. A wrong PIN or object: one line on stderr
# that does not repeat the PIN, no output.
#
#   test-pkcs11.sh ZUKI IMAGE
# ok() always succeeds, so "A && ok || bad" is safe.
# shellcheck disable=SC2015
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$(realpath "$1") image=$(realpath "$2")
need_tool softhsm2-util softhsm2
need_tool sbverify sbsigntool
engine=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"/\1/p')/pkcs11.so
[[ -e $engine ]] || skip "no OpenSSL pkcs11 engine at $engine (package libengine-pkcs11-openssl)"
module=$(find /usr/lib -name libsofthsm2.so -path '*softhsm*' 2>/dev/null | head -n 1)
[[ -n $module ]] || skip "libsofthsm2.so not found"
make_tmp
cd "$tmp" || exit 1

# A private token directory; the engine reaches SoftHSM through p11-kit-proxy, or directly when
# the module is named in PKCS11_MODULE_PATH (set below, so the test does not depend on the
# system's p11-kit configuration).
mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$tmp" >softhsm2.conf
export SOFTHSM2_CONF=$tmp/softhsm2.conf PKCS11_MODULE_PATH=$module
openssl req -x509 -newkey rsa:2048 -nodes -keyout db.key -out db.crt -subj "/CN=zuki pkcs11 test/" -days 3650 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in db.key -out db.p8
softhsm2-util --init-token --free --label zuki-test --pin 4321 --so-pin 8765 >/dev/null &&
        softhsm2-util --import db.p8 --token zuki-test --label sb-key --id 5a --pin 4321 >/dev/null ||
        fail "cannot set up the SoftHSM2 token"
rm db.p8

# The PIN from a file (RFC 7512 pin-source), so it does not show in the process list.
printf 4321 >pin
uri="pkcs11:token=zuki-test;object=sb-key;type=private?pin-source=file:$tmp/pin"
t0=$(date +%s%N)
if SOURCE_DATE_EPOCH=1700000000 "$zuki" sign --private-key "$uri" --certificate db.crt --output token.efi "$image"; then
        ok "zuki sign with a PKCS#11 URI ($((($(date +%s%N) - t0) / 1000000)) ms)"
else
        bad "zuki sign with a PKCS#11 URI failed"
fi
sbverify --cert db.crt token.efi >/dev/null 2>&1 && ok "sbverify accepts the token's signature" || bad "sbverify rejects the token's signature"
SOURCE_DATE_EPOCH=1700000000 "$zuki" sign --private-key db.key --certificate db.crt --output file.efi "$image" >/dev/null
cmp -s token.efi file.efi && ok "token and key file give byte-identical signed images" ||
        bad "token and key file signatures differ"

"$zuki" sign --private-key "pkcs11:token=zuki-test;object=sb-key;type=private;pin-value=4321" --certificate db.crt \
        --output value.efi "$image" >/dev/null && sbverify --cert db.crt value.efi >/dev/null 2>&1 &&
        ok "the PIN as pin-value in the URI works too" || bad "pin-value in the URI"

refuse() { # NAME REGEX URI
        "$zuki" sign --private-key "$3" --certificate db.crt --output refused.efi "$image" >/dev/null 2>err
        local rc=$?
        if [[ $rc -ne 0 && $(wc -l <err) -eq 1 && ! -e refused.efi ]] && grep -Eq "^zuki: $2" err &&
                ! grep -q 9999 err; then
                ok "$1 -> $(cat err)"
        else
                bad "$1: exit $rc, stderr: $(cat err)"
        fi
}
refuse "wrong PIN" 'Cannot load the private key from the PKCS#11 token.*PIN incorrect' \
        "pkcs11:token=zuki-test;object=sb-key;type=private;pin-value=9999"
refuse "no such object" 'Cannot load the private key from the PKCS#11 token' \
        "pkcs11:token=zuki-test;object=nothing;type=private;pin-value=4321"
refuse "no PIN (zuki never prompts)" 'Cannot load the private key from the PKCS#11 token' \
        "pkcs11:token=zuki-test;object=sb-key;type=private"

# The same token key signs PCR policies (zuki measure, zuki build --pcr-private-key): the loader
# is shared. RSA PKCS#1 v1.5 signatures are deterministic, so token and key file must agree.
printf 'console=ttyS0\n' >cmdline
m=("$zuki" measure --linux "$image" --cmdline cmdline)
if "${m[@]}" --private-key "$uri" >policy-token.json 2>err; then
        ok "zuki measure signs a PCR policy with a PKCS#11 URI"
else
        bad "zuki measure with a PKCS#11 URI: $(cat err)"
fi
"${m[@]}" --private-key db.key >policy-file.json
cmp -s policy-token.json policy-file.json && grep -q '"sig"' policy-file.json &&
        ok "token and key file give byte-identical .pcrsig JSON" || bad "token and key file policies differ"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other.key 2>/dev/null
openssl pkey -in other.key -pubout -out other.pub
if ! "${m[@]}" --private-key "pkcs11:token=zuki-test;object=sb-key;type=private;pin-value=4321" --public-key other.pub \
        >/dev/null 2>err && grep -q '^zuki: other.pub is not the public key of the PKCS#11 key$' err && ! grep -q 4321 err; then
        ok "a mismatched public key is named without echoing the URI -> $(cat err)"
else
        bad "mismatched public key for a token key: $(cat err)"
fi
summary
