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

# .dtbauto (systemd 257+): the same kind of UKI with the .dtb above and two .dtbauto sections,
# chosen by the CHIDs of the machine's SMBIOS strings against .hwids (a test entry whose CHIDs
# fwupd computed for these strings, the one the parity extras case uses). With the strings QEMU
# reports, the matching .dtbauto replaces the .dtb and is measured into PCR 11: the guest's PCR
# 11 equals zuki measure told the same SMBIOS strings, and differs from the prediction without.
hwids=$here/../qemu/parity/cases/extras/EFI/BOOT/BOOTX64.EFI.extra.d/per-uki.addon.efi.src/hwids
auto_model="zuki dtbauto machine $RANDOM"
dtc -q -I dtb -O dts "$tmp/virt.dtb" |
        sed -e "s/^\(\s*model = \)\".*\";/\1\"$auto_model\";/" \
                -e "0,/^\tcompatible = \(.*\);\$/s//\tcompatible = \"qemu,zuki-dtbauto-test\", \1;/" |
        dtc -q -I dts -O dtb -o "$tmp/auto.dtb" - || fail "making the matching .dtbauto"
dtc -q -I dtb -O dts "$tmp/virt.dtb" |
        sed -e "s/^\(\s*model = \)\".*\";/\1\"zuki dtbauto other\";/" \
                -e "0,/^\tcompatible = \(.*\);\$/s//\tcompatible = \"other,board\", \1;/" |
        dtc -q -I dts -O dtb -o "$tmp/other.dtb" - || fail "making the other .dtbauto"
# The guest hook also reads PCR 11 through the TIS registers (test/qemu/tis-pcr-read.sh).
mkdir "$tmp/hook-auto"
cat "$tmp/hook/zuki-hook.sh" "$here/../qemu/tis-pcr-read.sh" >"$tmp/hook-auto/zuki-hook.sh"
(cd "$tmp/hook-auto" && echo zuki-hook.sh | cpio -o -H newc -R 0:0 --quiet >"$tmp/hook-auto.cpio")
"$zuki" build --stub "$stub" --linux "$linux" --initrd "$initrd" --initrd "$tmp/hook-auto.cpio" \
        --devicetree "$tmp/zuki.dtb" --hwids "$hwids" --dtbauto "$tmp/other.dtb" --dtbauto "$tmp/auto.dtb" \
        --cmdline "console=ttyAMA0 panic=-1" --no-os-release --output "$tmp/auto.efi" || fail "zuki build with .dtbauto"
"$ZUKI_SYSTEM_PYTHON" "$here/../lib/make-smbios.py" "$tmp/smbios.bin" "Acme Corp" "Widget 3000" "Widget Family" \
        SKU-77 "Acme Boards" WB-1 || fail "make-smbios.py"
bash "$here/../qemu/boot.sh" --arch aarch64 --firmware bookworm --kernel "$tmp/auto.efi" --timeout 240 --tpm \
        --qemu-arg -smbios --qemu-arg "type=1,manufacturer=Acme Corp,product=Widget 3000,family=Widget Family,sku=SKU-77" \
        --qemu-arg -smbios --qemu-arg "type=2,manufacturer=Acme Boards,product=WB-1" --log "$tmp/auto.log" \
        --expect "ZUKI-GUEST: dt-model $auto_model" --expect "Machine model: $auto_model" \
        --expect-not 'zuki: (error|warning)' || fail "the matching .dtbauto was not installed"
# arm64 guests read PCRs through the TIS registers: a TPM2_PCR_Read response, the digest last.
tis=$(grep -a -m1 '^ZUKI-GUEST: tis-pcr11 ' "$tmp/auto.log" | cut -d' ' -f3)
[[ ${#tis} -eq 124 && ${tis:12:8} == 00000000 ]] || fail "reading PCR 11 through the TIS registers: '$tis'"
guest=${tis: -64}
predicted=$("$zuki" measure --phase : --smbios-file "$tmp/smbios.bin" "$tmp/auto.efi" | sed -n 's/^11:sha256=\([0-9a-f]*\).*/\1/p')
without=$("$zuki" measure --phase : "$tmp/auto.efi" | sed -n 's/^11:sha256=\([0-9a-f]*\).*/\1/p')
[[ -n $guest && ${guest^^} == "${predicted^^}" ]] || fail "PCR 11: guest '$guest', zuki measure --smbios-file '$predicted'"
[[ ${without^^} != "${predicted^^}" ]] || fail "zuki measure predicts the same PCR 11 without the machine's SMBIOS"
echo "ok: .dtbauto chosen by SMBIOS CHIDs installed and measured (PCR 11 $guest = zuki measure --smbios-file)"
