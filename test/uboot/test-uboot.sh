#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Every kind of image zuki makes, booted on arm64 the way most boards start EFI applications:
# through U-Boot's UEFI (Debian's u-boot-qemu), from BOOTAA64.EFI on a GPT/FAT ESP, with a
# software TPM (tpm-tis-device, which U-Boot drives as EFI_TCG2_PROTOCOL) and virtio-rng.
#
#   test-uboot.sh FIRMWARE ZUKI STUB ZBOOT ZBOOT_CORRUPT INITRD OS_RELEASE
#   FIRMWARE: uboot-bookworm (2023.01) | uboot-trixie (2025.01)
# Environment (for zuki-ukify): ZUKI_UKIFY_PLUGIN, ZUKI_STUB_DIR, ZUKI_UKIFY_TOOLS.
#
# One boot per image kind:
#   zboot        `zuki zboot` image: the kernel starts; the missing Memory Attribute Protocol is
#                one info line, never a warning or an error
#   corrupt      a zboot image whose payload is damaged: one "zuki: error" line, back to U-Boot
#   uki          `zuki build` (compressed), two profiles, a signed PCR policy (.pcrsig): the
#                guest's PCR 11/12 (read from the TPM's registers) equal `zuki measure` and
#                test/lib/pcrmodel.py; profile 0's command line
#   uki-dtb      `zuki build --no-compress --devicetree`: the same PCR checks, and the tree the
#                kernel got carries U-Boot's fix-ups (its memory node made to match the machine,
#                /chosen/u-boot,version) ...
#   sdstub-dtb   ... exactly as with systemd-stub 257 and the same .dtb (model, memory, /chosen,
#                /reserved-memory compared)
#   ukify        a UKI made by ukify 257 through zuki-ukify: PCR checks as above
# Load options cannot be given to an application U-Boot's boot flow starts, so profile 0 boots
# and PCR 12 stays zero: profile selection and PCR 12 are covered under AAVMF/OVMF.
# shellcheck disable=SC2015 # "check && ok || bad": ok never fails
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
(($# == 7)) || { echo "usage: test-uboot.sh FIRMWARE ZUKI STUB ZBOOT ZBOOT_CORRUPT INITRD OS_RELEASE" >&2; exit 2; }
fw=$1 zuki=$2 stub=$3 zboot=$4 corrupt=$5 initrd=$6 osrel=$7
load_assets
need_tool qemu-system-aarch64 qemu-system-arm
need_tool swtpm swtpm
need_tool dtc device-tree-compiler
case $fw in
uboot-bookworm) need_asset ZUKI_UBOOT_BOOKWORM_ARM64 "U-Boot 2023.01 (u-boot-qemu)" ;;
uboot-trixie) need_asset ZUKI_UBOOT_TRIXIE_ARM64 "trixie's U-Boot (u-boot-qemu)" ;;
*) echo "test-uboot: unknown firmware $fw" >&2; exit 2 ;;
esac
need_asset ZUKI_KERNEL_BOOKWORM_ARM64 "Debian's arm64 kernel"
make_tmp
kernel=$ZUKI_KERNEL_BOOKWORM_ARM64
console="console=ttyAMA0 panic=-1"
boot=("$here/../qemu/boot.sh" --arch aarch64 --firmware "$fw" --tpm --rng --timeout 180)
uki_test=("$here/../qemu/uki-test.sh" --arch aarch64 --firmware "$fw" --zuki "$zuki")
memattr_info='zuki: No EFI_MEMORY_ATTRIBUTE_PROTOCOL, W\^X not applied'


# --- zboot: the kernel starts; W^X not applied is said once, as information.
run_case zboot bash "${boot[@]}" --esp-image "$zboot" --log "$tmp/zboot.log" --stop-on 'Linux version' \
        --expect 'EFI stub: Booting Linux Kernel' --expect 'Linux version' --expect "$memattr_info" \
        --expect-not 'zuki: (error|warning)'

# --- corrupt: refused with exactly one line, and U-Boot goes on (back at its prompt).
run_case corrupt bash "${boot[@]}" --esp-image "$corrupt" --log "$tmp/corrupt.log" \
        --expect 'zuki: error: ' --expect '^=> ?$' --expect-not 'Linux version'
# trixie's U-Boot starts the removable-media image twice (its boot manager, then the boot flow
# scan): one line per start, each start ending in "## Application failed".
n=$(grep -a -c 'zuki: ' "$tmp/corrupt.log") starts=$(grep -a -c '^## Application failed' "$tmp/corrupt.log")
[[ $n == "$starts" && $n -ge 1 ]] && ok "corrupt: one line in each of $starts starts: $(grep -a -m1 'zuki: ' "$tmp/corrupt.log")" ||
        bad "corrupt: $n zuki lines in $starts starts"

# --- uki: compressed, two profiles, a signed PCR policy.
openssl genrsa -out "$tmp/pcr.key" 2048 2>/dev/null || fail "openssl genrsa"
openssl pkey -in "$tmp/pcr.key" -pubout -out "$tmp/pcr.pub" || fail "openssl pkey"
run_case uki bash "${uki_test[@]}" --stub "$stub" --linux "$zboot" --initrd "$initrd" \
        --expect-cmdline "$console zuki.profile=0" -- --os-release "@$osrel" \
        --pcr-private-key "$tmp/pcr.key" --pcr-public-key "$tmp/pcr.pub" \
        --profile ID=default --profile-cmdline "$console zuki.profile=0" \
        --profile ID=debug --profile-cmdline "$console zuki.profile=1"

# --- uki-dtb and sdstub-dtb: QEMU's own tree for this machine (U-Boot included), with another
# model, half the memory and without QEMU's per-boot seeds.
qemu-system-aarch64 -machine "virt,dumpdtb=$tmp/virt.dtb" -cpu cortex-a57 -m 1024 -smp 1 -nodefaults \
        -display none -net none -bios "$(case $fw in uboot-bookworm) echo "$ZUKI_UBOOT_BOOKWORM_ARM64" ;;
                *) echo "$ZUKI_UBOOT_TRIXIE_ARM64" ;; esac)" >/dev/null 2>&1 || fail "dumping QEMU's devicetree"
model="zuki fix-up test $RANDOM"
dtc -q -I dtb -O dts "$tmp/virt.dtb" >"$tmp/virt.dts" || fail "dtc"
grep -q 'reg = <0x00 0x40000000 0x00 0x40000000>;' "$tmp/virt.dts" || fail "QEMU's tree has no 1 GiB memory node"
sed -e "s/^\(\s*model = \)\".*\";/\1\"$model\";/" \
        -e 's/reg = <0x00 0x40000000 0x00 0x40000000>;/reg = <0x00 0x40000000 0x00 0x20000000>;/' \
        -e '/rng-seed\|kaslr-seed/d' "$tmp/virt.dts" | dtc -q -I dts -O dtb -o "$tmp/test.dtb" - || fail "dtc"
run_case uki-dtb bash "${uki_test[@]}" --stub "$stub" --linux "$kernel" --initrd "$initrd" \
        --hook "$here/../qemu/dt-report.sh" --log "$tmp/uki-dtb.log" \
        --expect-guest "ZUKI-GUEST: dt-model $model" -- --no-compress --devicetree "$tmp/test.dtb" \
        --cmdline "$console" --os-release "@$osrel"
dt() { grep -a -m1 "^ZUKI-GUEST: dt-$2 " "$tmp/$1.log" | cut -d' ' -f3-; }
if [[ -s $tmp/uki-dtb.log ]]; then
        # 1 GiB at 0x40000000: what U-Boot knows the machine has, not the .dtb's 512 MiB.
        [[ $(dt uki-dtb memory) == "memory@40000000 00000000400000000000000040000000" ]] &&
                ok "uki-dtb: U-Boot fixed the memory node up: $(dt uki-dtb memory)" ||
                bad "uki-dtb: memory node not fixed up: '$(dt uki-dtb memory)'"
        [[ " $(dt uki-dtb chosen) " == *" u-boot,version "* ]] &&
                ok "uki-dtb: /chosen/u-boot,version added by U-Boot" ||
                bad "uki-dtb: no /chosen/u-boot,version: '$(dt uki-dtb chosen)'"
fi

# The same tree through systemd-stub 257 (ukify 257 builds the UKI).
if [[ -f ${ZUKI_SYSTEMD_STUB_AA64:-} && -f ${ZUKI_UKIFY:-} ]]; then
        bash "$here/../qemu/uki-test.sh" --arch aarch64 --hook "$here/../qemu/dt-report.sh" --hook-cpio "$tmp/hooks.cpio" ||
                fail "making the hook initrd"
        "$ZUKI_PYTHON" "$ZUKI_UKIFY" build --stub "$ZUKI_SYSTEMD_STUB_AA64" --linux "$kernel" --initrd "$initrd" \
                --initrd "$tmp/hooks.cpio" --devicetree "$tmp/test.dtb" --cmdline "$console" --os-release "@$osrel" \
                --output "$tmp/sdstub.efi" >"$tmp/ukify.out" 2>&1 || { cat "$tmp/ukify.out"; fail "ukify build"; }
        run_case sdstub-dtb bash "${uki_test[@]}" --uki "$tmp/sdstub.efi" --stub-info systemd-stub --log "$tmp/sdstub-dtb.log" \
                --expect-guest "ZUKI-GUEST: dt-model $model"
        if [[ -s $tmp/sdstub-dtb.log && -s $tmp/uki-dtb.log ]]; then
                for what in model memory chosen memreserve; do
                        [[ $(dt uki-dtb $what) == "$(dt sdstub-dtb $what)" ]] &&
                                ok "devicetree $what as with systemd-stub: $(dt uki-dtb $what)" ||
                                bad "devicetree $what: zuki '$(dt uki-dtb $what)', systemd-stub '$(dt sdstub-dtb $what)'"
                done
        fi
else
        echo "not run: sdstub-dtb (no systemd-stub or ukify 257 in the asset cache)"
fi

# --- ukify: ukify 257 through zuki-ukify.
if [[ -f ${ZUKI_UKIFY:-} && -x ${ZUKI_UKIFY_PLUGIN:-} ]]; then
        bash "$here/../qemu/uki-test.sh" --arch aarch64 --hook-cpio "$tmp/tis.cpio" || fail "making the hook initrd"
        ZUKI_BIN=$zuki ZUKI_UKIFY=$ZUKI_UKIFY "$ZUKI_UKIFY_PLUGIN" build --linux "$kernel" --initrd "$initrd" --initrd "$tmp/tis.cpio" \
                --cmdline "$console" --os-release "@$osrel" --efi-arch aa64 \
                --output "$tmp/ukify.efi" >"$tmp/plugin.out" 2>&1 || { cat "$tmp/plugin.out"; fail "zuki-ukify build"; }
        run_case ukify bash "${uki_test[@]}" --uki "$tmp/ukify.efi"
else
        echo "not run: ukify (no ukify 257 or zuki-ukify)"
fi

summary
