#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The TPM dies while the stub measures a UKI: swtpm is killed as soon as the firmware starts the
# UKI, whose 64 MiB .initrd keeps the firmware hashing for seconds (so the kill lands inside the
# stub's measurements: usually in PCR 11's, sometimes already in the SMBIOS measurements into
# PCR 1 that come first; either is the one failure the stub may report). QEMU's TPM backend then answers every command with a failure.
# The stub must not hang, must say so in exactly one warning line (a dead TPM is not tried again,
# neither for PCR 11 nor for PCR 9 on the x86 direct path), must boot on, and must not claim the
# measurement: the guest sees StubInfo but no StubPcrKernelImage or StubPcrKernelParameters.
#   test-tpm-dies.sh ZUKI STUB ZBOOT_IMAGE INITRD
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$1 stub=$2 linux=$3 initrd=$4
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
make_tmp

# Zeros between cpio archives are skipped by the kernel's initramfs unpacker.
truncate -s 64M "$tmp/zeros"
"$zuki" build --stub "$stub" --linux "$linux" --initrd "$initrd" --initrd "$tmp/zeros" --no-os-release \
        --cmdline 'console=ttyS0 panic=-1' --output "$tmp/uki.efi" >/dev/null || fail "zuki build"
bash "$here/../qemu/boot.sh" --arch x86_64 --firmware bookworm --tpm --tpm-fault-on 'BdsDxe: starting' \
        --esp-image "$tmp/uki.efi" --timeout 180 --log "$tmp/serial.log" \
        --expect 'ZUKI-GUEST: done' --expect 'ZUKI-GUEST: efivar StubInfo zuki ' \
        --expect-not 'ZUKI-GUEST: efivar StubPcrKernel' --expect-not 'zuki: error' >"$tmp/boot.out" 2>&1 ||
        { grep -v eventlog "$tmp/boot.out"; fail "boot"; }
grep -a -E '^boot.sh: (sent|elapsed)' "$tmp/boot.out"

mapfile -t warnings < <(grep -a -E '^zuki: (warning|error)' "$tmp/serial.log")
((${#warnings[@]} == 1)) || fail "want exactly one warning line, got ${#warnings[@]}: ${warnings[*]}"
[[ ${warnings[0]} =~ ^zuki:\ warning:\ Measuring\ into\ PCR\ (1|11)\ failed\ .*booting\ on ]] ||
        fail "not the measurement warning: ${warnings[0]}"
echo "ok: one line: ${warnings[0]}"
echo "ok: the guest booted, sees StubInfo and no StubPcrKernelImage/StubPcrKernelParameters"
# What the guest makes of a TPM whose backend is gone: every command fails, the kernel's TIS
# probe gives up, so no PCR can be read there either.
grep -a -q '^ZUKI-GUEST: tpm no$' "$tmp/serial.log" || fail "the guest still sees a TPM: $(grep -a 'ZUKI-GUEST: pcr' "$tmp/serial.log")"
echo "ok: the guest has no usable TPM ($(grep -a -m1 -E 'tpm tpm0:|tpm_tis' "$tmp/serial.log" | sed 's/^\[[ 0-9.]*\] //'))"
echo PASS
