#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zuki's main job, end to end, on a fresh Debian 12 machine (as root): set everything up, build,
# wrap Debian's own kernel into a zuki zboot image, and boot it in QEMU under OVMF from
# systemd-boot with a small busybox initrd (x86_64, then arm64 under AAVMF); then the installed
# system (issue 18, short form): the Debian trixie image tools/setup.sh built offline (zuki's .deb,
# systemd-boot, a LUKS2 root, a zuki UKI kernel-install made inside it) gets a TPM2 token with a
# signed PCR 11 policy and boots, and the TPM unseals its root. Prints the guest's own lines.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

if [[ $(id -u) -eq 0 ]]; then tools/setup.sh; else sudo tools/setup.sh; fi
cache=${ZUKI_CACHE:-/var/cache/zuki}
# shellcheck source=/dev/null
source "$cache/assets.env"

build=${ZUKI_BUILD_DIR:-build}
[[ -f $build/build.ninja ]] || meson setup "$build" -Dzstd_source="$ZUKI_ZSTD_SRC"
echo "demo: building zuki"
meson compile -C "$build" zuki:executable zukix64.efi.stub:custom zukiaa64.efi.stub:custom >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kernel=$ZUKI_KERNEL_BOOKWORM_AMD64
echo "demo: wrapping $kernel (Debian $ZUKI_KERNEL_BOOKWORM_AMD64_RELEASE)"
"$build/src/zuki/zuki" zboot --output "$work/zuki.efi" "$kernel"
"$build/src/zuki/zuki" inspect "$work/zuki.efi" | sed -n '/^zboot\|^kernel/p'
test/qemu/make-initrd.sh "$work/initrd.img" --arch x86_64 >/dev/null

echo "demo: booting it in QEMU (TCG) from systemd-boot under OVMF"
test/qemu/boot.sh --arch x86_64 --firmware bookworm \
        --esp-image "$ZUKI_SYSTEMD_BOOT_X64" \
        --esp-file "$work/zuki.efi=zuki.efi" --esp-file "$work/initrd.img=initrd.img" \
        --esp-file test/qemu/sdboot/loader.conf=loader/loader.conf \
        --esp-file test/qemu/sdboot/zuki.conf=loader/entries/zuki.conf \
        --expect 'ZUKI-GUEST: booted' --expect-not 'zuki: error' \
        --log "$work/serial.log" >"$work/boot.out" 2>&1 || { cat "$work/boot.out"; exit 1; }
grep -a -E '^ZUKI-GUEST: (booted|uname|cmdline)' "$work/serial.log"
tail -n 2 "$work/boot.out"
printf 'demo: kernel %d bytes, zuki zboot image %d bytes\n' "$(stat -c %s "$kernel")" "$(stat -c %s "$work/zuki.efi")"

# The same for arm64, where the kernel is an uncompressed Image and zstd shrinks it most.
kernel=$ZUKI_KERNEL_BOOKWORM_ARM64
echo "demo: wrapping $kernel (Debian $ZUKI_KERNEL_BOOKWORM_ARM64_RELEASE) and booting it under AAVMF"
"$build/src/zuki/zuki" zboot --output "$work/zuki-aa64.efi" "$kernel"
test/qemu/make-initrd.sh "$work/initrd-aa64.img" --arch aarch64 >/dev/null
test/qemu/boot.sh --arch aarch64 --firmware bookworm --kernel "$work/zuki-aa64.efi" \
        --initrd "$work/initrd-aa64.img" --append "console=ttyAMA0 panic=-1" \
        --expect 'ZUKI-GUEST: booted' --expect-not 'zuki: error' \
        --log "$work/serial-aa64.log" >"$work/boot-aa64.out" 2>&1 || { cat "$work/boot-aa64.out"; exit 1; }
grep -a -E '^ZUKI-GUEST: (booted|uname)' "$work/serial-aa64.log"
tail -n 2 "$work/boot-aa64.out"
printf 'demo: arm64 kernel %d bytes, zuki zboot image %d bytes\n' "$(stat -c %s "$kernel")" "$(stat -c %s "$work/zuki-aa64.efi")"

# The installed system: enrol the TPM2 token, boot, the root unsealed by the TPM (the full life
# cycle is `meson test --suite lifecycle`).
echo "demo: Debian trixie with a LUKS2 root, booted from the zuki UKI kernel-install made inside it"
status=0
bash test/lifecycle/test-lifecycle-unseal.sh --short || status=$?
if ((status == 77)); then
        echo "demo: the installed-system part was skipped (see the SKIP line above)"
elif ((status != 0)); then
        exit "$status"
fi
