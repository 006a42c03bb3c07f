#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A UKI started by systemd-boot from a Type #1 entry with an extra "initrd" line: the boot loader
# registers that initrd through LoadFile2 before starting the UKI, and the kernel must get it
# together with the UKI's own .initrd (and the /.extra archive).
#   test-loader-initrd.sh UKI SYSTEMD_BOOT OS_RELEASE
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
uki=$1 sdboot=$2 osrel=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
make_tmp

# The extra initrd holds only a hook that the guest's /init runs before reporting "done".
mkdir "$tmp/hook"
printf 'echo "ZUKI-GUEST: loader-initrd yes"\n' >"$tmp/hook/zuki-hook.sh"
(cd "$tmp/hook" && echo zuki-hook.sh | cpio -o -H newc -R 0:0 --quiet >"$tmp/hook.cpio")
printf 'timeout 0\ndefault uki.conf\n' >"$tmp/loader.conf"
printf 'title zuki UKI with a boot loader initrd\nlinux /uki.efi\ninitrd /hook.cpio\noptions console=ttyS0 panic=-1\n' \
        >"$tmp/uki.conf"

bash "$here/../qemu/boot.sh" --arch x86_64 --firmware bookworm --esp-image "$sdboot" \
        --esp-file "$uki=uki.efi" --esp-file "$tmp/hook.cpio=hook.cpio" \
        --esp-file "$tmp/loader.conf=loader/loader.conf" --esp-file "$tmp/uki.conf=loader/entries/uki.conf" \
        --expect 'ZUKI-GUEST: loader-initrd yes' --expect 'ZUKI-GUEST: booted' \
        --expect "ZUKI-GUEST: extra /.extra/os-release $(sha256sum "$osrel" | cut -d' ' -f1)" \
        --expect 'ZUKI-GUEST: efivar StubInfo zuki' \
        --expect 'ZUKI-GUEST: efivar StubImageIdentifier .uki.efi$' \
        --expect 'ZUKI-GUEST: efivar LoaderImageIdentifier .EFI.BOOT.BOOTX64.EFI$' \
        --expect 'ZUKI-GUEST: efivar LoaderInfo systemd-boot' --expect-not 'zuki: (error|warning)' --timeout 240
