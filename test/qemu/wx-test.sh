#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# W^X of the kernel image under firmware with EFI_MEMORY_ATTRIBUTE_PROTOCOL: the stub's read-back
# of every page of the image (GetMemoryAttributes, i.e. what the firmware's page tables now say)
# finds no page writable and executable, and the kernel boots. The same UKI on the test-only stub
# that skips setting the attributes must report writable+executable pages: the check can fail.
#   wx-test.sh --zuki ZUKI --arch ARCH --firmware FW --stub STUB --nowx-stub STUB --kernel K
#              --initrd I --console TTY
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
while (($#)); do
        case $1 in
        --zuki) zuki=$2 ;; --arch) arch=$2 ;; --firmware) firmware=$2 ;; --stub) stub=$2 ;;
        --nowx-stub) nowx=$2 ;; --kernel) kernel=$2 ;; --initrd) initrd=$2 ;; --console) console=$2 ;;
        *) echo "wx-test: unknown argument $1" >&2; exit 2 ;;
        esac
        shift 2
done
make_tmp

wx_line='zuki: W\^X: [0-9]+ pages read-only\+executable, [0-9]+ writable\+non-executable'
for variant in real nowx; do
        s=$stub
        [[ $variant == nowx ]] && s=$nowx
        "$zuki" build --stub "$s" --linux "$kernel" --level 3 --initrd "$initrd" \
                --cmdline "console=$console panic=-1" --no-os-release --output "$tmp/$variant.efi" >/dev/null ||
                fail "zuki build ($variant)"
        if [[ $variant == real ]]; then
                expect=(--expect "$wx_line, 0 writable\+executable, 0 other" --expect 'ZUKI-GUEST: booted')
        else
                expect=(--expect "$wx_line, [1-9][0-9]* writable\+executable")
        fi
        bash "$here/boot.sh" --arch "$arch" --firmware "$firmware" --kernel "$tmp/$variant.efi" --timeout 240 \
                "${expect[@]}" --expect-not 'zuki: error' --log "$tmp/$variant.log" >"$tmp/$variant.out" 2>&1
        rc=$?
        [[ $rc -eq 77 ]] && { cat "$tmp/$variant.out"; exit 77; }
        grep -a -m1 'zuki: W^X' "$tmp/$variant.log" | sed "s/^/$variant: /"
        [[ $rc -eq 0 ]] || { tail -n 3 "$tmp/$variant.out"; fail "$variant stub under $firmware"; }
done
echo PASS
