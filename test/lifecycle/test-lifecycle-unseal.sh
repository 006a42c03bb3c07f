#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# lifecycle-unseal (issue 18, first increment): the trixie image tools/make-debian-image.sh built
# (systemd-boot + a zuki UKI made by kernel-install inside the image + LUKS2 root), booted from a
# qcow2 overlay with OVMF and a fresh swtpm:
#   0. the TPM2 token is enrolled from the host (systemd-cryptenroll against the swtpm over TCP,
#      signed PCR 11 policy with the image's public key, no PCRs bound by value), into a copy of the
#      LUKS header that is written back into the overlay;
#   1. boot: from the guest's own console report (a unit in the image): systemd-cryptsetup@root
#      finished in the initrd with no TPM2 failure or passphrase fallback in its journal (257 logs
#      nothing on a successful token unlock), no passphrase prompt, `cryptsetup status` active,
#      `zuki status` unlock ok, a consistent event log and the stub's events matching the UKI;
#   2. boot with the UKI's .cmdline changed after signing (one byte, on the overlay's ESP): no
#      unseal, the passphrase prompt appears and is answered on the serial console with the
#      recovery passphrase; systemd-cryptsetup's journal shows the TPM2 unseal failure and the
#      fallback, and `zuki status` in that system says the unlock would fail (PCR 11 matches no
#      signed policy).
#   test-lifecycle-unseal.sh [IMAGE_DIR]
# IMAGE_DIR defaults to the newest complete $ZUKI_CACHE/images/trixie-amd64-*.
# LIFECYCLE_ENROL_KEY=PEM enrols with another public key (to see step 1 fail).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
load_assets
for t in qemu-system-x86_64 qemu-img qemu-io swtpm systemd-cryptenroll cryptsetup mcopy tpm2_getcap; do
        need_tool "$t"
done
img=${1:-}
if [[ -z $img ]]; then
        img=$(ls -td "${ZUKI_CACHE:-/var/cache/zuki}"/images/trixie-amd64-*/ok 2>/dev/null | head -n 1)
        img=${img%/ok}
fi
[[ -n $img && -f $img/ok ]] || skip "no Debian image in ${ZUKI_CACHE:-/var/cache/zuki}/images (tools/setup.sh builds it with tools/make-debian-image.sh)"
# shellcheck disable=SC1091
source "$img/image.env"
code=${ZUKI_OVMF_TRIXIE_CODE:-} vars=${ZUKI_OVMF_TRIXIE_VARS:-}
[[ -f $code && -f $vars ]] || { code=${ZUKI_OVMF_BOOKWORM_CODE:-}; vars=${ZUKI_OVMF_BOOKWORM_VARS:-}; }
[[ -f $code && -f $vars ]] || skip "no OVMF in the asset cache"
make_tmp
echo "== image $img (kernel $IMAGE_KERNEL_RELEASE, UKI $IMAGE_UKI)"

qemu-img create -q -f qcow2 -F raw -b "$img/disk.raw" "$tmp/disk.qcow2" || fail "qemu-img create"
cp "$vars" "$tmp/vars.fd"

# -- 0. enrol the TPM2 token from the host -----------------------------------------------------------
hdr_bytes=$((32 * 1024 * 1024))
truncate -s "$IMAGE_ROOT_SIZE" "$tmp/root.img"
dd if="$img/disk.raw" of="$tmp/root.img" bs=1M iflag=skip_bytes,count_bytes skip="$IMAGE_ROOT_OFFSET" \
        count=$hdr_bytes conv=notrunc status=none || fail "cannot copy the LUKS header"
data_offset=$(cryptsetup luksDump "$tmp/root.img" | awk '/^Data segments:/ { d = 1 } d && /offset:/ { print $2; exit }')
[[ -n $data_offset && $data_offset -le $hdr_bytes ]] || fail "LUKS2 data offset '$data_offset' beyond the copied $hdr_bytes bytes"
swtpm_start "$tmp/tpm" || fail "swtpm"
key=${LIFECYCLE_ENROL_KEY:-$img/pcr-public.pem}
PASSWORD=$(cat "$img/passphrase") systemd-cryptenroll --tpm2-device="$SWTPM_TCTI" --tpm2-pcrs= \
        --tpm2-public-key="$key" --tpm2-public-key-pcrs=11 "$tmp/root.img" >"$tmp/enrol.log" 2>&1 ||
        { cat "$tmp/enrol.log"; fail "systemd-cryptenroll"; }
cat "$tmp/enrol.log"
swtpm_stop
dump=$(cryptsetup luksDump "$tmp/root.img") || fail "cryptsetup luksDump"
grep -q 'systemd-tpm2' <<<"$dump" || fail "no systemd-tpm2 token after enrolment"
ok "TPM2 token enrolled from the host ($(systemd-cryptenroll --version | head -n 1 | cut -d' ' -f1-2)), public key $(basename "$key")"
head -c $hdr_bytes "$tmp/root.img" >"$tmp/hdr.img"
qemu-io -f qcow2 -c "write -q -s $tmp/hdr.img $IMAGE_ROOT_OFFSET $hdr_bytes" "$tmp/disk.qcow2" ||
        fail "cannot write the header into the overlay"
rm -f "$tmp/root.img" "$tmp/hdr.img"

boot() { # NAME [serial-boot options...]
        local name=$1 t0=$SECONDS rc
        shift
        swtpm_start_qemu "$tmp/tpm" || fail "swtpm for QEMU"
        /usr/bin/python3 "$here/serial-boot.py" --log "$tmp/$name.log" --timeout "${LIFECYCLE_TIMEOUT:-420}" \
                --end 'LIFECYCLE: done' "$@" -- \
                qemu-system-x86_64 -machine q35 -m 2048 -nodefaults -display none -serial stdio -no-reboot -net none \
                -drive if=pflash,format=raw,unit=0,readonly=on,file="$code" \
                -drive if=pflash,format=raw,unit=1,file="$tmp/vars.fd" \
                -chardev socket,id=chrtpm,path="$tmp/tpm/sock" -tpmdev emulator,id=tpm0,chardev=chrtpm \
                -device tpm-tis,tpmdev=tpm0 -device virtio-rng-pci \
                -drive if=none,id=disk,format=qcow2,file="$tmp/disk.qcow2" -device virtio-blk-pci,drive=disk
        rc=$?
        swtpm_stop
        echo "== $name: $((SECONDS - t0)) s (serial-boot status $rc)"
        grep -a '^LIFECYCLE: ' "$tmp/$name.log" | tr -d '\r'
        return $rc
}
report() { grep -a '^LIFECYCLE: ' "$tmp/$1.log" | tr -d '\r'; }

# -- 1. TPM2 unseal ------------------------------------------------------------------------------------
echo "== boot 1: the UKI as kernel-install made it"
boot unseal || bad "boot 1 did not reach the report and power off (log: see above / KEEP=1)"
r=$(report unseal)
if grep -aqiE 'please enter passphrase|enter passphrase for' "$tmp/unseal.log"; then
        bad "a passphrase prompt appeared on the console"
else ok "no passphrase prompt on the console"; fi
# systemd-cryptsetup 257 says nothing when its TPM2 token unlocks (libcryptsetup's token plugin path);
# when the TPM refuses it logs "Failed to unseal secret using TPM2" and "falling back to traditional
# unlocking" (seen in boot 2). So from the guest's journal (initrd included): the unit finished,
# and systemd-cryptsetup logged neither a TPM2 failure nor the fallback.
if grep -qE '^LIFECYCLE: boot-journal: .*Finished systemd-cryptsetup@root.service' <<<"$r" &&
        ! grep -qE '^LIFECYCLE: (boot-)?journal: .*systemd-cryptsetup\[[0-9]+\]: .*(Failed to unseal|falling back|[Pp]assword|[Pp]assphrase)' <<<"$r"; then
        ok "journal: systemd-cryptsetup@root finished in the initrd with no TPM2 failure and no fallback to a passphrase"
else bad "journal: systemd-cryptsetup@root did not finish, or fell back from the TPM2 token"; fi
grep -qE '^LIFECYCLE: cryptsetup: /dev/mapper/root is active' <<<"$r" && grep -qE '^LIFECYCLE: cryptsetup: +type: +LUKS2' <<<"$r" &&
        ok "cryptsetup status: root active, LUKS2" || bad "cryptsetup status does not show an active LUKS2 root"
# zuki status --json (one line in the report): the verdicts, read by a small parser.
status_field() { # RUN EXPR  (EXPR over the report dict j)
        grep -a '^LIFECYCLE: zuki-json ' "$tmp/$1.log" | tr -d '\r' | head -n 1 | sed 's/^LIFECYCLE: zuki-json //' |
                /usr/bin/python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2" 2>/dev/null
}
v=$(status_field unseal 'j["unlock"]["state"]')
[[ $v == ok ]] && ok "zuki status: TPM unlock ok" || bad "zuki status: TPM unlock '$v', not ok"
v=$(status_field unseal 'j["event_log"]["consistent"]')
[[ $v == True ]] && ok "zuki status: event log consistent with the TPM" || bad "zuki status: event log consistent = '$v'"
v=$(status_field unseal 'j["event_log"]["comparison"]')
[[ $v == match ]] && ok "zuki status: the stub's events match the booted UKI" || bad "zuki status: stub events comparison '$v'"

# -- 2. .cmdline changed after signing ------------------------------------------------------------------
echo "== boot 2: the UKI's .cmdline changed after signing"
dd if="$img/disk.raw" of="$tmp/esp.img" bs=1M iflag=skip_bytes,count_bytes skip="$IMAGE_ESP_OFFSET" \
        count="$IMAGE_ESP_SIZE" status=none || fail "cannot copy the ESP"
mcopy -n -i "$tmp/esp.img" "::/$IMAGE_UKI" "$tmp/uki.efi" || fail "mcopy the UKI"
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
mcopy -o -i "$tmp/esp.img" "$tmp/uki.efi" "::/$IMAGE_UKI" || fail "mcopy the changed UKI back"
qemu-io -f qcow2 -c "write -q -s $tmp/esp.img $IMAGE_ESP_OFFSET $IMAGE_ESP_SIZE" "$tmp/disk.qcow2" ||
        fail "cannot write the ESP into the overlay"
rm -f "$tmp/esp.img" "$tmp/uki.efi"
printf '%s\n' "$(cat "$img/passphrase")" >"$tmp/answer"
boot tampered --answer '(?i)passphrase for [^\n]*:='"$tmp/answer" 2>"$tmp/tampered.err"
rc=$?
cat "$tmp/tampered.err"
r=$(report tampered)
grep -aqiE 'passphrase for' "$tmp/tampered.log" && ok "the passphrase prompt appeared" || bad "no passphrase prompt"
grep -q 'answered' "$tmp/tampered.err" && ok "answered with the recovery passphrase on the serial console" ||
        bad "the prompt was not answered"
((rc == 0)) && ok "the system booted with the recovery passphrase and powered off" || bad "boot 2 did not complete (status $rc)"
grep -qE '^LIFECYCLE: cryptsetup: /dev/mapper/root is active' <<<"$r" && ok "root active after the passphrase" ||
        bad "root not active after the passphrase"
v=$(status_field tampered 'j["unlock"]["state"]')
[[ $v == would-fail ]] && ok "zuki status: TPM unlock would-fail ($(status_field tampered 'j["unlock"]["reason"]'))" ||
        bad "zuki status: TPM unlock '$v', not would-fail"
v=$(status_field tampered 'j["pcr11"]["match"]')
[[ $v == None ]] && ok "zuki status: PCR 11 matches no signed policy" || bad "zuki status: PCR 11 match '$v'"
grep -qE '^LIFECYCLE: journal: .*systemd-cryptsetup\[[0-9]+\]: Failed to unseal secret using TPM2' <<<"$r" &&
        grep -qE '^LIFECYCLE: journal: .*systemd-cryptsetup\[[0-9]+\]: .*falling back to traditional unlocking' <<<"$r" &&
        ok "journal: systemd-cryptsetup failed to unseal with the TPM2 token and fell back to the passphrase" ||
        bad "journal: no TPM2 unseal failure and fallback from systemd-cryptsetup"
summary
