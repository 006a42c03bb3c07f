#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# riscv64 under U-Boot's UEFI (issue 19): Debian trixie's riscv64 kernel, as a `zuki zboot` image
# and in a `zuki build` UKI with the busybox test initrd, booted from EFI/BOOT/BOOTRISCV64.EFI on a
# GPT/FAT ESP by Debian's U-Boot qemu-riscv64_smode started by OpenSBI (fw_jump), in
# qemu-system-riscv64 -machine virt (TCG), with virtio-rng.
#
#   test-uboot-riscv64.sh ZUKI STUB OS_RELEASE
# Environment (for zuki-ukify): ZUKI_UKIFY_PLUGIN, ZUKI_STUB_DIR.
#
# Cases:
#   host    zuki inspect names the zboot image riscv64; zuki zboot refuses a riscv64 PE whose Image
#           header lacks the RSC\x05 magic, without leaving an output file
#   zboot   U-Boot 2023.01 (bookworm): the kernel's EFI stub starts and Linux prints its banner;
#           no zuki error or warning: the missing Memory Attribute Protocol is one info line, and
#           so is the fixed placement (this U-Boot has no EFI_RNG_PROTOCOL)
#   uki-N   U-Boot 2025.01 (trixie), 3 boots: the UKI reaches the initrd's init
#           ("ZUKI-GUEST: done") with the UKI's command line; StubZukiPlacement says "random";
#           the guest's /proc/iomem "Kernel code" lies inside the image the stub placed, at the
#           same offset on every boot (the kernel runs where the stub put it); and the boots place
#           the kernel at 3 addresses, one repeat allowed (as test/qemu/kaslr-test.sh); the third
#           boot also carries a per-UKI addon made by `zuki build --addon` on the riscv64 addon
#           stub, whose command line must be applied (U-Boot's LoadImage from the ESP)
#   sdstub  systemd-stub 262's UKI (ukify 262, same sections) shows the guest what uki-1 showed it:
#           every Loader*/Stub* variable (but StubInfo, StubZuki*), command line,
#           /.extra, TPM state (none: LoaderTpm2ActivePcrBanks 0x00000000 from both)
#   ukify   a UKI made by ukify 257 through zuki-ukify --efi-arch riscv64 reaches init (U-Boot 2025.01)
#   edk2    EDK2's RISC-V firmware (trixie's qemu-efi-riscv64 2025.02, under trixie's QEMU 10.0,
#           which set-up extracts: bookworm's 7.2 cannot run it), the UKI of uki-3 with its addon:
#           init reached with the addon's command line, a random placement, no Memory Attribute
#           Protocol (StubZukiPlacement wx=no-protocol; a UEFI 2.70 firmware: no line, as on older
#           EDK2), no zuki error or warning,
#           and /.extra/boot-secret: on an ESP without \loader the stub makes \loader for its
#           random seed file, as systemd-stub 262 does (once it did not, and had no boot secret)
#   edk2-sdstub  systemd-stub 262's UKI (of sdstub) on the same firmware and ESP: the guest sees
#           the same as from zuki's, but for the StubInfo, StubZuki* and Kernel code lines and the
#           boot secret's (random) content
#   tpm     not run: neither U-Boot's qemu-riscv64_smode build has a TPM driver (SKIP-CASE line)
# shellcheck disable=SC2015 # "check && ok || bad": ok never fails
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
(($# == 3)) || { echo "usage: test-uboot-riscv64.sh ZUKI STUB OS_RELEASE" >&2; exit 2; }
zuki=$1 stub=$2 osrel=$3
t_start=$SECONDS
load_assets
need_tool qemu-system-riscv64 qemu-system-misc
need_asset ZUKI_UBOOT_BOOKWORM_RISCV64 "U-Boot qemu-riscv64_smode (u-boot-qemu)"
need_asset ZUKI_UBOOT_TRIXIE_RISCV64 "trixie's U-Boot qemu-riscv64_smode (u-boot-qemu)"
need_asset ZUKI_OPENSBI_RISCV64 "OpenSBI fw_jump (opensbi)"
need_asset ZUKI_KERNEL_TRIXIE_RISCV64 "trixie's riscv64 kernel"
need_asset ZUKI_BUSYBOX_RISCV64 "trixie's riscv64 busybox-static"
make_tmp
kernel=$ZUKI_KERNEL_TRIXIE_RISCV64
console="console=ttyS0 panic=-1"
boot_bookworm=("$here/../qemu/boot.sh" --arch riscv64 --firmware uboot-bookworm --rng --timeout 240)
boot_trixie=("$here/../qemu/boot.sh" --arch riscv64 --firmware uboot-trixie --rng --timeout 240)
memattr_info='zuki: No EFI_MEMORY_ATTRIBUTE_PROTOCOL, W\^X not applied'

"$zuki" zboot --stub "$stub" --output "$tmp/zboot.efi" "$kernel" >"$tmp/zboot.out" 2>&1 ||
        { cat "$tmp/zboot.out"; fail "zuki zboot"; }
cat "$tmp/zboot.out"
"$zuki" inspect "$tmp/zboot.efi" >"$tmp/inspect.out" 2>&1 || { cat "$tmp/inspect.out"; fail "zuki inspect"; }
grep -q riscv64 "$tmp/inspect.out" && ok "zuki inspect reports riscv64: $(grep -m1 riscv64 "$tmp/inspect.out")" ||
        bad "zuki inspect does not say riscv64: $(head -5 "$tmp/inspect.out")"
initrd_args=(--arch riscv64)
[[ -n ${ZUKI_EFIVARFS_TRIXIE_RISCV64:-} ]] && initrd_args+=(--efivarfs "$ZUKI_EFIVARFS_TRIXIE_RISCV64")
# A riscv64 PE without the Image header's RSC\x05 magic is not a Linux kernel: refused, no output.
"$ZUKI_SYSTEM_PYTHON" -c '
import sys
d = bytearray(open(sys.argv[1], "rb").read()); d[0x38:0x3c] = b"XXXX"; open(sys.argv[2], "wb").write(d)' \
        "$kernel" "$tmp/no-magic.efi" || fail "writing the kernel copy without magic"
if out=$("$zuki" zboot --stub "$stub" --output "$tmp/no-magic.zboot.efi" "$tmp/no-magic.efi" 2>&1); then
        bad "zuki zboot accepted a riscv64 PE without the RSC\\x05 magic"
elif [[ -e $tmp/no-magic.zboot.efi || $out != *"not a Linux Image"* ]]; then
        bad "zuki zboot without the RSC\\x05 magic: '$out'$([[ -e $tmp/no-magic.zboot.efi ]] && echo ', output left behind')"
else
        ok "zuki zboot refuses a riscv64 PE without the Image magic: $out"
fi
bash "$here/../qemu/make-initrd.sh" "$tmp/initrd.cpio.gz" "${initrd_args[@]}" >/dev/null || fail "make-initrd.sh"
"$zuki" build --stub "$stub" --linux "$tmp/zboot.efi" --initrd "$tmp/initrd.cpio.gz" \
        --cmdline "$console zuki.case=riscv64" --os-release "@$osrel" --output "$tmp/uki.efi" >"$tmp/build.out" 2>&1 ||
        { cat "$tmp/build.out"; fail "zuki build"; }


# --- zboot: the kernel starts (no initrd or command line reach it from U-Boot's boot flow).
run_case zboot bash "${boot_bookworm[@]}" --esp-image "$tmp/zboot.efi" --log "$tmp/zboot.log" --stop-on 'Linux version' \
        --expect 'EFI stub: Booting Linux Kernel' --expect 'Linux version' --expect "$memattr_info" \
        --expect 'zuki: Kernel image at 0x[0-9a-f]+ .*fixed placement: no EFI_RNG_PROTOCOL' \
        --expect-not 'zuki: (error|warning)'

# --- uki: to init, three times; where the stub put the kernel and where the kernel runs.
image_size=$("$ZUKI_SYSTEM_PYTHON" -c '
import pefile, sys
print(pefile.PE(sys.argv[1], fast_load=True).OPTIONAL_HEADER.SizeOfImage)' "$kernel") ||
        fail "reading the kernel's SizeOfImage"
addresses=() offsets=()
# The third boot also carries an addon zuki build --addon made on the riscv64 addon stub: the stub
# must find it in the UKI's .extra.d under U-Boot and apply its command line.
"$zuki" build --addon --stub "$(dirname "$stub")/zukiaddonriscv64.efi.stub" --cmdline "zuki.addon=riscv64" \
        --output "$tmp/riscv.addon.efi" >/dev/null || fail "zuki build --addon (riscv64)"
for i in 1 2 3; do
        extra=() want="$console zuki.case=riscv64"
        if ((i == 3)); then
                extra=(--esp-file "$tmp/riscv.addon.efi=EFI/BOOT/BOOTRISCV64.EFI.extra.d/riscv.addon.efi")
                want+=" zuki.addon=riscv64"
        fi
        run_case "uki-$i" bash "${boot_trixie[@]}" --esp-image "$tmp/uki.efi" "${extra[@]}" --log "$tmp/uki-$i.log" \
                --expect 'ZUKI-GUEST: done' --expect "ZUKI-GUEST: cmdline $want\$" \
                --expect-not 'zuki: (error|warning)' || continue
        log=$tmp/uki-$i.log
        placement=$(grep -a -m1 '^ZUKI-GUEST: efivar StubZukiPlacement ' "$log" | cut -d' ' -f4-)
        address=$(grep -a -m1 '^zuki: Kernel image at ' "$log" | sed 's/^zuki: Kernel image at \(0x[0-9a-f]*\).*/\1/')
        code=$(grep -a -m1 '^ZUKI-GUEST: kernel-code ' "$log" | cut -d' ' -f3 | cut -d- -f1)
        [[ $placement == *random* ]] && ok "uki-$i: StubZukiPlacement '$placement'" ||
                bad "uki-$i: StubZukiPlacement '$placement', want a random placement"
        if [[ -n $address && -n $code ]] && ((0x$code >= address && 0x$code < address + image_size)); then
                ok "uki-$i: the kernel runs in the stub's image: image at $address, Kernel code at 0x$code"
                offsets+=("$((0x$code - address))")
        else
                bad "uki-$i: stub image at '${address}' (SizeOfImage $image_size), guest Kernel code at '${code}'"
        fi
        [[ -n $address ]] && addresses+=("$address")
done
# --- sdstub: systemd-stub 262 (sid) in a ukify 262 UKI with the same sections, on the same
# firmware, shows the guest what zuki's UKI showed it on uki-1, but for what names the stub
# (StubInfo, zuki's own StubZuki*) and the randomly placed kernel's physical address. StubFeatures
# is compared: both set 0x1fff.
# observed LOG: what the guest reported, but for what names the stub or where the kernel runs; the
# boot secret's content is new on every fresh ESP, so only its presence counts.
observed() {
        grep -a '^ZUKI-GUEST: ' "$1" | tr -d '\r' |
                grep -Ev '^ZUKI-GUEST: (efivar|efivar-hex) (StubInfo|StubZuki[A-Za-z]*) |^ZUKI-GUEST: kernel-code ' |
                sed 's|^\(ZUKI-GUEST: extra /.extra/boot-secret\) .*|\1 (present)|' | sort
}
if [[ -f ${ZUKI_SYSTEMD262_STUB_RISCV64:-} && -f ${ZUKI_UKIFY262:-} && -s $tmp/uki-1.log ]]; then
        PYTHONPATH=${ZUKI_UKIFY_PYTHONPATH:-} "$ZUKI_SYSTEM_PYTHON" "$ZUKI_UKIFY262" build \
                --stub "$ZUKI_SYSTEMD262_STUB_RISCV64" --linux "$kernel" --initrd "$tmp/initrd.cpio.gz" \
                --cmdline "$console zuki.case=riscv64" --os-release "@$osrel" \
                --output "$tmp/sdstub.efi" >"$tmp/ukify262.out" 2>&1 || { cat "$tmp/ukify262.out"; fail "ukify 262 build"; }
        if run_case sdstub bash "${boot_trixie[@]}" --esp-image "$tmp/sdstub.efi" --log "$tmp/sdstub.log" \
                --expect 'ZUKI-GUEST: done' --expect 'ZUKI-GUEST: efivar StubInfo systemd-stub 262'; then
                if difference=$(diff <(observed "$tmp/sdstub.log") <(observed "$tmp/uki-1.log")); then
                        ok "sdstub: the guest sees the same $(observed "$tmp/uki-1.log" | wc -l) observations from systemd-stub 262 and zuki (LoaderTpm2ActivePcrBanks $(grep -a -m1 'efivar LoaderTpm2ActivePcrBanks' "$tmp/uki-1.log" | cut -d' ' -f4))"
                else
                        bad "sdstub: systemd-stub 262 (<) and zuki (>) differ: $(echo "$difference" | grep '^[<>]' | cut -c1-120 | tr '\n' ';')"
                fi
        fi
else
        echo "SKIP-CASE sdstub: no systemd-stub 262 for riscv64 or ukify 262 (tools/setup.sh), or uki-1 did not boot"
fi

# --- ukify: ukify 257 through zuki-ukify (--efi-arch riscv64 picks zukiriscv64.efi.stub).
if [[ -f ${ZUKI_UKIFY:-} && -x ${ZUKI_UKIFY_PLUGIN:-} ]]; then
        ZUKI_BIN=$zuki ZUKI_UKIFY=$ZUKI_UKIFY "$ZUKI_UKIFY_PLUGIN" build --linux "$kernel" --initrd "$tmp/initrd.cpio.gz" \
                --cmdline "$console zuki.case=ukify" --os-release "@$osrel" --efi-arch riscv64 \
                --output "$tmp/ukify.efi" >"$tmp/plugin.out" 2>&1 || { cat "$tmp/plugin.out"; fail "zuki-ukify build"; }
        run_case ukify bash "${boot_trixie[@]}" --esp-image "$tmp/ukify.efi" --log "$tmp/ukify.log" \
                --expect 'ZUKI-GUEST: done' --expect "ZUKI-GUEST: cmdline $console zuki.case=ukify" \
                --expect '^zuki: Kernel image at ' --expect-not 'zuki: (error|warning)'
else
        echo "not run: ukify (no ukify 257 or zuki-ukify)"
fi

# --- edk2, edk2-sdstub: EDK2's RISC-V firmware (see the header).
boot_edk2=("$here/../qemu/boot.sh" --arch riscv64 --firmware edk2-trixie --rng --timeout 240)
if [[ -x ${ZUKI_QEMU_TRIXIE_RISCV64:-} && -r ${ZUKI_EDK2_TRIXIE_RISCV64_CODE:-} ]]; then
        addon=(--esp-file "$tmp/riscv.addon.efi=EFI/BOOT/BOOTRISCV64.EFI.extra.d/riscv.addon.efi")
        edk2_ok=0
        run_case edk2 bash "${boot_edk2[@]}" --esp-image "$tmp/uki.efi" "${addon[@]}" --log "$tmp/edk2.log" \
                --expect 'ZUKI-GUEST: done' --expect "ZUKI-GUEST: cmdline $console zuki.case=riscv64 zuki.addon=riscv64\$" \
                --expect 'RISC-V EDK2 firmware' \
                --expect 'ZUKI-GUEST: extra /.extra/boot-secret ' \
                --expect 'ZUKI-GUEST: efivar StubZukiPlacement kaslr=random wx=no-protocol' \
                --expect-not 'zuki: (error|warning)' && edk2_ok=1
        if [[ -s $tmp/sdstub.efi ]] && ((edk2_ok)); then
                if run_case edk2-sdstub bash "${boot_edk2[@]}" --esp-image "$tmp/sdstub.efi" "${addon[@]}" \
                        --log "$tmp/edk2-sdstub.log" --expect 'ZUKI-GUEST: done' \
                        --expect 'ZUKI-GUEST: efivar StubInfo systemd-stub 262'; then
                        if difference=$(diff <(observed "$tmp/edk2-sdstub.log") <(observed "$tmp/edk2.log")); then
                                ok "edk2-sdstub: the guest sees the same $(observed "$tmp/edk2.log" | wc -l) observations from systemd-stub 262 and zuki under EDK2"
                        else
                                bad "edk2-sdstub: systemd-stub 262 (<) and zuki (>) differ: $(echo "$difference" | grep '^[<>]' | cut -c1-120 | tr '\n' ';')"
                        fi
                fi
        else
                echo "SKIP-CASE edk2-sdstub: no systemd-stub 262 UKI (sdstub), or the edk2 case failed"
        fi
else
        echo "SKIP-CASE edk2: no trixie QEMU or EDK2 RISC-V firmware (ZUKI_QEMU_TRIXIE_RISCV64; run tools/setup.sh)"
fi

distinct=$(printf '%s\n' "${addresses[@]}" | sort -u | grep -c .)
if ((${#offsets[@]} == 3)) && [[ $(printf '%s\n' "${offsets[@]}" | sort -u | wc -l) == 1 ]]; then
        ok "Kernel code at image + $(printf '%#x' "${offsets[0]}") on every boot"
else
        bad "Kernel code offsets from the stub's image differ or are missing: ${offsets[*]}"
fi
if ((${#addresses[@]} == 3 && distinct >= 2)); then
        ok "KASLR: ${#addresses[@]} boots, $distinct different addresses: ${addresses[*]}"
else
        bad "KASLR: ${#addresses[@]} boots, $distinct different addresses: ${addresses[*]}"
fi

# No TPM on riscv64 here: QEMU 7.2 accepts tpm-tis-device on riscv virt, but neither U-Boot
# build carries a TPM driver (no "tpm" string in either u-boot.bin), so U-Boot offers no
# EFI_TCG2_PROTOCOL and PCR 11 cannot be compared with zuki measure.
for ub in "$ZUKI_UBOOT_BOOKWORM_RISCV64" "$ZUKI_UBOOT_TRIXIE_RISCV64"; do
        grep -aqi 'tpm' "$ub" && echo "note: $ub mentions a TPM now: add the PCR 11 case"
done
echo "SKIP-CASE tpm: U-Boot qemu-riscv64_smode 2023.01 and 2025.01 are built without TPM support"
echo "total $((SECONDS - t_start)) s"
summary
