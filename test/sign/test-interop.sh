#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Signatures as distributions make them (issue 17), on a zuki UKI, judged by the tools that made
# them:
#   - sbsign, pesign (Fedora, SUSE) and osslsigncode each sign the UKI: zuki verify --certificate
#     accepts it, reports the digest the tool computes (pesign --hash, osslsigncode's calculated
#     digest) and rejects another certificate; one flipped bit in .linux is rejected by zuki and by
#     the tool's own checker;
#   - zuki sign --append: a second WIN_CERTIFICATE (an "old" and a "new" CA) after the first,
#     which stays byte for byte; zuki verify and sbverify accept the image for either certificate,
#     list both, and reject a tampered copy; the same on top of pesign's and sbsign's signatures,
#     and sbsign appending to zuki's;
#   - a certificate table with bytes that are not an entry: zuki verify and osslsigncode refuse it
#     (as EDK2 does), --append refuses to build on it;
#   - --replace on a dual-signed image leaves one signature.
# What osslsigncode and sbverify do with the dual-signed file is printed ("note:").
#
#   test-interop.sh ZUKI ZBOOT_IMAGE      (the stubs come from $ZUKI_STUB_DIR)
# ok() always succeeds, so "A && ok || bad" is safe.
# shellcheck disable=SC2015
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
zuki=$(realpath "$1") zboot=$(realpath "$2")
need_tool sbsign sbsigntool
need_tool sbverify sbsigntool
need_tool osslsigncode osslsigncode
need_tool pesign pesign
need_tool certutil libnss3-tools
need_tool pk12util libnss3-tools
need_tool openssl openssl
make_tmp
cd "$tmp" || exit 1

selfsigned db "zuki old CA"
selfsigned new "zuki new CA"
selfsigned other "zuki other"
"$zuki" build --linux "$zboot" --no-os-release --cmdline "console=ttyS0" --output uki.efi >/dev/null ||
        fail "zuki build cannot make a UKI"

# pesign signs with a key in an NSS database.
mkdir nss
openssl pkcs12 -export -inkey db.key -in db.crt -name zuki-db -passout pass: -out db.p12 &&
        certutil -N --empty-password -d nss && pk12util -i db.p12 -d nss -W '' >/dev/null ||
        fail "cannot make pesign's NSS database"

# zuki verify --json: one field of the report.
json_field() { # IMAGE CERT PYTHON-EXPRESSION (of j)
        "$zuki" verify --json --certificate "$2" "$1" 2>/dev/null |
                "$ZUKI_SYSTEM_PYTHON" -c "import json, sys; j = json.load(sys.stdin); print($3)"
}

# --- each tool's signature -------------------------------------------------------------------
sign_with() { # TOOL IN OUT
        case $1 in
        sbsign) sbsign --key db.key --cert db.crt --output "$3" "$2" ;;
        pesign) pesign -n nss -c zuki-db -s -i "$2" -o "$3" ;;
        osslsigncode) osslsigncode sign -certs db.crt -key db.key -h sha256 -in "$2" -out "$3" ;;
        esac
}
tool_verify() { # TOOL IMAGE: the checker that comes with TOOL (pesign has none: sbverify)
        case $1 in
        osslsigncode) osslsigncode verify -CAfile db.crt -in "$2" ;;
        *) sbverify --cert db.crt "$2" ;;
        esac
}
reference_digest() { # IMAGE: the Authenticode SHA-256 as pesign computes it
        pesign --hash -i "$1" | sed -n 's/^hash: //p'
}
want_digest=$(reference_digest uki.efi)
[[ ${#want_digest} -eq 64 ]] || fail "pesign --hash gives no digest for the UKI"
for tool in sbsign pesign osslsigncode; do
        sign_with $tool uki.efi $tool.efi >$tool.log 2>&1 || { bad "$tool cannot sign the UKI: $(tail -n 2 $tool.log)"; continue; }
        check "$tool's own checker accepts its signature" tool_verify $tool $tool.efi
        verify_rc 0 "zuki verify accepts $tool's signature" --certificate db.crt $tool.efi
        got=$(json_field $tool.efi db.crt 'j["signatures"][0]["signed_digest"]')
        [[ $got == "$want_digest" ]] && ok "$tool signed the digest pesign --hash computes" ||
                bad "$tool signed $got, pesign --hash says $want_digest"
        if [[ $tool == osslsigncode ]]; then
                calc=$(osslsigncode verify -in $tool.efi 2>/dev/null | sed -n 's/^Calculated message digest *: *//p' | tr -d ' ')
                [[ ${calc,,} == "$want_digest" ]] && ok "osslsigncode calculates the same digest" ||
                        bad "osslsigncode calculates '$calc'"
        fi
        verify_rc 1 "zuki verify rejects $tool's signature for another certificate" --certificate other.crt $tool.efi
        tamper_section $tool.efi $tool-tampered.efi || fail "cannot tamper with $tool.efi"
        verify_rc 1 "zuki verify rejects $tool's signature on a changed .linux" --certificate db.crt $tool-tampered.efi
        grep -q 'image digest does not match' "$tmp/err" && ok "... because the image digest differs" ||
                bad "zuki verify gave another reason: $(cat "$tmp/err")"
        check_not "$tool's own checker rejects the changed .linux" tool_verify $tool $tool-tampered.efi
done
echo "   pesign's SpcIndirectDataContent data type: $(json_field pesign.efi db.crt 'j["signatures"][0]["data_type"]')," \
        "sbsign's: $(json_field sbsign.efi db.crt 'j["signatures"][0]["data_type"]')"

# --- two signatures: zuki sign --append --------------------------------------------------------
check "zuki sign (old CA)" "$zuki" sign --private-key db.key --certificate db.crt --output one.efi uki.efi
check "zuki sign --append (new CA)" "$zuki" sign --append --private-key new.key --certificate new.crt \
        --output dual.efi one.efi
verify_rc 0 "zuki verify accepts the dual-signed UKI for the old CA" --certificate db.crt dual.efi
verify_rc 0 "zuki verify accepts the dual-signed UKI for the new CA" --certificate new.crt dual.efi
grep -q '^  entry 2: revision 0x0200, PKCS_SIGNED_DATA, .*signer CN=zuki new CA, sha256, valid for new.crt' "$tmp/out" &&
        grep -q '^  note: 2 entries' "$tmp/out" && ok "zuki verify lists both entries and says there are two" ||
        bad "zuki verify's listing: $(cat "$tmp/out")"
verify_rc 1 "zuki verify rejects the dual-signed UKI for a third certificate" --certificate other.crt dual.efi
mapfile -t entries < <(certificate_entries dual.efi)
[[ ${#entries[@]} -eq 2 ]] && ok "an independent parser finds two WIN_CERTIFICATE entries" ||
        bad "entries found: ${entries[*]}"
cmp -s <(certificate_der one.efi 1) <(certificate_der dual.efi 1) && ok "the first signature is unchanged byte for byte" ||
        bad "appending changed the first signature"
[[ $(reference_digest dual.efi) == "$(reference_digest one.efi)" ]] &&
        ok "pesign --hash: appending did not change the image digest" || bad "the digest changed when appending"
check "sbverify --cert OLD accepts the dual-signed UKI" sbverify --cert db.crt dual.efi
check "sbverify --cert NEW accepts the dual-signed UKI" sbverify --cert new.crt dual.efi
[[ $(sbverify --list dual.efi 2>/dev/null | grep -c '^signature [0-9]') -eq 2 ]] &&
        ok "sbverify --list lists two signatures" || bad "sbverify --list: $(sbverify --list dual.efi 2>&1 | head -n 5)"
if osslsigncode verify -CAfile db.crt -in dual.efi >ossl.log 2>&1; then
        echo "note: osslsigncode verify accepts the dual-signed UKI ($(grep -c 'Signature Index' ossl.log) signatures listed)"
else
        echo "note: osslsigncode verify refuses two WIN_CERTIFICATE entries: $(grep -m1 -i 'corrupt\|error' ossl.log)"
fi
tamper_section dual.efi dual-tampered.efi
verify_rc 1 "zuki verify rejects the tampered dual-signed UKI (old CA)" --certificate db.crt dual-tampered.efi
verify_rc 1 "zuki verify rejects the tampered dual-signed UKI (new CA)" --certificate new.crt dual-tampered.efi
check_not "sbverify rejects the tampered dual-signed UKI" sbverify --cert new.crt dual-tampered.efi

# On top of other tools' signatures, and the other way round.
for tool in pesign sbsign; do
        check "zuki sign --append after $tool" "$zuki" sign --append --private-key new.key --certificate new.crt \
                --output $tool-dual.efi $tool.efi
        check "sbverify accepts $tool's signature in it" sbverify --cert db.crt $tool-dual.efi
        check "sbverify accepts zuki's appended signature in it" sbverify --cert new.crt $tool-dual.efi
        verify_rc 0 "zuki verify accepts $tool's signature in it" --certificate db.crt $tool-dual.efi
        verify_rc 0 "zuki verify accepts the appended signature in it" --certificate new.crt $tool-dual.efi
done
if sbsign --key new.key --cert new.crt --output sb-after-zuki.efi one.efi >sbsign2.log 2>&1; then
        verify_rc 0 "zuki verify accepts sbsign's second signature after zuki's" --certificate new.crt sb-after-zuki.efi
        verify_rc 0 "... and still zuki's first" --certificate db.crt sb-after-zuki.efi
else
        bad "sbsign cannot add a signature to zuki's: $(tail -n 1 sbsign2.log)"
fi

# --- the refusals and --replace -------------------------------------------------------------
"$zuki" sign --append --replace --private-key new.key --certificate new.crt --output refused.efi one.efi 2>err.txt
rc=$?
[[ $rc -eq 2 && ! -e refused.efi ]] && grep -q 'one of --replace and --append' err.txt &&
        ok "--append with --replace is a usage error" || bad "--append --replace: exit $rc: $(cat err.txt)"
# 16 zero bytes added to the table: no WIN_CERTIFICATE. EDK2 refuses such a table.
"$ZUKI_SYSTEM_PYTHON" - one.efi trailing.efi <<'EOF' || fail "cannot extend the certificate table"
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
entry = struct.unpack_from("<I", b, 0x3c)[0] + 24 + 112 + 8 * 4
off, size = struct.unpack_from("<II", b, entry)
struct.pack_into("<II", b, entry, off, size + 16)
open(sys.argv[2], "wb").write(b + bytes(16))
EOF
verify_rc 1 "zuki verify refuses a certificate table with 16 bytes after the last entry" --certificate db.crt trailing.efi
grep -q '^  note: 16 bytes past the last entry' "$tmp/out" && ok "... and says so" || bad "no note: $(cat "$tmp/out")"
check_not "osslsigncode refuses it too" osslsigncode verify -CAfile db.crt -in trailing.efi
sbverify --cert db.crt trailing.efi >/dev/null 2>&1 && echo "note: sbverify accepts the table with 16 bytes after the last entry" ||
        echo "note: sbverify refuses the table with 16 bytes after the last entry"
"$zuki" sign --append --private-key new.key --certificate new.crt --output refused.efi trailing.efi 2>err.txt
rc=$?
[[ $rc -eq 1 && ! -e refused.efi && $(wc -l <err.txt) -eq 1 ]] && grep -q 'certificate table is malformed' err.txt &&
        ok "--append refuses to build on it: one line, no output" || bad "--append on a malformed table: exit $rc: $(cat err.txt)"
check "zuki sign --replace on the dual-signed UKI" "$zuki" sign --replace --private-key other.key --certificate other.crt \
        --output replaced.efi dual.efi
[[ $(certificate_entries replaced.efi | wc -l) -eq 1 ]] && ok "--replace leaves one entry" || bad "--replace left $(certificate_entries replaced.efi | wc -l) entries"
verify_rc 1 "neither old signature verifies after --replace" --certificate new.crt replaced.efi
verify_rc 0 "the replacement verifies" --certificate other.crt replaced.efi

summary
