#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# dracut --uefi with zuki's stub (issue 17, item 5). dracut runs objcopy over the stub and adds
# .osrel, .cmdline, .sbat, .linux (the --kernel-image file as it is) and .initrd (its initramfs).
#   - trixie's dracut 106 with a zuki zboot image as --kernel-image: the result is a UKI to
#     `zuki inspect`; .linux is the zboot image byte for byte, .cmdline the command line given
#     (dracut writes it between spaces, NUL-terminated), .sbat keeps zuki's component line; `zuki measure`
#     equals systemd-measure 262 on its sections (when fetched); it boots under OVMF (trixie):
#     zuki decompresses the zboot image itself, the kernel gets the command line and runs dracut's
#     /init (its "dracut-106" banner), no zuki error.
#   - bookworm's dracut 059 places the new sections at fixed addresses (0x20000, 0x30000,
#     0x2000000, ...) meant for a stub linked at image base 0 and smaller than 128 KiB; zuki's stub
#     is linked at 0x140000000, so objcopy puts them "below image base" and the PE is invalid:
#     `zuki inspect` must refuse it with one line. (docs/compatibility.md: use dracut 059 for the
#     initrd only and build the UKI with zuki build or ukify.)
#   test-dracut.sh ZUKI STUB ZBOOT_IMAGE KERNEL_RELEASE
# shellcheck disable=SC2015 # "check && ok || bad": ok never fails
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$(realpath "$1") stub=$(realpath "$2") zboot=$(realpath "$3") release=$4
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
need_tool objcopy binutils
need_tool objdump binutils
load_assets
need_asset ZUKI_DRACUT_TRIXIE "trixie's dracut (tools/setup.sh)"
make_tmp
cd "$tmp" || exit 1

cmdline="console=ttyS0 panic=-1 zuki.dracut=106"
# --no-kernel: no kernel modules (the host has none for this kernel); -m base: dracut's own
# /init and what it needs, enough to show that the kernel runs dracut's initramfs.
dracut_uki() { # DRACUT OUT CMDLINE
        "$1" --uefi --uefi-stub "$stub" --kernel-image "$zboot" --kver "$release" --no-hostonly \
                --no-kernel -m base --kernel-cmdline "$3" --force "$2" >"$2.log" 2>&1
}

# --- dracut 106 ---------------------------------------------------------------------------------
dracut_uki "$ZUKI_DRACUT_TRIXIE" d106.efi "$cmdline" || fail "dracut 106 --uefi: $(tail -n 3 d106.efi.log)"
ok "dracut $("$ZUKI_DRACUT_TRIXIE" --version | awk '{print $2}') --uefi --uefi-stub zuki made $(stat -c %s d106.efi) bytes"
"$zuki" inspect d106.efi >inspect.txt 2>&1 && grep -q '^type: uki$' inspect.txt &&
        ok "zuki inspect: a UKI with $(awk '$1 ~ /^\./ {printf "%s ", $1}' inspect.txt)" ||
        bad "zuki inspect: $(head -n 5 inspect.txt)"
"$zuki" extract --sections sections d106.efi >/dev/null 2>&1 || bad "zuki extract --sections"
cmp -s sections/linux "$zboot" && ok ".linux is the zboot image, byte for byte" ||
        bad ".linux is not the zboot image dracut was given"
# dracut writes " CMDLINE " and a NUL; the stub drops the surrounding whitespace.
[[ $(tr -d '\0' <sections/cmdline | sed 's/^ *//; s/ *$//') == "$cmdline" ]] &&
        ok ".cmdline is the command line given (between spaces, NUL-terminated)" ||
        bad ".cmdline: '$(tr -d '\0' <sections/cmdline)'"
grep -qa '^zuki,' sections/sbat && ok ".sbat keeps zuki's component line" || bad ".sbat: $(tr -d '\0' <sections/sbat)"
nuls=$(tr -cd '\0' <sections/sbat | wc -c)
echo "note: dracut's .sbat is the stub's lines, then the kernel's .sbat as objcopy dumps it ($nuls NUL bytes of the zboot image's section padding included)"
if [[ -x ${ZUKI_SYSTEMD_MEASURE262:-} ]]; then
        args=()
        for f in linux osrel cmdline initrd sbat; do [[ -e sections/$f ]] && args+=("--$f=sections/$f"); done
        "$ZUKI_SYSTEMD_MEASURE262" calculate "${args[@]}" --bank=sha256 --json=short >sdm.json 2>sdm.err &&
                "$zuki" measure --bank sha256 --json=short d106.efi >zm.json 2>zm.err && cmp -s sdm.json zm.json &&
                ok "zuki measure = systemd-measure 262 on dracut's UKI" ||
                bad "zuki measure vs systemd-measure 262: $(cat sdm.err zm.err 2>/dev/null; diff sdm.json zm.json 2>&1 | head -n 4)"
else
        echo "note: no systemd-measure 262 (tools/setup.sh): PCR 11 of dracut's UKI not compared"
fi

# --- dracut 059 ---------------------------------------------------------------------------------
if [[ -x ${ZUKI_DRACUT_BOOKWORM:-} ]]; then
        dracut_uki "$ZUKI_DRACUT_BOOKWORM" d059.efi "$cmdline" || true
        if [[ ! -s d059.efi ]]; then
                ok "dracut 059 makes no UKI with zuki's stub: $(grep -m1 -i 'fail\|error' d059.efi.log)"
        else
                grep -q 'below image base' d059.efi.log && ok "dracut 059: objcopy says its sections lie below image base" ||
                        echo "note: dracut 059's objcopy did not warn: $(grep -m2 objcopy d059.efi.log)"
                "$zuki" inspect d059.efi >inspect059.txt 2>&1
                rc=$?
                [[ $rc -eq 1 && $(wc -l <inspect059.txt) -eq 1 ]] && grep -q 'outside the image' inspect059.txt &&
                        ok "zuki inspect refuses dracut 059's image with one line: $(cat inspect059.txt)" ||
                        bad "zuki inspect of dracut 059's image: exit $rc: $(head -n 3 inspect059.txt)"
        fi
else
        echo "note: no bookworm dracut 059 (tools/setup.sh): not tried"
fi

summary || exit 1

# --- the boot -----------------------------------------------------------------------------------
bash "$here/../qemu/boot.sh" --arch x86_64 --firmware trixie --esp-image d106.efi \
        --expect 'zuki: Kernel image at .*decompressed' \
        --expect "Kernel command line: $cmdline" \
        --expect 'Run /init as init process' \
        --expect 'dracut: dracut-106' \
        --expect-not 'zuki: error' \
        --stop-on 'dracut: FATAL|dracut Warning' \
        --timeout 240
rc=$?
((rc == 77)) && exit 77
((rc == 0)) || fail "the dracut 106 UKI did not boot as expected"
echo PASS
