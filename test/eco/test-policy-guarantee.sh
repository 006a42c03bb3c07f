#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# "Will it unseal?" checked before a UKI is written: a .pcrsig that does not authorize the PCR 11
# values the stub will produce booting that very file is refused by zuki build and zuki-ukify,
# with one line and no file left; `zuki check-policy` says why for a UKI another tool made.
# (kernel-install's refusal is in test-kernel-install.sh, step 4.)
#   1. zuki build --pcr-private-key (two profiles): check-policy passes, every entry matched a
#      phase; the policy digests of profile 0 equal test/lib/pcrmodel.py's (independent);
#   2. zuki build with --section .pcrsig:@FILE signed for other sections: refused, no output;
#   3. zuki build with a .pcrpkey that is not the signing key: refused, no output;
#   4. ukify (unmodified, zuki stub) with that wrong .pcrsig: check-policy exits 1 and names the
#      entry; through zuki-ukify: refused, no output and no staged file.
#   test-policy-guarantee.sh ZUKI_UKIFY_PLUGIN KERNEL
# Environment: ZUKI_BIN, ZUKI_STUB_DIR, ZUKI_UKIFY_TOOLS (build tree), ZUKI_CACHE.
# ok() always succeeds, so "A && ok || bad" is safe.
# shellcheck disable=SC2015
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
plugin=$1 kernel=$2
load_assets
need_asset ZUKI_UKIFY "ukify 257"
export ZUKI_UKIFY
zuki=$ZUKI_BIN
make_tmp
cd "$tmp" || exit 1

openssl genrsa -out pcr.key 2048 2>/dev/null || fail "openssl genrsa"
openssl pkey -in pcr.key -pubout -out pcr.pub || fail "openssl pkey"
openssl genrsa 2048 2>/dev/null | openssl pkey -pubout -out other.pub || fail "openssl pkey"
"$zuki" zboot --output linux.efi "$kernel" >/dev/null || fail "zuki zboot"
common=(build --linux linux.efi --no-os-release --cmdline "console=ttyS0")

# no_output NAME: nothing named NAME* (staged or temporary files included) is left here.
no_output() {
        local left
        left=$(find . -maxdepth 1 -name "*$1*" | tr '\n' ' ')
        [[ -z $left ]] && ok "$1: no file left" || bad "$1: left behind: $left"
}

echo "== 1. a UKI zuki build signed itself"
"$zuki" "${common[@]}" --pcr-private-key pcr.key --profile 'ID=a' --profile 'ID=b' --profile-cmdline quiet \
        --output good.efi >/dev/null || fail "zuki build with --pcr-private-key"
"$zuki" check-policy --json good.efi >good.json && ok "check-policy accepts it" || bad "check-policy refuses it: $(cat good.json)"
"$ZUKI_SYSTEM_PYTHON" - good.json <<'PY' && ok "every entry of both profiles matched a phase" || bad "check-policy report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] and [p["profile"] for p in r["profiles"]] == [0, 1], r
for p in r["profiles"]:
    assert len(p["entries"]) == 4 and all(e["signature"] == "valid" for e in p["entries"]), p
    assert [e["phase"] for e in p["entries"]] == ["enter-initrd", "enter-initrd:leave-initrd",
        "enter-initrd:leave-initrd:sysinit", "enter-initrd:leave-initrd:sysinit:ready"], p
PY
# The entry for enter-initrd of profile 0, against the independent model.
want=$(pcrmodel policy "$(pcrmodel pcr11 good.efi --profile 0)" --phase enter-initrd)
have=$("$ZUKI_SYSTEM_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["profiles"][0]["entries"][0]["pol"])' good.json)
[[ $want == "$have" ]] && ok "profile 0's enter-initrd pol equals pcrmodel.py's" || bad "pol $have, pcrmodel $want"

echo "== 2. a .pcrsig signed for other sections"
printf 'other kernel' >other-linux
printf 'other cmdline' >other-cmdline
"$zuki" measure --private-key pcr.key --linux other-linux --cmdline other-cmdline >wrong.json || fail "zuki measure --private-key"
if "$zuki" "${common[@]}" --section ".pcrsig:@wrong.json" --pcrpkey pcr.pub --output wrongsig.efi 2>err; then
        bad "zuki build wrote a UKI whose .pcrsig was signed for other sections"
else
        grep -q 'authorizes no PCR 11 value this UKI produces' err && ok "zuki build refuses: $(tail -n1 err)" ||
                bad "zuki build failed without the reason: $(cat err)"
fi
[[ $(wc -l <err) -eq 1 ]] && ok "one line" || bad "$(wc -l <err) lines: $(cat err)"
no_output wrongsig

echo "== 3. a .pcrpkey that is not the signing key"
"$zuki" "${common[@]}" --pcr-private-key pcr.key --pcrpkey other.pub --output wrongkey.efi 2>err &&
        bad "zuki build wrote a UKI whose .pcrpkey did not sign its .pcrsig" ||
        { grep -q 'no .pcrsig entry is signed by the key in .pcrpkey' err && ok "zuki build refuses: $(tail -n1 err)" ||
                bad "zuki build failed without the reason: $(cat err)"; }
no_output wrongkey

echo "== 4. ukify (other tool) and zuki-ukify with the wrong .pcrsig"
"$ZUKI_PYTHON" "$ZUKI_UKIFY" build --stub "$ZUKI_STUB_DIR/zukix64.efi.stub" --linux linux.efi --cmdline "console=ttyS0" \
        --pcrpkey pcr.pub --section ".pcrsig:@wrong.json" --output ukify-wrong.efi >/dev/null 2>&1 ||
        fail "ukify build with --section .pcrsig"
"$zuki" check-policy ukify-wrong.efi >/dev/null 2>err && bad "check-policy accepts ukify's UKI with the wrong .pcrsig" ||
        { grep -q 'profile 0: entry 0 (sha256, pol' err && ok "check-policy names the entry: $(head -n1 err)" ||
                bad "check-policy without the reason: $(cat err)"; }
"$plugin" build --linux "$kernel" --cmdline "console=ttyS0" --pcrpkey pcr.pub --section ".pcrsig:@wrong.json" \
        --output plugin-wrong.efi >/dev/null 2>err && bad "zuki-ukify wrote a UKI with the wrong .pcrsig" ||
        { grep -q 'zuki-ukify: error: the UKI ukify made would not unseal' err &&
                ok "zuki-ukify refuses: $(grep 'zuki-ukify: error' err)" || bad "zuki-ukify without the reason: $(tail -n3 err)"; }
no_output plugin-wrong

summary
