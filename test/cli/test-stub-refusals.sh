#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What the stub refuses, the host refuses first (docs/limits.md): for zboot images with one thing
# wrong each (make-bad-zboot.py), `zuki inspect` exits non-zero naming the stub's reason and
# `zuki build --linux` refuses with that one line and writes nothing; so does a .cmdline longer
# than the kernel's setup-header cmdline_size.
#   test-stub-refusals.sh ZUKI ZBOOT_IMAGE
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$1 good=$2
here=$(dirname "${BASH_SOURCE[0]}")
need_tool zstd zstd
make_tmp

# One line on stderr matching `regex`, non-zero exit, no output file.
refused() {
        local name=$1 regex=$2 rc=$3 lines
        lines=$(wc -l <"$tmp/stderr")
        if [[ $rc -eq 0 || $lines -ne 1 ]] || ! grep -Eq "^zuki: .*$regex" "$tmp/stderr" || [[ -e $tmp/uki.efi ]]; then
                bad "$name: exit $rc, stderr: $(cat "$tmp/stderr")"
        else
                ok "$name -> $(cat "$tmp/stderr")"
        fi
}

declare -A reason=(
        [payload-size-0]='malformed zboot header'
        [skippable-frame]='skippable zstd frame'
        [gzip-x86boot]='must be zstd-compressed'
        [x86boot-overlap]='segments are unaligned, out of order, overlapping'
        [x86boot-entry]='entry point is not inside an executable segment'
        [x86boot-setup-size]='setup header in .x86boot is malformed'
        [cmdline-size]='impossible cmdline_size'
        [reloc-outside]='relocation table is malformed or points outside'
)

"$zuki" inspect "$good" >/dev/null 2>"$tmp/stderr" || bad "inspect of the good image: $(cat "$tmp/stderr")"
for mode in "${!reason[@]}"; do
        /usr/bin/python3 "$here/make-bad-zboot.py" "$mode" "$good" "$tmp/$mode.efi" || { bad "$mode: generator"; continue; }
        "$zuki" inspect "$tmp/$mode.efi" >/dev/null 2>"$tmp/stderr"
        refused "inspect $mode" "${reason[$mode]}" $?
        "$zuki" build --linux "$tmp/$mode.efi" --no-os-release --output "$tmp/uki.efi" >/dev/null 2>"$tmp/stderr"
        refused "build $mode" "${reason[$mode]}" $?
done

# Debian's kernel says cmdline_size 2047: a longer .cmdline is one the stub would refuse.
head -c 3014 /dev/zero | tr '\0' x >"$tmp/cmdline"
"$zuki" build --linux "$good" --no-os-release --cmdline "@$tmp/cmdline" --output "$tmp/uki.efi" >/dev/null 2>"$tmp/stderr"
refused "build --cmdline 3014 bytes" "longer than the kernel's cmdline_size \(3014 bytes, the kernel allows 2047\)" $?
head -c 2047 /dev/zero | tr '\0' x >"$tmp/cmdline"
"$zuki" build --linux "$good" --no-os-release --cmdline "@$tmp/cmdline" --output "$tmp/fits.efi" >/dev/null 2>"$tmp/stderr" ||
        bad "build --cmdline 2047 bytes: $(cat "$tmp/stderr")"
summary
