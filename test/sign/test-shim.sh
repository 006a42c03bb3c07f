#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Secure Boot through Debian's Microsoft-signed shim (issue 18, item 4), as installed systems boot:
# OVMF (trixie's secboot build) with Microsoft's KEK and db certificates enrolled by virt-firmware
# (its default set: Windows PCA 2011, UEFI CA 2011, the 2023 CAs) plus a test certificate in db
# next to them; EFI/BOOT/BOOTX64.EFI is trixie's shimx64.efi.signed (shim 16.x, signed by the
# Microsoft UEFI CA 2011), EFI/BOOT/grubx64.efi (what shim starts) a zuki UKI.
#   1. the UKI signed with the test key: shim verifies it against db (shim checks db besides MOK
#      and its vendor certificate), the kernel starts locked down, the guest sees SecureBoot=1.
#      This boot also carries two per-UKI addons built by zuki build --addon: one signed with a
#      Machine Owner Key (in MokList, enrolled offline by virt-firmware; neither db nor shim's
#      vendor certificate knows it) and one signed with a key nobody enrolled. shim 16 replaces
#      LoadImage with its own verifying loader, so the stub's LoadImage of an addon is checked
#      against MokList too: the MOK addon's command line is applied, the other is refused with
#      the stub's one line;
#   2. shim 15.8 (bullseye's shimx64.efi.signed, the last shim before its own loader): the same
#      UKI without addons boots (shim 15.x halts at ExitBootServices unless the image it started
#      took part in verification: the stub tells it so, as systemd-stub 262 does in its own way);
#      with the addons: shim 15.x does not verify LoadImage() itself, so the stub points the
#      firmware's security hooks at shim's SHIM_LOCK Verify() while it loads an addon, as
#      systemd-stub 262 does: the MOK addon applied, the stranger's refused, as under shim 16;
#      The same UKI on systemd-stub 262 (sid's, when set-up fetched it), booted the same way,
#      applies and refuses the same addons;
#   3. the same UKI unsigned: shim refuses it, no kernel starts;
#   4. the signed UKI with an SbatLevel variable that revokes generation 1 of the component
#      "zuki" (the one the stub's .sbat names; a level dated after shim's own, so shim keeps it):
#      shim refuses it, no kernel starts. The same variable with "zuki,1" (nothing revoked) is
#      the control: it boots.
# How shim says no is taken from its own messages (seen in the serial log), not from zuki.
#
#   test-shim.sh ZUKI KERNEL INITRD OS_RELEASE
# shellcheck disable=SC2015 # "check && ok || bad": ok never fails
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here=$ZUKI_TEST_DIR/sign
zuki=$(realpath "$1") kernel=$(realpath "$2") initrd=$(realpath "$3") os_release=$(realpath "$4")
load_assets
need_secboot_firmware
[[ -r ${ZUKI_SHIM_X64:-} ]] || skip "no shimx64.efi.signed (ZUKI_SHIM_X64; run tools/setup.sh)"
have_shim15=0
[[ -r ${ZUKI_SHIM15_X64:-} ]] && have_shim15=1
need_tool sbverify sbsigntool

make_tmp
cd "$tmp" || exit 1
selfsigned db "zuki shim test db"
selfsigned mok "zuki shim test MOK"
selfsigned stranger "zuki shim test stranger"
for shim in "$ZUKI_SHIM_X64" ${ZUKI_SHIM15_X64:+"$ZUKI_SHIM15_X64"}; do
        sbverify --list "$shim" 2>/dev/null | grep -q 'CN=Microsoft Corporation UEFI CA 2011' ||
                fail "$shim is not signed by the Microsoft UEFI CA 2011"
done

# Microsoft's certificates (virt-firmware's default) in KEK and db, db.crt as PK and KEK and in db.
# SBAT_FILE (optional): the SbatLevel variable's content.
enrol() { # OUT [SBAT_FILE]
        secboot_vars "$1" db.crt db.crt --add-mok 605dab50-e046-4300-abb6-3dd810dd8b23 mok.crt ${2:+--set-sbat-level "$2"}
}
enrol sb-vars.fd
PYTHONPATH=$vf /usr/bin/python3 -m virt.firmware.vars -i sb-vars.fd --print -v 2>/dev/null >vars.txt
grep -q 'CN=Microsoft Corporation UEFI CA 2011' vars.txt && grep -q 'CN=zuki shim test db' vars.txt ||
        fail "db does not hold both the Microsoft UEFI CA 2011 and the test certificate"
grep -q 'CN=zuki shim test MOK' vars.txt || fail "MokList does not hold the test MOK"
grep -q 'CN=zuki shim test stranger' vars.txt && fail "the stranger's certificate was enrolled"
# A level dated after every one shim carries, so shim keeps it instead of writing its own.
printf 'sbat,1,2099010100\nzuki,2\n' >revoke.csv
printf 'sbat,1,2099010100\nzuki,1\n' >keep.csv
enrol sb-vars-revoke.fd revoke.csv
enrol sb-vars-keep.fd keep.csv

cmdline="console=ttyS0 panic=-1 zuki.case=shim"
build=(build --linux "$kernel" --initrd "$initrd" --cmdline "$cmdline" --os-release "@$os_release")
export SOURCE_DATE_EPOCH=1700000000
"$zuki" "${build[@]}" --secureboot-private-key db.key --secureboot-certificate db.crt --output signed.efi >/dev/null ||
        fail "zuki build --secureboot-* failed"
"$zuki" "${build[@]}" --output unsigned.efi >/dev/null || fail "zuki build failed"
have_sd262=0
if [[ -r ${ZUKI_SYSTEMD262_STUB_X64:-} ]]; then
        have_sd262=1
        "$zuki" "${build[@]}" --no-compress --stub "$ZUKI_SYSTEMD262_STUB_X64" --secureboot-private-key db.key \
                --secureboot-certificate db.crt --output sd262-signed.efi >/dev/null ||
                fail "zuki build --stub (systemd-stub 262) failed"
fi
for who in mok stranger; do
        "$zuki" build --addon --efi-arch x64 --cmdline "zuki.addon=$who" --secureboot-private-key "$who.key" \
                --secureboot-certificate "$who.crt" --output "$who.addon.efi" >/dev/null || fail "zuki build --addon ($who) failed"
done
addons=(--esp-file "mok.addon.efi=EFI/BOOT/grubx64.efi.extra.d/mok.addon.efi"
        --esp-file "stranger.addon.efi=EFI/BOOT/grubx64.efi.extra.d/stranger.addon.efi")
boot() { # NAME VARS UKI ARGS...: shim (SHIM, default shim 16) as BOOTX64.EFI, UKI as grubx64.efi
        local name=$1 vars=$2 uki=$3
        shift 3
        bash "$here/../qemu/boot.sh" --arch x86_64 --firmware trixie-secboot --vars "$vars" --log "$name.log" \
                --esp-image "${SHIM:-$ZUKI_SHIM_X64}" --esp-file "$uki=EFI/BOOT/grubx64.efi" "$@" >"$name.out" 2>&1
        local rc=$?
        [[ $rc -eq 77 ]] && { tail -n 1 "$name.out"; exit 77; }
        echo "   $name: $(grep -a 'boot.sh: elapsed' "$name.out")"
        if [[ $rc -eq 0 ]]; then ok "$name"; else
                bad "$name: $(grep -a 'boot.sh: FAIL' "$name.out")"
                grep -a -i -E 'shim|sbat|verif|BdsDxe|zuki|ZUKI-GUEST: (cmdline|secureboot)' "$name.log" | head -n 12
        fi
}
booted=(--timeout 180 --expect 'secureboot: Secure boot enabled' --expect 'Kernel is locked down from EFI Secure Boot; '
        --expect 'ZUKI-GUEST: secureboot 1$' --expect "ZUKI-GUEST: cmdline $cmdline\$" --expect 'ZUKI-GUEST: done'
        --expect-not 'zuki: (error|warning)')
# shim, refusing, shows "Verification failed: (0x1A) Security Violation" in a dialog that waits
# for a key (for a signature and an SBAT revocation alike; seen in the serial log): stop there.
refused=(--timeout 90 --expect 'Verification failed: \(0x1A\) Security Violation' --stop-on 'Verification failed'
        --expect-not 'zuki:|EFI stub|Linux version|ZUKI-GUEST')

# With the addons: the MOK one applied (so the command line ends with it), the stranger's refused.
booted_addons=(--timeout 180 --expect 'secureboot: Secure boot enabled' --expect 'Kernel is locked down from EFI Secure Boot; '
        --expect 'ZUKI-GUEST: secureboot 1$'
        --expect "ZUKI-GUEST: cmdline $cmdline zuki.addon=mok\$" --expect 'ZUKI-GUEST: done'
        --expect 'zuki: error: Failed to load addon .*stranger\.addon\.efi, ignoring'
        --expect-not 'zuki: (error|warning): .*mok\.addon\.efi')
boot "shim + signed UKI (test certificate in db next to Microsoft's), MOK-signed addon applied, stranger's refused" \
        sb-vars.fd signed.efi "${booted_addons[@]}" "${addons[@]}"
if ((have_shim15)); then
        # Without addons the stub calls no Verify() for them: shim 15.8 halts at ExitBootServices
        # ("Bootloader has not verified loaded image") unless the stub tells it it takes part.
        SHIM=$ZUKI_SHIM15_X64 boot "shim 15.8 + signed UKI, no addons: not halted at ExitBootServices" \
                sb-vars.fd signed.efi "${booted[@]}" --expect-not 'Bootloader has not verified loaded image'
        SHIM=$ZUKI_SHIM15_X64 boot "shim 15.8 + signed UKI: the stub verifies addons through SHIM_LOCK, MOK addon applied, stranger's refused" \
                sb-vars.fd signed.efi "${booted_addons[@]}" "${addons[@]}"
        if ((have_sd262)); then
                # systemd-stub says nothing of the refused addon on the console: the command line shows it.
                SHIM=$ZUKI_SHIM15_X64 boot "shim 15.8 + the same UKI on systemd-stub 262: the same addon applied, the other refused" \
                        sb-vars.fd sd262-signed.efi "${booted[@]/%$cmdline\$/$cmdline zuki.addon=mok\$}" "${addons[@]}"
        else
                echo "SKIP: shim 15.8 + systemd-stub 262: no ZUKI_SYSTEMD262_STUB_X64 (run tools/setup.sh)"
        fi
else
        echo "SKIP: shim 15.8 cases: no shim 15.8 shimx64.efi.signed (ZUKI_SHIM15_X64; run tools/setup.sh)"
fi
boot "shim refuses the unsigned UKI" sb-vars.fd unsigned.efi "${refused[@]}"
boot "shim + signed UKI, SbatLevel zuki,1 (control)" sb-vars-keep.fd signed.efi "${booted[@]}"
boot "shim refuses the signed UKI when SbatLevel revokes zuki,1" sb-vars-revoke.fd signed.efi "${refused[@]}"

summary
