#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# UEFI Secure Boot with a zuki UKI in QEMU. A fresh test key is enrolled as PK, KEK and db into a
# copy of trixie's OVMF_VARS (virt-firmware), and trixie's secboot OVMF (SMM) boots:
#   1. the UKI that `zuki build --secureboot-private-key/--secureboot-certificate` signed, with
#      QEMU -append load options: the guest sees SecureBoot=1 and /proc/cmdline equals the
#      embedded .cmdline, not the load options;
#   2. that UKI with a second signature (zuki sign --append, a "new CA" key) from the ESP, with only
#      the first certificate in db: it boots (control for 3 and 4); with only the second
#      certificate in db: it boots; with neither (another certificate in db): refused (issue 17);
#   3. that UKI with one byte of .linux changed after signing: the firmware refuses it
#      (Access Denied) and no kernel starts;
#   4. the same UKI unsigned: refused the same way;
#   5. a signed UKI without .cmdline, with -append: under Secure Boot the load options are the
#      command line (nothing to protect) and are measured into PCR 12;
#   6. the unsigned UKI after a binutils objcopy round trip, signed by osslsigncode, and the
#      unsigned UKI signed by pesign (NSS database), each boots (issue 17: what distributions'
#      tools make of a zuki UKI still boots).
# Boots 1 and 5 have a TPM: the guest's PCR 11 and 12 equal `zuki measure --secure-boot
# --load-options ...` (the boot model the stub executes) and the independent test/lib/pcrmodel.py;
# without --secure-boot, zuki measure's prediction for boot 1 would be wrong (checked, so that the
# Secure Boot rule is seen to matter).
#
#   test-secureboot.sh ZUKI KERNEL INITRD OS_RELEASE
# ok() always succeeds, so "A && ok || bad" is safe.
# shellcheck disable=SC2015
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here=$ZUKI_TEST_DIR/sign
zuki=$(realpath "$1") kernel=$(realpath "$2") initrd=$(realpath "$3") os_release=$(realpath "$4")
load_assets
need_secboot_firmware
need_tool sbverify sbsigntool
need_tool osslsigncode osslsigncode
need_tool pesign pesign
need_tool certutil libnss3-tools
need_tool pk12util libnss3-tools
need_tool objcopy binutils

make_tmp
cd "$tmp" || exit 1
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

selfsigned db "zuki secure boot test"
selfsigned new "zuki secure boot new CA"
selfsigned other "zuki secure boot other"

# db.crt as PK and KEK (--enroll-cert) and DB_CERT as the only db entry; no Microsoft keys; SB on.
enrol() { # DB_CERT VARS
        secboot_vars "$2" db.crt "$1" --no-microsoft
}
t0=$(date +%s%N)
enrol db.crt sb-vars.fd
echo "   key enrolment: $(ms_since "$t0") ms"
enrol new.crt sb-vars-new.fd
enrol other.crt sb-vars-other.fd

cmdline="console=ttyS0 panic=-1 zuki.case=secureboot"
build=(build --linux "$kernel" --initrd "$initrd" --cmdline "$cmdline" --os-release "@$os_release")
export SOURCE_DATE_EPOCH=1700000000
t0=$(date +%s%N)
"$zuki" "${build[@]}" --secureboot-private-key db.key --secureboot-certificate db.crt --output signed.efi ||
        fail "zuki build --secureboot-* failed"
echo "   zuki build with signing: $(ms_since "$t0") ms, $(stat -c %s signed.efi) bytes"
"$zuki" "${build[@]}" --output unsigned.efi >/dev/null || fail "zuki build failed"
"$zuki" build --linux "$kernel" --initrd "$initrd" --os-release "@$os_release" --secureboot-private-key db.key \
        --secureboot-certificate db.crt --output signed-nocmdline.efi >/dev/null || fail "zuki build without --cmdline failed"
sbverify --cert db.crt signed.efi >/dev/null 2>&1 && ok "sbverify accepts the signed UKI" || bad "sbverify rejects the signed UKI"
sbverify --cert db.crt unsigned.efi >/dev/null 2>&1 && bad "the unsigned UKI verifies" || ok "the unsigned UKI does not verify"
# zuki sign on the unsigned UKI makes the same bytes as signing inside zuki build.
t0=$(date +%s%N)
"$zuki" sign --private-key db.key --certificate db.crt --output resigned.efi unsigned.efi >/dev/null
echo "   zuki sign of the UKI: $(ms_since "$t0") ms"
cmp -s signed.efi resigned.efi && ok "zuki sign of the unsigned UKI equals zuki build's signed UKI" ||
        bad "zuki sign and zuki build --secureboot-* differ"
"$zuki" sign --append --private-key new.key --certificate new.crt --output dual.efi signed.efi >/dev/null ||
        fail "zuki sign --append failed"
sbverify --cert db.crt dual.efi >/dev/null 2>&1 && sbverify --cert new.crt dual.efi >/dev/null 2>&1 &&
        ok "sbverify accepts the dual-signed UKI for either certificate" || bad "sbverify rejects the dual-signed UKI"

# The tools distributions sign with: objcopy (dracut, older UKI builders) then osslsigncode, and
# pesign with its NSS database.
objcopy unsigned.efi objcopied.efi || fail "objcopy cannot copy the UKI"
cmp -s unsigned.efi objcopied.efi && echo "   note: objcopy left the UKI byte-identical" ||
        echo "   objcopy rewrote the UKI ($(stat -c %s objcopied.efi) bytes)"
osslsigncode sign -certs db.crt -key db.key -h sha256 -in objcopied.efi -out ossl.efi >/dev/null ||
        fail "osslsigncode cannot sign the objcopied UKI"
mkdir nss
openssl pkcs12 -export -inkey db.key -in db.crt -name zuki-db -passout pass: -out db.p12 &&
        certutil -N --empty-password -d nss && pk12util -i db.p12 -d nss -W '' >/dev/null ||
        fail "cannot make pesign's NSS database"
pesign -n nss -c zuki-db -s -i unsigned.efi -o pesigned.efi >/dev/null 2>&1 || fail "pesign cannot sign the UKI"

# One byte in the middle of .linux (located by pefile, not by zuki), after signing.
tamper_section signed.efi tampered.efi || fail "cannot tamper with the UKI"
sbverify --cert db.crt tampered.efi >/dev/null 2>&1 && bad "sbverify accepts the tampered UKI" || ok "sbverify rejects the tampered UKI"

vars=sb-vars.fd # what boot() enrols: db.crt in db
boot() { # NAME ARGS...: boot.sh with the secboot firmware and the enrolled variables $vars
        local name=$1
        shift
        bash "$here/../qemu/boot.sh" --arch x86_64 --firmware trixie-secboot --vars "$vars" --log "$name.log" "$@" \
                >"$name.out" 2>&1
        local rc=$?
        [[ $rc -eq 77 ]] && { tail -n 1 "$name.out"; exit 77; }
        echo "   $name: $(grep -a 'boot.sh: elapsed' "$name.out")"
        if [[ $rc -eq 0 ]]; then ok "$name"; else
                bad "$name: $(grep -a 'boot.sh: FAIL' "$name.out")"
                grep -a -E 'BdsDxe|zuki|OVMF|ZUKI-GUEST: (cmdline|secureboot)' "$name.log" | head -n 12
        fi
}
refused=(--timeout 60 --expect 'BdsDxe: failed to load Boot[0-9A-F]{4} .*: Access Denied'
        --expect-not 'zuki:|EFI stub|Linux version|ZUKI-GUEST')
# Grep patterns are regular expressions; the command line has none of their metacharacters.
# The kernel learns of Secure Boot from boot_params.secure_boot (the x86 direct path fills it in as
# the kernel's EFI stub would) and locks itself down, as Debian's kernels do under Secure Boot.
locked=(--expect 'secureboot: Secure boot enabled' --expect 'Kernel is locked down from EFI Secure Boot; ')
# PCR 11 (no phase: the busybox guest runs no systemd-pcrphase) and PCR 12 as the guest read them
# in boot NAME, against zuki measure (args after NAME) and pcrmodel.py with OPTIONS (or none).
check_pcrs() { # NAME UKI OPTIONS|- ZUKI-MEASURE-ARGS...
        local name=$1 uki=$2 options=$3
        shift 3
        local g11 g12 z11 z12 m11 m12 model_args=()
        g11=$(grep -a -m1 '^ZUKI-GUEST: pcr11 ' "$name.log" | cut -d' ' -f3)
        g12=$(grep -a -m1 '^ZUKI-GUEST: pcr12 ' "$name.log" | cut -d' ' -f3)
        "$zuki" measure --phase : "$@" "$uki" >"$name.measure" || { bad "$name: zuki measure failed"; return; }
        z11=$(sed -n 's/^11:sha256=\([0-9a-f]*\).*/\1/p' "$name.measure")
        z12=$(sed -n 's/^12:sha256=\([0-9a-f]*\).*/\1/p' "$name.measure")
        [[ -n $z12 ]] || z12=$(printf '0%.0s' {1..64}) # no PCR 12 event: the TPM's reset value
        [[ $options != - ]] && model_args=(--load-options "$options")
        m11=$(pcrmodel pcr11 "$uki" --phase :) m12=$(pcrmodel pcr12 "${model_args[@]}")
        [[ ${g11^^} == "${z11^^}" && ${g11^^} == "${m11^^}" ]] && ok "$name: guest PCR 11 = zuki measure = pcrmodel" ||
                bad "$name: PCR 11 guest $g11, zuki measure $z11, pcrmodel $m11"
        [[ ${g12^^} == "${z12^^}" && ${g12^^} == "${m12^^}" ]] && ok "$name: guest PCR 12 = zuki measure = pcrmodel" ||
                bad "$name: PCR 12 guest $g12, zuki measure $z12, pcrmodel $m12"
}

override="console=ttyS0 panic=-1 zuki.case=override"
boot "signed UKI with -append: Secure Boot on, .cmdline wins" --kernel signed.efi --tpm \
        --append "$override" --timeout 180 "${locked[@]}" \
        --expect 'ZUKI-GUEST: secureboot 1$' --expect "ZUKI-GUEST: cmdline $cmdline\$" --expect 'ZUKI-GUEST: done' \
        --expect-not 'zuki.case=override' --expect-not 'legacy linux kernel loader' --expect-not 'zuki: (error|warning)'
check_pcrs "signed UKI with -append: Secure Boot on, .cmdline wins" signed.efi - --secure-boot --load-options "$override"
"$zuki" measure --secure-boot --load-options "$override" signed.efi 2>notice.txt >/dev/null
grep -q 'ignored: Secure Boot is on and the UKI has a .cmdline' notice.txt &&
        ok "zuki measure says the load options are ignored under Secure Boot" ||
        bad "zuki measure does not say the load options are ignored under Secure Boot"
wrong=$("$zuki" measure --phase : --load-options "$override" signed.efi | sed -n 's/^12:sha256=//p')
guest12=$(grep -a -m1 '^ZUKI-GUEST: pcr12 ' "signed UKI with -append: Secure Boot on, .cmdline wins.log" | cut -d' ' -f3)
[[ -n $wrong && ${wrong^^} != "${guest12^^}" ]] && ok "without --secure-boot the PCR 12 prediction differs from the guest (the rule matters)" ||
        bad "zuki measure without --secure-boot predicted PCR 12 '$wrong', guest '$guest12'"
sbopts="console=ttyS0 panic=-1 zuki.case=sb-options"
boot "signed UKI without .cmdline: Secure Boot on, the load options are used" --kernel signed-nocmdline.efi --tpm \
        --append "$sbopts" --timeout 180 "${locked[@]}" --expect "ZUKI-GUEST: cmdline $sbopts\$" \
        --expect 'ZUKI-GUEST: secureboot 1$' --expect 'ZUKI-GUEST: done' --expect-not 'zuki: (error|warning)'
check_pcrs "signed UKI without .cmdline: Secure Boot on, the load options are used" signed-nocmdline.efi "$sbopts" \
        --secure-boot --load-options "$sbopts"
boot "dual-signed UKI from the ESP boots with only the first certificate in db" --esp-image dual.efi --timeout 180 \
        "${locked[@]}" --expect 'ZUKI-GUEST: secureboot 1$' --expect 'ZUKI-GUEST: done' --expect-not 'zuki: (error|warning)'
boot "objcopied UKI signed by osslsigncode boots" --esp-image ossl.efi --timeout 180 \
        "${locked[@]}" --expect 'ZUKI-GUEST: secureboot 1$' --expect 'ZUKI-GUEST: done' --expect-not 'zuki: (error|warning)'
boot "UKI signed by pesign boots" --esp-image pesigned.efi --timeout 180 \
        "${locked[@]}" --expect 'ZUKI-GUEST: secureboot 1$' --expect 'ZUKI-GUEST: done' --expect-not 'zuki: (error|warning)'
vars=sb-vars-new.fd
boot "dual-signed UKI boots with only the second certificate in db" --esp-image dual.efi --timeout 180 \
        "${locked[@]}" --expect 'ZUKI-GUEST: secureboot 1$' --expect 'ZUKI-GUEST: done' --expect-not 'zuki: (error|warning)'
vars=sb-vars-other.fd
boot "dual-signed UKI is refused with neither certificate in db" --esp-image dual.efi "${refused[@]}"
vars=sb-vars.fd
boot "UKI changed after signing is refused by the firmware" --esp-image tampered.efi "${refused[@]}"
boot "unsigned UKI is refused by the firmware" --esp-image unsigned.efi "${refused[@]}"

summary
