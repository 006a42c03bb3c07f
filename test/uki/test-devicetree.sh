#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A UKI's .dtb becomes the devicetree the arm64 kernel boots with. The devicetree is QEMU's own
# for the machine boot.sh starts (dumped with the same options, firmware included, since QEMU
# hides devices the firmware owns), with the model changed to one the guest must then report.
#   test-devicetree.sh ZUKI STUB ZBOOT_IMAGE INITRD
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$1 stub=$2 linux=$3 initrd=$4
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
load_assets
need_tool dtc device-tree-compiler
make_tmp

cp "$ZUKI_AAVMF_BOOKWORM_VARS" "$tmp/vars.fd"
qemu-system-aarch64 -machine "virt,dumpdtb=$tmp/virt.dtb" -cpu cortex-a57 -m 1024 -smp 1 -nodefaults \
        -display none -net none \
        -drive "if=pflash,format=raw,unit=0,readonly=on,file=$ZUKI_AAVMF_BOOKWORM_CODE" \
        -drive "if=pflash,format=raw,unit=1,file=$tmp/vars.fd" >/dev/null 2>&1 || fail "dumping QEMU's devicetree"
model="zuki test machine $RANDOM"
dtc -q -I dtb -O dts "$tmp/virt.dtb" | sed "s/^\(\s*model = \)\".*\";/\1\"$model\";/" |
        dtc -q -I dts -O dtb -o "$tmp/zuki.dtb" - || fail "editing the devicetree"

mkdir "$tmp/hook"
# shellcheck disable=SC2016 # expanded in the guest
printf 'echo "ZUKI-GUEST: dt-model $(tr -d "\\\\000" < /proc/device-tree/model)"\n' >"$tmp/hook/zuki-hook.sh"
(cd "$tmp/hook" && echo zuki-hook.sh | cpio -o -H newc -R 0:0 --quiet >"$tmp/hook.cpio")

"$zuki" build --stub "$stub" --linux "$linux" --initrd "$initrd" --initrd "$tmp/hook.cpio" \
        --devicetree "$tmp/zuki.dtb" --cmdline "console=ttyAMA0 panic=-1" --no-os-release \
        --output "$tmp/uki.efi" || fail "zuki build"
bash "$here/../qemu/boot.sh" --arch aarch64 --firmware bookworm --kernel "$tmp/uki.efi" --timeout 240 \
        --expect "ZUKI-GUEST: dt-model $model" --expect "Machine model: $model" --expect-not 'zuki: (error|warning)'
