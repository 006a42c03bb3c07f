#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A boot loader whose LoadFile2 initrd declares an absurd size (all ones, a size whose page count
# wraps, just over kMaxInitrdSize, more than the guest's memory, or a small size that grows on the
# read): initrd-liar.efi registers each in turn and starts a zuki UKI from the ESP. For every
# case the stub must print one error line and return an error status, never try to read an
# over-limit initrd, and the kernel must never start; the whole run stays within 30 s.
#   test-initrd-liar.sh ZUKI STUB ZBOOT_IMAGE INITRD_LIAR_EFI
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$1 stub=$2 linux=$3 liar=$4
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
make_tmp

"$zuki" build --stub "$stub" --linux "$linux" --no-os-release --cmdline 'console=ttyS0 panic=-1' \
        --output "$tmp/uki.efi" >/dev/null || fail "zuki build"
bash "$here/../qemu/boot.sh" --arch x86_64 --firmware bookworm --esp-image "$liar" \
        --esp-file "$tmp/uki.efi=EFI/zuki/uki.efi" --timeout 30 --log "$tmp/serial.log" \
        --expect 'initrd-liar: done' --expect 'Boot[0-9A-F]{4} "EFI Internal Shell"' \
        --expect-not 'EFI stub|Linux version|Booting Linux' >"$tmp/boot.out" 2>&1 ||
        { cat "$tmp/boot.out"; fail "boot"; }
grep -a 'boot.sh: elapsed' "$tmp/boot.out"

limit=$((2 << 30))
# case name, the stub's line, whether the stub may have called LoadFile with a buffer
cases=(
        "all-ones|zuki: error: The boot loader's initrd declares 18446744073709551615 bytes, the limit is $limit: EFI_BAD_BUFFER_SIZE|0"
        "page-wrap|zuki: error: The boot loader's initrd declares 18446744073709547521 bytes, the limit is $limit: EFI_BAD_BUFFER_SIZE|0"
        "over-limit|zuki: error: The boot loader's initrd declares $((limit + 1)) bytes, the limit is $limit: EFI_BAD_BUFFER_SIZE|0"
        "beyond-memory|zuki: error: Failed to allocate 1879048192 bytes: EFI_OUT_OF_RESOURCES|0"
        "grows|zuki: error: Failed to read the boot loader's initrd: EFI_BUFFER_TOO_SMALL|1"
)
# The serial log, from the first case on, as "stub lines, then the case line" blocks.
mapfile -t lines < <(grep -a -E '^(zuki: |initrd-liar: case )' "$tmp/serial.log")
i=0
for c in "${cases[@]}"; do
        IFS='|' read -r name want reads <<<"$c"
        block=()
        while ((i < ${#lines[@]})) && [[ ${lines[i]} != "initrd-liar: case "* ]]; do
                block+=("${lines[i]}")
                i=$((i + 1))
        done
        ((i < ${#lines[@]})) || fail "$name: no result line"
        result=${lines[i]}
        i=$((i + 1))
        [[ $result == "initrd-liar: case $name "* ]] || fail "$name: out of order: $result"
        [[ $result =~ StartImage\ returned\ 0x8[0-9a-f]{15} ]] || fail "$name: no error status: $result"
        [[ $result == *"(reads 0x$(printf %016x "$reads"))" ]] || fail "$name: LoadFile reads: $result"
        ((${#block[@]} == 1)) || fail "$name: want exactly one zuki line, got ${#block[@]}: ${block[*]}"
        [[ ${block[0]} == "$want" ]] || fail "$name: got '${block[0]}', want '$want'"
        echo "ok: $name: ${block[0]}; ${result#initrd-liar: case "$name" }"
done
((i == ${#lines[@]})) || fail "unexpected lines after the last case: ${lines[*]:i}"
echo PASS
