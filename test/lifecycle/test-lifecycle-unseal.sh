#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# lifecycle-unseal (issue 18): the trixie image tools/make-debian-image.sh built (systemd-boot, a
# zuki UKI made by kernel-install inside the image, boot counting with 2 tries, a LUKS2 root),
# booted from a qcow2 overlay with OVMF and one swtpm state kept across the boots:
#   0. the TPM2 token is enrolled from the host (systemd-cryptenroll against the swtpm over TCP,
#      signed PCR 11 policy with the image's public key, no PCRs bound by value), into a copy of the
#      LUKS header that is written back into the overlay;
#   1. boot (kernel 1): from the guest's own console report (test/lifecycle/guest/lifecycle-report):
#      systemd-cryptsetup@root finished in the initrd with no TPM2 failure or passphrase fallback
#      in its journal (257 logs nothing on a successful token unlock), no passphrase prompt,
#      `cryptsetup status` active, `zuki status` unlock ok, a consistent event log, the stub's
#      events matching the UKI, and systemd-bless-boot marked the UKI good; then, in the guest,
#      `dpkg -i` of a second kernel package (trixie's cloud flavour): its hooks run dracut and
#      kernel-install, zuki's plugin builds a UKI signed with the image's PCR key (+2 tries);
#      `zuki check-policy` and `zuki check-unlock` on it say yes; and a bad update: a copy of it
#      whose kernel panics, named to sort first, with one try;
#   1k. still boot 1 (fw_cfg action kexec): trixie's systemctl kexec alone cannot load the new UKI
#      (kexec-tools 2.0.29 reads no zstd zboot payload); zuki kexec loads it (X86_BOOT=efistub in
#      the image's zuki.conf), systemctl kexec starts kernel 2 without firmware or stub: PCR 11
#      still holds boot 1's measurements, so the TPM2 token cannot unseal and the passphrase
#      prompt is answered; `zuki status` there says the unlock would fail;
#   2. boot: systemd-boot starts the bad UKI (its kernel panics: QEMU exits);
#   3. boot with Secure Boot on (trixie's secboot OVMF; Microsoft's certificates and the image's
#      own in db): shim (BOOTX64.EFI, Microsoft-signed) starts Debian's signed systemd-boot, which
#      skips the bad UKI (no tries left) and starts kernel 2's UKI, signed by ukify in boot 1 with
#      the image's key: the kernel is locked down, the root unsealed by the TPM with the same token
#      (PCR 7 changed; the policy is PCR 11's), blessed; the bad UKI is left at +0-1;
#   4. boot with kernel 2's .cmdline changed after signing (one byte, on the overlay's ESP): no
#      unseal, the passphrase prompt appears and is answered on the serial console with the
#      recovery passphrase; systemd-cryptsetup's journal shows the TPM2 unseal failure and the
#      fallback, and `zuki status` in that system says the unlock would fail (PCR 11 matches no
#      signed policy).
#   test-lifecycle-unseal.sh [--short] [--suite trixie|bookworm] [IMAGE_DIR]
# --suite bookworm: the bookworm image (systemd 252, no ukify): step 0, boot 1 with the kernel
# update only (kernel-install 252; zuki's plugin signs the UKI with zuki build from uki.conf, seen
# by sbverify, zuki check-policy and check-unlock in the guest), boot 2 into kernel 2, unsealed by
# the same token, and boot 3: step 4 (kernel 2's UKI tampered with) against systemd 252.
# IMAGE_DIR defaults to the newest complete $ZUKI_CACHE/images/trixie-amd64-*, which must hold the
# zuki of this checkout (image.env IMAGE_ZUKI_SOURCE; else the test says SKIP).
# --short: the README's first command (tools/demo.sh): step 0 and boot 1 without actions (TPM2
# unseal, zuki status, boot counting), with what the guest reported; the rest is skipped.
# LIFECYCLE_ENROL_KEY=PEM enrols with another public key (to see steps 1 and 3 fail).
# LIFECYCLE_TIMEOUT=S overrides every boot's time limit.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
load_assets
for t in qemu-system-x86_64 qemu-img qemu-io swtpm systemd-cryptenroll cryptsetup mcopy tpm2_getcap; do
        need_tool "$t"
done
short=0 suite=trixie
while [[ ${1:-} == --* ]]; do
        case $1 in
        --short) short=1 ;;
        --suite)
                suite=${2:-}
                shift
                ;;
        *) fail "unknown option $1" ;;
        esac
        shift
done
[[ $suite == trixie || $suite == bookworm ]] || fail "--suite wants trixie or bookworm"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"
lifecycle_image "${1:-}" "$suite"
make_tmp
echo "== image $img (kernel $IMAGE_KERNEL_RELEASE, UKI $IMAGE_UKI)"

qemu-img create -q -f qcow2 -F raw -b "$img/disk.raw" "$tmp/disk.qcow2" || fail "qemu-img create"
cp "$vars" "$tmp/vars.fd"

# -- 0. enrol the TPM2 token from the host -----------------------------------------------------------
key=${LIFECYCLE_ENROL_KEY:-$img/pcr-public.pem}
lifecycle_enrol "$tmp/disk.qcow2" "$tmp/tpm" "$key" "$tmp/enrol.log"
cat "$tmp/enrol.log"
ok "TPM2 token enrolled from the host ($(systemd-cryptenroll --version | head -n 1 | cut -d' ' -f1-2)), public key $(basename "$key")"

# [--secboot] NAME ACTIONS TIMEOUT [serial-boot options...]  (ACTIONS: for the guest's report, via
# fw_cfg; --secboot: the secboot OVMF with $tmp/sb-vars.fd, Secure Boot on)
boot() {
        local sb=() vars_file=$tmp/vars.fd
        [[ $1 == --secboot ]] && { sb=(--secboot) vars_file=$tmp/sb-vars.fd; shift; }
        local name=$1 actions=$2 timeout=$3 t0=$SECONDS rc fwcfg=()
        shift 3
        [[ -n $actions ]] && fwcfg=(-fw_cfg "name=opt/org.zuki/lifecycle,string=$actions")
        swtpm_start_qemu "$tmp/tpm" || fail "swtpm for QEMU"
        lifecycle_qemu_cmd "${sb[@]}" "$tmp/disk.qcow2" "$vars_file" "$tmp/tpm" "${fwcfg[@]}"
        /usr/bin/python3 "$here/serial-boot.py" --log "$tmp/$name.log" --timeout "$timeout" "$@" -- "${qemu_cmd[@]}"
        rc=$?
        swtpm_stop
        echo "== $name: $((SECONDS - t0)) s (serial-boot status $rc)"
        grep -a '^LIFECYCLE: ' "$tmp/$name.log" | tr -d '\r'
        return $rc
}
report() { grep -a '^LIFECYCLE: ' "$tmp/$1.log" | tr -d '\r'; }
# zuki status --json (one line in the report): the verdicts, read by a small parser.
json_field() { # RUN PREFIX EXPR  (EXPR over the parsed line j)
        grep -a "^LIFECYCLE: $2 " "$tmp/$1.log" | tr -d '\r' | head -n 1 | sed "s/^LIFECYCLE: $2 //" |
                /usr/bin/python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$3" 2>/dev/null
}
status_field() { json_field "$1" zuki-json "$2"; }
timeout_for() { echo "${LIFECYCLE_TIMEOUT:-$1}"; }

# The checks of a boot that must have unsealed the root with the TPM: RUN KERNEL-RELEASE
check_unsealed() {
        local run=$1 kver=$2 r v
        r=$(report "$run")
        grep -qE "^LIFECYCLE: booted $(q "$kver") cmdline:" <<<"$r" && ok "$run: kernel $kver booted" ||
                bad "$run: kernel $kver did not boot ($(grep -m1 '^LIFECYCLE: booted' <<<"$r"))"
        if grep -aqiE 'please enter passphrase|enter passphrase for' "$tmp/$run.log"; then
                bad "$run: a passphrase prompt appeared on the console"
        else ok "$run: no passphrase prompt on the console"; fi
        # systemd-cryptsetup 257 says nothing when its TPM2 token unlocks (libcryptsetup's token plugin
        # path); when the TPM refuses it logs "Failed to unseal secret using TPM2" and "falling back to
        # traditional unlocking" (seen in the tampered boot). So from the guest's journal (initrd
        # included): the unit finished, and systemd-cryptsetup logged neither.
        if grep -qE '^LIFECYCLE: boot-journal: .*Finished systemd-cryptsetup@root.service' <<<"$r" &&
                ! grep -qE '^LIFECYCLE: (boot-)?journal: .*systemd-cryptsetup\[[0-9]+\]: .*(Failed to unseal|falling back|[Pp]assword|[Pp]assphrase)' <<<"$r"; then
                ok "$run: journal: systemd-cryptsetup@root finished in the initrd with no TPM2 failure and no fallback to a passphrase"
        else bad "$run: journal: systemd-cryptsetup@root did not finish, or fell back from the TPM2 token"; fi
        grep -qE '^LIFECYCLE: cryptsetup: /dev/mapper/root is active' <<<"$r" && grep -qE '^LIFECYCLE: cryptsetup: +type: +LUKS2' <<<"$r" &&
                ok "$run: cryptsetup status: root active, LUKS2" || bad "$run: cryptsetup status does not show an active LUKS2 root"
        v=$(status_field "$run" 'j["unlock"]["state"]')
        [[ $v == ok ]] && ok "$run: zuki status: TPM unlock ok" || bad "$run: zuki status: TPM unlock '$v', not ok"
        v=$(status_field "$run" 'j["event_log"]["consistent"]')
        [[ $v == True ]] && ok "$run: zuki status: event log consistent with the TPM" || bad "$run: zuki status: event log consistent = '$v'"
        v=$(status_field "$run" 'j["event_log"]["comparison"]')
        [[ $v == match ]] && ok "$run: zuki status: the stub's events match the booted UKI" || bad "$run: zuki status: stub events comparison '$v'"
}
# Boot counting as the guest saw it: RUN BLESS-STATUS ESP-FILE-REGEX...
check_esp() {
        local run=$1 bless=$2 rx r
        shift 2
        r=$(report "$run")
        grep -qE "^LIFECYCLE: bless $bless\$" <<<"$r" && ok "$run: systemd-bless-boot status: $bless" ||
                bad "$run: systemd-bless-boot status is not $bless ($(grep -m1 '^LIFECYCLE: bless ' <<<"$r"))"
        for rx in "$@"; do
                # the listing before the actions (the first block of esp lines)
                awk '/^LIFECYCLE: actions:/ { exit } { print }' <<<"$r" | grep -qE "^LIFECYCLE: esp: $rx\$" &&
                        ok "$run: on the ESP: $rx" || bad "$run: no UKI on the ESP matches $rx"
        done
}
# The kernel update of boot 1 as the guest reported it: RUN SIGNER (who signed the UKI for Secure Boot)
check_upgrade() {
        local run=$1 signer=$2 r v
        r=$(report "$run")
        grep -qE "^LIFECYCLE: upgrade: dpkg -i exit 0 " <<<"$r" && ok "upgrade: dpkg -i $IMAGE_KERNEL2_PACKAGE succeeded in the guest ($(grep -m1 -oE 'after [0-9]+ s' <<<"$r"))" ||
                bad "upgrade: dpkg -i failed ($(grep -m1 '^LIFECYCLE: upgrade: dpkg' <<<"$r"))"
        grep -qE "^LIFECYCLE: upgrade: uki /efi/EFI/Linux/$(q "$token-$k2")\+2\.efi\$" <<<"$r" &&
                ok "upgrade: kernel-install installed the new UKI with 2 boot tries" ||
                bad "upgrade: no new UKI $token-$k2+2.efi ($(grep -m1 '^LIFECYCLE: upgrade: uki' <<<"$r"))"
        grep -qE '^LIFECYCLE: upgrade: sbverify exit 0$' <<<"$r" &&
                ok "upgrade: $signer signed the new UKI with the image's Secure Boot key (sbverify in the guest)" ||
                bad "upgrade: the new UKI is not signed with /etc/kernel/secureboot.crt: $(grep '^LIFECYCLE: sbverify' <<<"$r" | tail -n 1)"
        grep -qE '^LIFECYCLE: inspect: .*\.pcrsig' <<<"$r" && ok "upgrade: the new UKI has a .pcrsig" || bad "upgrade: the new UKI has no .pcrsig"
        grep -qE '^LIFECYCLE: check-policy exit 0$' <<<"$r" && ok "upgrade: zuki check-policy accepts the new UKI's signed policy" ||
                bad "upgrade: zuki check-policy refused the new UKI"
        v=$(json_field "$run" check-unlock-json 'j["answer"]')
        grep -qE '^LIFECYCLE: check-unlock exit 0$' <<<"$r" && [[ $v == unlocks ]] &&
                ok "upgrade: zuki check-unlock in the guest: the new UKI unlocks the root ($v)" ||
                bad "upgrade: zuki check-unlock: '$v' ($(grep -m1 '^LIFECYCLE: check-unlock exit' <<<"$r"))"
}
k1=$IMAGE_KERNEL_RELEASE k2=${IMAGE_KERNEL2_RELEASE:-}
[[ -n $k2 ]] || fail "the image has no second kernel (image.env: IMAGE_KERNEL2_RELEASE; rebuild it with tools/make-debian-image.sh)"
token=$IMAGE_MACHINE_ID
q() { sed 's/[.+]/\\&/g' <<<"$1"; } # a file name as a regular expression

if ((short)); then
        echo "== boot: the UKI kernel-install made inside the image, the root unsealed by the TPM"
        boot unseal "" "$(timeout_for 1200)" --end 'LIFECYCLE: done' >"$tmp/boot.out" 2>&1 ||
                { cat "$tmp/boot.out"; bad "the boot did not reach the report and power off"; }
        grep -E '^== ' "$tmp/boot.out"
        report unseal | grep -E '^LIFECYCLE: (booted|entry|cryptsetup: (/dev|  type)|bless |zuki-status: (stub|kernel|KASLR|W\^X|stub time|boot loader|PCR 11|signed|policy|event log|stub events|volume|TPM unlock))' |
                sed 's/^LIFECYCLE: /  guest: /' | cut -c1-200
        check_unsealed unseal "$k1"
        check_esp unseal good "$(q "$token-$k1").efi"
        summary
        exit
fi

# The tampered step (trixie's step 4, bookworm's boot 3): kernel 2's UKI with its .cmdline changed
# after signing (one byte, on the overlay's ESP) boots; no unseal, the passphrase prompt appears and
# is answered with the recovery passphrase; systemd-cryptsetup's journal shows the TPM2 unseal
# failure and the fallback, and zuki status in that system says the unlock would fail.
boot_tampered() {
        local uki rc r v
        qemu-img dd -f qcow2 -O raw bs=1M skip=$((IMAGE_ESP_OFFSET / 1048576)) count=$((IMAGE_ESP_SIZE / 1048576)) \
                if="$tmp/disk.qcow2" of="$tmp/esp.img" || fail "cannot copy the ESP out of the overlay"
        uki=EFI/Linux/$token-$k2.efi
        mcopy -n -i "$tmp/esp.img" "::/$uki" "$tmp/uki.efi" || fail "mcopy $uki"
        /usr/bin/python3 - "$tmp/uki.efi" <<'PY' || fail "cannot change .cmdline"
import sys, pefile
path = sys.argv[1]
pe = pefile.PE(path, fast_load=True)
for s in pe.sections:
    if s.Name.rstrip(b"\0") == b".cmdline":
        data = s.get_data()[: s.Misc_VirtualSize]
        i = data.find(b"systemd.show_status=1")
        assert i >= 0, data
        off = s.PointerToRawData + i + len(b"systemd.show_status=")
        break
else:
    raise SystemExit("no .cmdline")
pe.close()
with open(path, "r+b") as f:
    f.seek(off)
    f.write(b"0")  # same length: the PE stays valid, only the measured bytes change
print("changed .cmdline at file offset", off)
PY
        mcopy -o -i "$tmp/esp.img" "$tmp/uki.efi" "::/$uki" || fail "mcopy the changed UKI back"
        qemu-io -f qcow2 -c "write -q -s $tmp/esp.img $IMAGE_ESP_OFFSET $IMAGE_ESP_SIZE" "$tmp/disk.qcow2" ||
                fail "cannot write the ESP into the overlay"
        rm -f "$tmp/esp.img" "$tmp/uki.efi"
        printf '%s\n' "$(cat "$img/passphrase")" >"$tmp/answer"
        boot tampered "" "$(timeout_for 900)" --end 'LIFECYCLE: done' --answer '(?i)passphrase for [^\n]*:='"$tmp/answer" 2>"$tmp/tampered.err"
        rc=$?
        cat "$tmp/tampered.err"
        r=$(report tampered)
        grep -qE "^LIFECYCLE: booted $(q "$k2") cmdline: .*systemd.show_status=0" <<<"$r" && ok "tampered: the changed UKI of kernel $k2 booted" ||
                bad "tampered: not the changed UKI ($(grep -m1 '^LIFECYCLE: booted' <<<"$r"))"
        grep -aqiE 'passphrase for' "$tmp/tampered.log" && ok "tampered: the passphrase prompt appeared" || bad "tampered: no passphrase prompt"
        grep -q 'answered' "$tmp/tampered.err" && ok "tampered: answered with the recovery passphrase on the serial console" ||
                bad "tampered: the prompt was not answered"
        ((rc == 0)) && ok "tampered: the system booted with the recovery passphrase and powered off" || bad "tampered: the boot did not complete (status $rc)"
        grep -qE '^LIFECYCLE: cryptsetup: /dev/mapper/root is active' <<<"$r" && ok "tampered: root active after the passphrase" ||
                bad "tampered: root not active after the passphrase"
        v=$(status_field tampered 'j["unlock"]["state"]')
        [[ $v == would-fail ]] && ok "tampered: zuki status: TPM unlock would-fail ($(status_field tampered 'j["unlock"]["reason"]'))" ||
                bad "tampered: zuki status: TPM unlock '$v', not would-fail"
        v=$(status_field tampered 'j["pcr11"]["match"]')
        [[ $v == None ]] && ok "tampered: zuki status: PCR 11 matches no signed policy" || bad "tampered: zuki status: PCR 11 match '$v'"
        # 257 tries the unseal and fails it; 252 finds no signature for the PCR 11 value first.
        local why='Failed to unseal secret using TPM2|Couldn.t find signature for this PCR bank, PCR index and public key'
        local failure
        failure=$(grep -m1 -oE "^LIFECYCLE: journal: .*systemd-cryptsetup\[[0-9]+\]: ($why)" <<<"$r" | sed 's/.*\]: //')
        [[ -n $failure ]] && grep -qE '^LIFECYCLE: journal: .*systemd-cryptsetup\[[0-9]+\]: .*falling back to traditional unlocking' <<<"$r" &&
                ok "tampered: journal: systemd-cryptsetup refused the TPM2 token (\"$failure\") and fell back to the passphrase" ||
                bad "tampered: journal: no TPM2 unseal failure and fallback from systemd-cryptsetup"
}

# bookworm (systemd 252, no ukify): the TPM2 unseal, a kernel update whose UKI zuki's plugin signs
# with zuki build from uki.conf, and the next boot into it, unsealed by the same token.
if [[ $suite == bookworm ]]; then
        echo "== boot 1: the UKI as kernel-install 252 made it; then install kernel $k2 with dpkg"
        boot unseal "upgrade" "$(timeout_for 2400)" --end 'LIFECYCLE: done' ||
                bad "boot 1 did not reach the report and power off (log: see above / KEEP=1)"
        check_unsealed unseal "$k1"
        check_esp unseal good "$(q "$token-$k1").efi"
        check_upgrade unseal "zuki build (uki.conf, no ukify)"
        echo "== boot 2: systemd-boot 252 boots kernel $k2's UKI"
        boot upgraded "" "$(timeout_for 900)" --end 'LIFECYCLE: done' || bad "boot 2 did not reach the report and power off"
        check_unsealed upgraded "$k2"
        check_esp upgraded good "$(q "$token-$k2").efi" "$(q "$token-$k1").efi"
        r=$(report upgraded)
        # (systemd-boot 252's LoaderEntrySelected keeps the boot counter, 257's does not)
        grep -qE "^LIFECYCLE: entry $(q "$token-$k2")(\+[0-9]+(-[0-9]+)?)?\.efi\$" <<<"$r" &&
                ok "systemd-boot's selected entry: $(grep -m1 '^LIFECYCLE: entry' <<<"$r" | sed 's/^LIFECYCLE: entry //')" ||
                bad "systemd-boot selected $(grep -m1 '^LIFECYCLE: entry' <<<"$r")"
        echo "== boot 3: kernel $k2's UKI with its .cmdline changed after signing"
        boot_tampered
        summary
        exit
fi

# Boot 3's firmware variables: Secure Boot on, Microsoft's certificates and the image's own in db.
lifecycle_secboot_vars "$tmp/sb-vars.fd"

# -- 1. TPM2 unseal; a kernel update; a bad update --------------------------------------------------
echo "== boot 1: the UKI as kernel-install made it; then install kernel $k2 with dpkg, a broken UKI, kexec into kernel $k2"
printf '%s\n' "$(cat "$img/passphrase")" >"$tmp/answer"
boot unseal "upgrade break kexec" "$(timeout_for 2700)" --end 'LIFECYCLE: done' \
        --answer '(?i)passphrase for [^\n]*:='"$tmp/answer" 2>"$tmp/unseal.err" ||
        bad "boot 1 (and its kexec) did not reach the report and power off (log: see above / KEEP=1)"
cat "$tmp/unseal.err"
# The kexec'd kernel's console output follows boot 1's in the same log: split it off.
split_at=$(grep -a -n -m1 '^LIFECYCLE: kexec: handing over to systemctl kexec' "$tmp/unseal.log" | cut -d: -f1)
if [[ -n $split_at ]]; then
        tail -n +$((split_at + 1)) "$tmp/unseal.log" >"$tmp/kexec.log"
        head -n "$split_at" "$tmp/unseal.log" >"$tmp/unseal.first" && mv "$tmp/unseal.first" "$tmp/unseal.log"
else
        : >"$tmp/kexec.log"
fi
check_unsealed unseal "$k1"
# The image's UKI was installed with 2 tries (/etc/kernel/tries); reaching boot-complete.target blessed it.
check_esp unseal good "$(q "$token-$k1").efi"
r=$(report unseal)
# (mokutil: "SecureBoot disabled"; with this non-secboot OVMF, which has no SecureBoot variable,
# "This system doesn't support Secure Boot")
grep -qE "^LIFECYCLE: secureboot (SecureBoot disabled|This system doesn't support Secure Boot)" <<<"$r" && grep -qiE '^LIFECYCLE: loader-image .*\\EFI\\BOOT\\grubx64\.efi$' <<<"$r" &&
        ok "boot 1: Secure Boot off; systemd-boot started by shim as EFI/BOOT/grubx64.efi" ||
        bad "boot 1: $(grep -m1 '^LIFECYCLE: secureboot' <<<"$r"), $(grep -m1 '^LIFECYCLE: loader-image' <<<"$r")"
check_upgrade unseal "ukify"
grep -qE "^LIFECYCLE: break: wrote /efi/EFI/Linux/$(q "$token")-9\.99\.0-broken\+1\.efi" <<<"$r" &&
        ok "break: a UKI whose kernel panics installed with 1 try" || bad "break: no broken UKI written"

# -- 1k. kexec into kernel 2 --------------------------------------------------------------------------
r=$(report unseal)
if grep -qE '^LIFECYCLE: kexec: systemctl kexec with nothing loaded: exit [1-9][0-9]*, kexec_loaded 0' <<<"$r"; then
        ok "kexec: trixie's systemctl kexec alone does not load the zuki UKI ($(grep -m1 '^LIFECYCLE: kexec-systemctl-alone' <<<"$r" | cut -c1-160))"
else bad "kexec: systemctl kexec alone: $(grep -m1 '^LIFECYCLE: kexec: systemctl kexec' <<<"$r")"; fi
grep -qE '^LIFECYCLE: kexec: kexec -s -l UKI: exit [1-9]' <<<"$r" &&
        ok "kexec: $(grep -m1 '^LIFECYCLE: kexec-tools:' <<<"$r" | sed 's/^LIFECYCLE: kexec-tools: //') refuses the UKI itself: $(grep '^LIFECYCLE: kexec-tools-uki' <<<"$r" | tail -n 1 | sed 's/^LIFECYCLE: kexec-tools-uki: //')" ||
        bad "kexec: kexec-tools loaded the zuki UKI by itself (docs/kexec.md says it cannot): $(grep -m1 '^LIFECYCLE: kexec: kexec -s' <<<"$r")"
grep -qE '^LIFECYCLE: kexec: zuki kexec exit 0, kexec_loaded 1$' <<<"$r" &&
        ok "kexec: zuki kexec loaded it ($(grep -m1 '^LIFECYCLE: zuki-kexec: Loaded' <<<"$r" | sed 's/^LIFECYCLE: zuki-kexec: //' | cut -c1-190))" ||
        bad "kexec: zuki kexec did not load the UKI: $(grep '^LIFECYCLE: zuki-kexec' <<<"$r" | tail -n 2)"
grep -q 'answered' "$tmp/unseal.err" && ok "kexec: the kexec'd kernel asked for the passphrase; answered on the console" ||
        bad "kexec: no passphrase prompt after the kexec"
kx=$(report kexec)
grep -aq 'kexec_core: Starting new kernel' "$tmp/unseal.log" "$tmp/kexec.log" && ok "kexec: the kernel said 'Starting new kernel'" ||
        bad "kexec: no 'kexec_core: Starting new kernel' on the console"
grep -qE "^LIFECYCLE: booted $(q "$k2") cmdline: .*rd\.luks\.name=" <<<"$kx" &&
        ok "kexec: kernel $k2 runs with the UKI's command line" || bad "kexec: kernel $k2 did not report ($(grep -m1 '^LIFECYCLE: booted' <<<"$kx"))"
grep -qE '^LIFECYCLE: cryptsetup: /dev/mapper/root is active' <<<"$kx" && ok "kexec: root active after the passphrase" ||
        bad "kexec: root not active"
# No stub ran, so the kexec'd initrd has no /.extra/tpm2-pcr-signature.json: systemd-cryptsetup 257
# says "Failed to load PCR signature" (with one, PCR 11 would still hold boot 1's measurements).
kx_fail='systemd-cryptsetup\[[0-9]+\]: .*(Failed to load PCR signature|Failed to unseal|falling back to traditional unlocking)'
grep -qE "^LIFECYCLE: journal: .*$kx_fail" <<<"$kx" &&
        ok "kexec: journal: systemd-cryptsetup could not use the TPM2 token: $(grep -E -m1 "^LIFECYCLE: journal: .*$kx_fail" <<<"$kx" | sed 's/.*systemd-cryptsetup\[[0-9]*\]: //' | cut -c1-120)" ||
        bad "kexec: journal: no TPM2 failure from systemd-cryptsetup"
grep -qE '^LIFECYCLE: actions: .*not again' <<<"$kx" && ok "kexec: the kexec'd boot did not run boot 1's actions again" ||
        bad "kexec: the kexec'd boot ran the actions again"
v=$(status_field kexec 'j["kernel"]["kexec"], j["unlock"]["state"]')
[[ $v == "(True, 'would-fail')" ]] && ok "kexec: zuki status: started by kexec, TPM unlock would-fail ($(status_field kexec 'j["unlock"]["reason"]' | cut -c1-100)…)" ||
        bad "kexec: zuki status: (kexec, unlock) = $v, not (True, would-fail)"

# -- 2. the bad update --------------------------------------------------------------------------------
echo "== boot 2: systemd-boot picks the broken UKI (newest, 1 try left)"
boot broken "" "$(timeout_for 600)" --end 'Kernel panic' || true
grep -aqE 'Command line: .*rdinit=/nonex panic=1' "$tmp/broken.log" && grep -aq 'Kernel panic' "$tmp/broken.log" &&
        ok "the broken UKI booted and its kernel panicked" || bad "the broken UKI did not boot and panic"

# -- 3. the previous good UKI: the new kernel, TPM-unsealed without re-enrolment, Secure Boot on -----------
echo "== boot 3 (Secure Boot on): systemd-boot skips the broken UKI (no tries left) and boots kernel $k2"
boot --secboot upgraded "" "$(timeout_for 900)" --end 'LIFECYCLE: done' ||
        bad "boot 3 did not reach the report and power off"
check_unsealed upgraded "$k2"
check_esp upgraded good "$(q "$token-$k2").efi" "$(q "$token")-9\.99\.0-broken\+0-1\.efi" "$(q "$token-$k1").efi"
r=$(report upgraded)
grep -qE "^LIFECYCLE: entry $(q "$token-$k2").efi\$" <<<"$r" && ok "systemd-boot's selected entry: $token-$k2.efi" ||
        bad "systemd-boot selected $(grep -m1 '^LIFECYCLE: entry' <<<"$r")"
# The chain firmware -> shim (Microsoft's signature) -> systemd-boot (Debian's, checked by shim) ->
# the UKI kernel-install signed in boot 1 (checked against db), as the guest saw it.
grep -qE '^LIFECYCLE: secureboot SecureBoot enabled' <<<"$r" && ok "secure boot: mokutil in the guest: SecureBoot enabled" ||
        bad "secure boot: $(grep -m1 '^LIFECYCLE: secureboot' <<<"$r")"
grep -qE '^LIFECYCLE: lockdown .*\[(integrity|confidentiality)\]' <<<"$r" && grep -aq 'Kernel is locked down from EFI Secure Boot' "$tmp/upgraded.log" &&
        ok "secure boot: the kernel locked itself down ($(grep -m1 '^LIFECYCLE: lockdown' <<<"$r" | sed 's/^LIFECYCLE: //'))" ||
        bad "secure boot: no lockdown ($(grep -m1 '^LIFECYCLE: lockdown' <<<"$r"))"
grep -qiE '^LIFECYCLE: loader-image .*\\EFI\\BOOT\\grubx64\.efi$' <<<"$r" && grep -qE '^LIFECYCLE: shim-variables .*SbatLevelRT' <<<"$r" &&
        ok "secure boot: shim started systemd-boot (LoaderImageIdentifier $(grep -m1 '^LIFECYCLE: loader-image' <<<"$r" | sed 's/^LIFECYCLE: loader-image //'); shim's $(grep -m1 '^LIFECYCLE: shim-variables' <<<"$r" | sed 's/^LIFECYCLE: shim-variables //'))" ||
        bad "secure boot: not through shim: $(grep -m1 '^LIFECYCLE: loader-image' <<<"$r"), $(grep -m1 '^LIFECYCLE: shim-variables' <<<"$r")"

# -- 4. .cmdline changed after signing ------------------------------------------------------------------
echo "== boot 4: the new UKI's .cmdline changed after signing"
boot_tampered
summary
