#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Writing verbs refuse an output that is one of their inputs, under any name (the same path,
# ./path, a symlink, a hard link): one line on stderr, exit 1, and the input unchanged (same
# sha256) with no temporary file left. `zuki sign` still signs its IMAGE in place.
#   test-output-over-input.sh ZUKI KERNEL   (ZUKI_STUB_DIR names the stubs)
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$(realpath "$1") kernel=$2
make_tmp

# refuse NAME INPUT_FILE -- zuki args...: INPUT_FILE must be byte for byte what it was.
refuse() {
        local name=$1 input=$2 before rc lines
        shift 3
        before=$(sha256sum <"$input")
        (cd "$tmp" && "$zuki" "$@") >/dev/null 2>"$tmp/stderr"
        rc=$?
        lines=$(wc -l <"$tmp/stderr")
        if [[ $rc -ne 1 || $lines -ne 1 ]] || ! grep -Eq '^zuki: Output .* would replace the input ' "$tmp/stderr"; then
                bad "$name: exit $rc, stderr: $(cat "$tmp/stderr")"
        elif [[ $(sha256sum <"$input") != "$before" ]]; then
                bad "$name: $input changed"
        elif compgen -G "$tmp/*zuki-tmp*" >/dev/null; then
                bad "$name: a temporary file was left behind"
        else
                ok "$name -> $(cat "$tmp/stderr")"
        fi
}

cp "$kernel" "$tmp/kernel"
head -c 4096 /dev/urandom >"$tmp/initrd"
head -c 4096 /dev/urandom >"$tmp/ucode"
echo "console=ttyS0" >"$tmp/cmdline"
echo "hello" >"$tmp/extra"
ln -s kernel "$tmp/kernel-link"
ln "$tmp/kernel" "$tmp/kernel-hard"
stub="${ZUKI_STUB_DIR:?}/zukix64.efi.stub"
cp "$stub" "$tmp/stub"
build=(build --linux kernel --no-os-release --initrd initrd)

refuse "build over the kernel" "$tmp/kernel" -- "${build[@]}" --output kernel
refuse "build over ./kernel" "$tmp/kernel" -- "${build[@]}" --output ./kernel
refuse "build over the initrd" "$tmp/initrd" -- "${build[@]}" --output initrd
refuse "build over a symlink to the kernel" "$tmp/kernel" -- "${build[@]}" --output kernel-link
refuse "build over a hard link of the kernel" "$tmp/kernel" -- "${build[@]}" --output kernel-hard
refuse "build over the microcode" "$tmp/ucode" -- "${build[@]}" --microcode ucode --output "$tmp/ucode"
refuse "build over the --cmdline @file" "$tmp/cmdline" -- "${build[@]}" --cmdline @cmdline --output cmdline
refuse "build over a --section file" "$tmp/extra" -- "${build[@]}" --section .extra:@extra --output extra
refuse "build over the stub" "$tmp/stub" -- "${build[@]}" --stub stub --output stub
refuse "zboot over the kernel" "$tmp/kernel" -- zboot --output kernel kernel
refuse "zboot over a symlink to the kernel" "$tmp/kernel" -- zboot --output kernel-link kernel
refuse "zboot over the stub" "$tmp/stub" -- zboot --stub stub --output stub kernel
if [[ -L $tmp/kernel-link && $(readlink "$tmp/kernel-link") == kernel ]]; then
        ok "the symlink is still a symlink to the kernel"
else
        bad "the symlink was replaced"
fi

"$zuki" genkey --secureboot-private-key "$tmp/sb.key" --secureboot-certificate "$tmp/sb.crt" >/dev/null
cp "$tmp/sb.crt" "$tmp/chain.crt"
"$zuki" zboot --level 1 --output "$tmp/image.efi" "$tmp/kernel" >/dev/null
sign=(sign --private-key sb.key --certificate sb.crt --chain chain.crt)
refuse "sign over its key" "$tmp/sb.key" -- "${sign[@]}" --output sb.key image.efi
refuse "sign over its certificate" "$tmp/sb.crt" -- "${sign[@]}" --output ./sb.crt image.efi
refuse "sign over a chain certificate" "$tmp/chain.crt" -- "${sign[@]}" --output chain.crt image.efi
if (cd "$tmp" && "$zuki" "${sign[@]}" image.efi >/dev/null) && "$zuki" verify --certificate "$tmp/sb.crt" "$tmp/image.efi" >/dev/null; then
        ok "sign still signs its image in place"
else
        bad "sign in place"
fi
summary
