# shellcheck shell=bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What the life-cycle test and the installed-system benchmark (bench/lifecycle-boot.sh) share;
# sourced after test/lib/common.sh and load_assets.
#   lifecycle_image [DIR] [SUITE]
#                            the image tools/make-debian-image.sh built (DIR, else the newest
#                            complete $ZUKI_CACHE/images/SUITE-amd64-*, SUITE trixie by default,
#                            which must hold this checkout's zuki): sets $img, sources its
#                            image.env and sets $code/$vars (trixie's OVMF, else bookworm's), or
#                            skips
#   lifecycle_enrol OVERLAY TPMDIR KEY LOG
#                            step 0: a systemd-tpm2 token with a signed PCR 11 policy (public KEY,
#                            no PCRs by value) enrolled from the host against the swtpm state in
#                            TPMDIR into a copy of the LUKS2 header, written into the qcow2 OVERLAY
#   lifecycle_secboot_vars OUT
#                            OUT: trixie's OVMF variables with Secure Boot on, Microsoft's KEK and db
#                            certificates (virt-firmware's default set: shim is signed by the UEFI
#                            CA 2011) and the image's secureboot.crt as PK, KEK and in db (skips
#                            without virt-firmware or trixie's secboot OVMF)
#   lifecycle_qemu_cmd [--secboot] OVERLAY VARS TPMDIR [QEMU ARGS...]
#                            sets the array qemu_cmd: QEMU (q35, 2 GiB, TCG, serial on stdio) on
#                            OVERLAY with the swtpm of TPMDIR (the caller starts it with
#                            swtpm_start_qemu); --secboot: trixie's secboot OVMF (SMM, secure flash)

lifecycle_image() {
        img=${1:-}
        local newest=0 key suite=${2:-trixie}
        if [[ -z $img ]]; then
                newest=1
                img=$(ls -td "${ZUKI_CACHE:-/var/cache/zuki}"/images/"$suite"-amd64-*/ok 2>/dev/null | head -n 1)
                img=${img%/ok}
        fi
        [[ -n $img && -f $img/ok ]] || skip "no Debian $suite image in ${ZUKI_CACHE:-/var/cache/zuki}/images (tools/setup.sh builds it with tools/make-debian-image.sh --suite $suite)"
        # shellcheck disable=SC1091
        source "$img/image.env"
        # The newest image must hold the zuki of this checkout (an image named on the command line
        # is taken as it is).
        # shellcheck source-path=SCRIPTDIR source=../../tools/lib/source-key.sh
        source "$ZUKI_TEST_DIR/../tools/lib/source-key.sh"
        key=$(zuki_source_key "$ZUKI_TEST_DIR/..")
        ((newest)) && [[ ${IMAGE_ZUKI_SOURCE:-} != "$key" ]] &&
                skip "the cached image $(basename "$img") holds zuki from other sources (${IMAGE_ZUKI_SOURCE:-unrecorded}, this checkout: $key): tools/setup.sh rebuilds it"
        code=${ZUKI_OVMF_TRIXIE_CODE:-} vars=${ZUKI_OVMF_TRIXIE_VARS:-}
        [[ -f $code && -f $vars ]] || { code=${ZUKI_OVMF_BOOKWORM_CODE:-}; vars=${ZUKI_OVMF_BOOKWORM_VARS:-}; }
        [[ -f $code && -f $vars ]] || skip "no OVMF in the asset cache"
}

lifecycle_enrol() {
        local overlay=$1 tpmdir=$2 key=$3 log=$4 hdr_bytes=$((32 * 1024 * 1024)) scratch data_offset
        scratch=$(mktemp -d "${TMPDIR:-/tmp}/zuki-enrol.XXXXXX")
        # The header, in a sparse file of the partition's size (cryptsetup checks the size).
        truncate -s "$IMAGE_ROOT_SIZE" "$scratch/root.img"
        dd if="$img/disk.raw" of="$scratch/root.img" bs=1M iflag=skip_bytes,count_bytes skip="$IMAGE_ROOT_OFFSET" \
                count=$hdr_bytes conv=notrunc status=none || { rm -rf "$scratch"; fail "cannot copy the LUKS header"; }
        data_offset=$(cryptsetup luksDump "$scratch/root.img" | awk '/^Data segments:/ { d = 1 } d && /offset:/ { print $2; exit }')
        [[ -n $data_offset && $data_offset -le $hdr_bytes ]] ||
                { rm -rf "$scratch"; fail "LUKS2 data offset '$data_offset' beyond the copied $hdr_bytes bytes"; }
        swtpm_start "$tpmdir" || { rm -rf "$scratch"; fail "swtpm"; }
        PASSWORD=$(cat "$img/passphrase") systemd-cryptenroll --tpm2-device="$SWTPM_TCTI" --tpm2-pcrs= \
                --tpm2-public-key="$key" --tpm2-public-key-pcrs=11 "$scratch/root.img" >"$log" 2>&1 ||
                { cat "$log"; swtpm_stop; rm -rf "$scratch"; fail "systemd-cryptenroll"; }
        swtpm_stop
        # (grep -q would close the pipe early: pipefail)
        grep -q 'systemd-tpm2' <<<"$(cryptsetup luksDump "$scratch/root.img")" ||
                { rm -rf "$scratch"; fail "no systemd-tpm2 token after enrolment"; }
        head -c $hdr_bytes "$scratch/root.img" >"$scratch/hdr.img"
        qemu-io -f qcow2 -c "write -q -s $scratch/hdr.img $IMAGE_ROOT_OFFSET $hdr_bytes" "$overlay" ||
                { rm -rf "$scratch"; fail "cannot write the header into the overlay"; }
        rm -rf "$scratch"
}

lifecycle_secboot_vars() {
        need_secboot_firmware
        secboot_vars "$1" "$img/secureboot.crt" "$img/secureboot.crt"
}

lifecycle_qemu_cmd() {
        local machine=(-machine q35) fw=$code
        if [[ $1 == --secboot ]]; then
                machine=("${OVMF_SMM_MACHINE[@]}") fw=$ZUKI_OVMF_TRIXIE_SECBOOT_CODE
                shift
        fi
        local overlay=$1 vars_file=$2 tpmdir=$3
        shift 3
        # shellcheck disable=SC2034,SC2054 # qemu_cmd is the result; the commas are QEMU's
        qemu_cmd=(qemu-system-x86_64 "${machine[@]}" -m 2048 -nodefaults -display none -serial stdio -no-reboot -net none
                -drive if=pflash,format=raw,unit=0,readonly=on,file="$fw"
                -drive if=pflash,format=raw,unit=1,file="$vars_file"
                -chardev socket,id=chrtpm,path="$tpmdir/sock" -tpmdev emulator,id=tpm0,chardev=chrtpm
                -device tpm-tis,tpmdev=tpm0 -device virtio-rng-pci "$@"
                -drive if=none,id=disk,format=qcow2,file="$overlay" -device virtio-blk-pci,drive=disk)
}
