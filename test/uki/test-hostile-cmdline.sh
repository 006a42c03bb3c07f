#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A UKI whose .cmdline is huge (beyond the stub's 16 KiB limit) or not UTF-8: the stub refuses it
# with one line before measuring or starting anything, and the firmware moves on. The host
# refuses first: `zuki build` (even with --section) and `zuki check-policy` give the same reason
# from the same boot model; so the UKIs are made by the distribution's ukify, as another tool
# would make them.
#   test-hostile-cmdline.sh ZUKI STUB ZBOOT_IMAGE
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$1 stub=$2 linux=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
load_assets
need_asset ZUKI_UKIFY "ukify 257"
make_tmp

/usr/bin/python3 -c 'open("'"$tmp"'/huge", "w").write("console=ttyS0 " + "x" * 20000)'
printf 'console=ttyS0 caf\xe9 \xff\xfe' >"$tmp/latin1"
declare -A want=(
        [huge]='zuki: error: The .cmdline section is longer than the limit of 16384 bytes'
        [latin1]='zuki: error: The .cmdline section is not valid UTF-8'
)
declare -A host=(
        [huge]='the .cmdline section is longer than the command-line limit (16384)'
        [latin1]='the .cmdline section is not valid UTF-8'
)
for name in huge latin1; do
        "$zuki" build --stub "$stub" --linux "$linux" --no-os-release --section ".cmdline:@$tmp/$name" \
                --output "$tmp/$name-zuki.efi" >/dev/null 2>"$tmp/err" && fail "zuki build accepted the $name .cmdline"
        grep -qF "${host[$name]}" "$tmp/err" || fail "zuki build ($name) refused without the reason: $(cat "$tmp/err")"
        [[ ! -e $tmp/$name-zuki.efi ]] || fail "zuki build ($name) left its output"
        echo "ok: zuki build refuses: $(cat "$tmp/err")"
        "$ZUKI_PYTHON" "$ZUKI_UKIFY" build --stub "$stub" --linux "$linux" --cmdline "@$tmp/$name" \
                --output "$tmp/$name.efi" >/dev/null 2>&1 || fail "ukify build ($name)"
        "$zuki" check-policy "$tmp/$name.efi" >/dev/null 2>"$tmp/err" && fail "zuki check-policy accepts the $name .cmdline"
        grep -qF "${host[$name]}" "$tmp/err" || fail "check-policy ($name) without the reason: $(cat "$tmp/err")"
        echo "ok: zuki check-policy refuses ukify's UKI: $(cat "$tmp/err")"
        bash "$here/../qemu/boot.sh" --arch x86_64 --firmware bookworm --kernel "$tmp/$name.efi" --timeout 30 \
                --expect "${want[$name]}" --expect 'Boot[0-9A-F]{4} "EFI Internal Shell"' \
                --expect-not 'EFI stub|Linux version' >"$tmp/$name.out" 2>&1 || { tail -n 3 "$tmp/$name.out"; fail "$name"; }
        echo "ok: $name: $(grep -a -m1 'zuki: error' "$tmp/$name.out")"
done
echo PASS
