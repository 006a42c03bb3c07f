#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A stand-in early microcode archive (uncompressed newc cpio, as .ucode holds): the kernel
# unpacks it like any initramfs, and the stub measures and orders it; no CPU loads it.
set -euo pipefail
out=$(realpath -m "$1")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/kernel/x86/microcode"
echo "zuki test microcode" >"$dir/kernel/x86/microcode/GenuineIntel.bin"
(cd "$dir" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet >"$out")
