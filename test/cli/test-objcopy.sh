#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# objcopy (binutils), which dracut and older UKI builders run over PE images, rewrites the MS-DOS
# header and with it the zboot header. A zuki zboot image that went through it:
#   - is still a zboot image to `zuki inspect` (exit 0), which says the header was rewritten and
#     that the stub finds the payload through .payload (text and --json);
#   - `zuki zboot --repair` restores the header: its fields (0x04..0x3b) equal the original
#     image's except the payload offset, which must point at the same payload bytes (objcopy
#     may lay the file out anew: it shrinks the stub's large header area), to --output or in
#     place; a second repair has nothing to do;
#   - a repair that would break a signature (sbsign after objcopy) is refused with one line, the
#     file unchanged; a PE without a .payload is refused with one line;
#   - `zuki build --linux` takes it as the zboot image it is (not as a plain kernel).
# (The boot of such an image is qemu-zboot-x64-trixie, which boots the objcopy'd image.)
#   test-objcopy.sh ZUKI ZBOOT_IMAGE STUB
set -uo pipefail
# shellcheck disable=SC2015 # "check && ok || bad": ok never fails
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$(realpath "$1") zboot=$(realpath "$2") stub=$(realpath "$3")
need_tool objcopy binutils
make_tmp
cd "$tmp" || fail "cd"

fields() { od -An -v -tx1 -j 4 -N 56 "$1" | tr -d ' \n'; }
# The header without its payload offset (0x08..0x0b), and the payload bytes the header points at.
fields_but_offset() { fields "$1" | sed -E 's/^(.{8}).{8}/\1/'; }
payload() {
        local off size
        off=$(od -An -tu4 -j 8 -N 4 "$1" | tr -d ' ') size=$(od -An -tu4 -j 12 -N 4 "$1" | tr -d ' ')
        tail -c +$((off + 1)) "$1" | head -c "$size" | sha256sum | cut -d' ' -f1
}
objcopy "$zboot" copied.efi || fail "objcopy failed on the zboot image"
[[ $(fields copied.efi) != "$(fields "$zboot")" ]] && ok "objcopy rewrote the zboot header (as it does)" ||
        fail "objcopy left the zboot header alone; nothing to test"

"$zuki" inspect copied.efi >inspect.txt 2>&1 && grep -q '^type: zboot$' inspect.txt &&
        grep -q '^zboot header: rewritten' inspect.txt &&
        ok "inspect: $(grep '^zboot header' inspect.txt | cut -c1-80)..." ||
        bad "inspect of the objcopy'd image: $(head -n 20 inspect.txt)"
[[ $("$zuki" inspect --json copied.efi | "$ZUKI_SYSTEM_PYTHON" -c 'import json,sys; j=json.load(sys.stdin); print(j["type"], j["zboot"]["header"], j["kernel"]["release"] != "")') == "zboot rewritten True" ]] &&
        ok "inspect --json: type zboot, header rewritten, the kernel inside identified" ||
        bad "inspect --json: $("$zuki" inspect --json copied.efi 2>&1 | head -c 300)"

"$zuki" zboot --repair --output repaired.efi copied.efi >out.txt 2>&1 &&
        [[ $(fields_but_offset repaired.efi) == "$(fields_but_offset "$zboot")" ]] &&
        [[ $(payload repaired.efi) == "$(payload "$zboot")" ]] &&
        ok "zboot --repair --output: header fields equal the original's, the offset finds its payload ($(cat out.txt))" ||
        bad "zboot --repair --output: $(cat out.txt)"
"$zuki" inspect repaired.efi | grep -q '^zboot header' && bad "the repaired image still says rewritten" ||
        ok "inspect of the repaired image: header present"
cp copied.efi inplace.efi
"$zuki" zboot --repair inplace.efi >/dev/null 2>&1 && cmp -s inplace.efi repaired.efi &&
        ok "zboot --repair in place gives the same bytes" || bad "in-place repair differs"
"$zuki" zboot --repair inplace.efi 2>&1 | grep -q 'intact, nothing to repair' &&
        ok "a second repair has nothing to do" || bad "second repair"

# Refusals: one line on stderr, exit 1, input unchanged, nothing left beside it.
refuse() {
        local name=$1 file=$2 want=$3 before rc
        before=$(sha256sum <"$file")
        "$zuki" zboot --repair "$file" >/dev/null 2>err
        rc=$?
        if [[ $rc -ne 1 || $(wc -l <err) -ne 1 ]] || ! grep -q -- "$want" err; then
                bad "$name: exit $rc, stderr: $(cat err)"
        elif [[ $(sha256sum <"$file") != "$before" ]] || compgen -G "*zuki-tmp*" >/dev/null; then
                bad "$name: the file changed or a temporary file was left"
        else
                ok "$name refused: $(cat err)"
        fi
}
if command -v sbsign >/dev/null; then
        openssl req -x509 -newkey rsa:2048 -nodes -keyout db.key -out db.crt -subj "/CN=zuki objcopy test/" \
                -days 2 2>/dev/null || fail "openssl req"
        sbsign --key db.key --cert db.crt --output signed.efi copied.efi 2>/dev/null || fail "sbsign"
        refuse "repair of a signed image" signed.efi "is signed: restoring its zboot header would break the signature"
else
        echo "skipped: the signed-image refusal (sbsign not installed)"
fi
cp "$stub" stub.efi
refuse "repair of a PE without .payload" stub.efi "is not a zuki zboot image"

# zuki build takes the objcopy'd image as the zboot image it is.
"$zuki" build --stub "$stub" --linux copied.efi --cmdline "console=ttyS0" --no-os-release --output uki.efi \
        >build.txt 2>&1 && [[ $("$zuki" inspect --json uki.efi | "$ZUKI_SYSTEM_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["linux"]["type"])') == zboot ]] &&
        ok "zuki build --linux: .linux is the zboot image" || bad "zuki build --linux copied.efi: $(cat build.txt)"

summary
