#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zuki build on bad input: one line on stderr, non-zero exit, no output file.
#   test-build-refusals.sh ZUKI ZBOOT_IMAGE
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$1 linux=$2
make_tmp

refuse() {
        local name=$1 regex=$2
        shift 2
        local -a base=(--linux "$linux" --no-os-release)
        [[ $1 == --addon ]] && base=() # zuki build --addon: no kernel
        "$zuki" build "${base[@]}" --output "$tmp/uki.efi" "$@" >/dev/null 2>"$tmp/stderr"
        local rc=$? lines
        lines=$(wc -l <"$tmp/stderr")
        if [[ $rc -eq 0 || $lines -ne 1 ]] || ! grep -Eq "^zuki: $regex" "$tmp/stderr" || [[ -e $tmp/uki.efi ]] ||
                compgen -G "$tmp/*zuki-tmp*" >/dev/null; then
                bad "$name: exit $rc, stderr: $(cat "$tmp/stderr")"
        else
                ok "$name -> $(cat "$tmp/stderr")"
        fi
}

refuse "section name with capitals" 'Invalid section name ".Bad"' --section .Bad:x
refuse "section name too long" 'Invalid section name ".toolong1"' --section .toolong1:x
refuse "section name without a dot" 'Invalid section name "linux"' --section linux:x
refuse "duplicate section" 'Duplicate section .cmdline' --cmdline x --section .cmdline:y
refuse "section clashing with the stub" 'Duplicate section .text' --section .text:x
refuse "missing initrd" 'Cannot open .*/nonexistent' --initrd "$tmp/nonexistent"
refuse "missing @file" 'Cannot open .*/nonexistent' --cmdline "@$tmp/nonexistent"
refuse "empty section" 'Section .cmdline would be empty' --cmdline ""
refuse "profile option without a profile" '--profile-cmdline must follow a --profile' --profile-cmdline x
refuse "no --output" 'zuki build needs --output' --output ""
printf 'console=ttyS0 caf\xe9' >"$tmp/latin1"
refuse "command line not UTF-8" 'The command line is not valid UTF-8' --cmdline "@$tmp/latin1"
head -c 20000 /dev/zero | tr '\0' x >"$tmp/huge"
refuse "command line too long" 'The command line is 20000 bytes long, the limit is 16384' --cmdline "@$tmp/huge"

# zuki build --addon (UKI addons on zukiaddon<arch>.efi.stub).
refuse "addon with a kernel" '--linux does not go into an addon' --addon --cmdline x --linux "$linux"
refuse "addon with a PCR key" '--pcr-private-key does not go into an addon' --addon --cmdline x --pcr-private-key k.pem
refuse "addon with an os-release" '--os-release does not go into an addon' --addon --cmdline x --os-release ID=x
refuse "addon with nothing in it" '--addon needs something to add' --addon
refuse "addon for an unknown architecture" '--efi-arch: x64, aa64 or riscv64, not ia32' --addon --efi-arch ia32 --cmdline x
refuse "addon command line not UTF-8" 'The command line is not valid UTF-8' --addon --cmdline "@$tmp/latin1"
refuse "addon with a .linux section" '--section .linux does not go into an addon' --addon --cmdline x --section .linux:x
refuse "addon of an extra section only" '--addon needs something to add' --addon --section .extra:x
refuse "addon stub of another architecture" '--efi-arch aa64 but the stub .* is for x86_64' --addon --cmdline x \
        --efi-arch aa64 --stub "${ZUKI_STUB_DIR:?}/zukiaddonx64.efi.stub"
refuse "--efi-arch for a UKI" '--efi-arch is for --addon' --efi-arch x64
summary
