#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Stub parity: the same kernel, initrd and ESP contents booted twice in QEMU/OVMF with a software
# TPM, once as a UKI on stub A and once on stub B (`zuki build --no-compress`: the same sections on
# both, the kernel as given, since systemd-stub 262 refuses a zboot image as .linux), must show a
# user the same things (parity-observe.py): PCR 1, 12 and 13 and their event log entries (type,
# digest, data), the initramfs with its /.extra tree (names, modes, sha256), /proc/cmdline, and the
# Stub* and Loader* EFI variables except StubInfo and the --may-differ ones. PCR 11 is not compared: it covers
# each stub's own .sbat. A difference is printed as a unified diff (A is "-", B is "+") and fails
# the test.
#
#   parity-test.sh --zuki ZUKI --linux KERNEL --initrd INITRD --case DIR --stub-a STUB --stub-b STUB
#                  [--may-differ GLOB]... [--firmware FW] [--keep DIR]
#
#   --case DIR        a tree copied onto the ESP, next to the UKI, which boots as
#                     \EFI\BOOT\BOOTX64.EFI (so its per-UKI drop-ins are in
#                     EFI/BOOT/BOOTX64.EFI.extra.d/, global ones in loader/credentials/,
#                     loader/extensions/, loader/addons/). A directory NAME.addon.efi.src/ in it
#                     becomes the addon NAME.addon.efi, built by ukify 262 on systemd 262's addon
#                     stub from its files: cmdline (.cmdline, one line), initrd/ (a tree packed
#                     as a newc cpio into .initrd).
#                     A file "qemu-args" at the top of DIR is not copied: each of its lines is one
#                     more QEMU argument for both boots (e.g. -smbios type=11,value=...).
#   --may-differ GLOB a Stub* variable allowed to differ (e.g. StubFeatures); repeatable
#   --keep DIR        keep the UKIs, serial logs and observations in DIR
#
# The UKI's command line is "console=ttyS0 panic=-1" (.cmdline: a UKI started from the ESP gets no
# load options). Exit: 0 no difference, 1 a difference or a failed boot, 77 a missing asset.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/common.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
qemu_dir=$(dirname "$here")

zuki="" linux="" initrd="" case_dir="" stub_a="" stub_b="" firmware=bookworm keep=""
may_differ=()
while (($#)); do
        (($# >= 2)) || { echo "parity-test: $1 needs a value" >&2; exit 2; }
        case $1 in
        --zuki) zuki=$2 ;;
        --linux) linux=$2 ;;
        --initrd) initrd=$2 ;;
        --case) case_dir=$2 ;;
        --stub-a) stub_a=$2 ;;
        --stub-b) stub_b=$2 ;;
        --may-differ) may_differ+=(--may-differ "$2") ;;
        --firmware) firmware=$2 ;;
        --keep) keep=$2 ;;
        *) echo "parity-test: unknown argument $1" >&2; exit 2 ;;
        esac
        shift 2
done
for v in zuki linux initrd case_dir stub_a stub_b; do
        [[ -n ${!v} ]] || { echo "parity-test: --${v//_/-} is required" >&2; exit 2; }
done
[[ -d $case_dir ]] || fail "no case directory $case_dir"
for f in "$zuki" "$linux" "$initrd" "$stub_a" "$stub_b"; do
        [[ -r $f ]] || fail "no such file: $f"
done
load_assets
make_tmp

# --- The ESP's extra contents, identical for both boots ---
cp -r "$case_dir" "$tmp/esp" || fail "copying $case_dir"
qemu_args=()
if [[ -f $tmp/esp/qemu-args ]]; then
        while IFS= read -r a; do
                [[ -n $a ]] && qemu_args+=(--qemu-arg "$a")
        done <"$tmp/esp/qemu-args"
        rm "$tmp/esp/qemu-args"
fi
mapfile -t addon_srcs < <(find "$tmp/esp" -type d -name '*.addon.efi.src' | sort)
if ((${#addon_srcs[@]})); then
        need_asset ZUKI_UKIFY262 "ukify 262"
        need_asset ZUKI_SYSTEMD262_ADDON_X64 "systemd 262's addon stub"
fi
for src in "${addon_srcs[@]}"; do
        addon=${src%.src}
        args=(build --stub "$ZUKI_SYSTEMD262_ADDON_X64" --output "$addon")
        [[ -f $src/cmdline ]] && args+=(--cmdline "$(cat "$src/cmdline")")
        if [[ -d $src/initrd ]]; then
                # The same bytes on every run (as make-initrd.sh does), so the measurements repeat.
                find "$src/initrd" -exec touch -h -d @0 {} +
                (cd "$src/initrd" && find . -mindepth 1 | LC_ALL=C sort |
                        cpio -o -H newc -R 0:0 --reproducible --quiet) >"$tmp/addon-initrd.cpio" ||
                        fail "packing $src/initrd"
                args+=(--initrd "$tmp/addon-initrd.cpio")
        fi
        "$ZUKI_SYSTEM_PYTHON" "$ZUKI_UKIFY262" "${args[@]}" >"$tmp/ukify.out" 2>&1 ||
                { cat "$tmp/ukify.out"; fail "ukify 262 could not build ${addon#"$tmp/esp/"}"; }
        rm -r "$src"
done
esp_files=()
echo "ESP contents next to the UKI (EFI/BOOT/BOOTX64.EFI):"
while read -r f; do
        esp_files+=(--esp-file "$f=${f#"$tmp/esp/"}")
        echo "  ${f#"$tmp/esp/"}"
done < <(find "$tmp/esp" -type f | LC_ALL=C sort)

# --- The guest also reports PCR 1/12/13 and the whole initramfs (parity-hook.sh) ---
bash "$qemu_dir/uki-test.sh" --hook "$here/parity-hook.sh" --hook-cpio "$tmp/hook.cpio" ||
        fail "writing the hook initrd"

boot() { # boot SIDE STUB: the UKI on STUB from the ESP, its observations in $tmp/SIDE.txt
        local side=$1 stub=$2 rc
        "$zuki" build --no-compress --stub "$stub" --linux "$linux" --initrd "$initrd" \
                --initrd "$tmp/hook.cpio" --cmdline "console=ttyS0 panic=-1" --output "$tmp/$side.efi" ||
                fail "zuki build on stub $side"
        bash "$qemu_dir/boot.sh" --arch x86_64 --firmware "$firmware" --tpm --timeout 300 \
                --esp-image "$tmp/$side.efi" "${esp_files[@]}" "${qemu_args[@]}" --log "$tmp/$side.log" \
                --expect 'ZUKI-GUEST: done' >"$tmp/$side.boot" 2>&1
        rc=$?
        echo "stub $side ($stub): $(grep -a -m1 '^boot.sh: elapsed' "$tmp/$side.boot")"
        ((rc == 77)) && { tail -n 1 "$tmp/$side.boot"; exit 77; }
        ((rc == 0)) || { tail -n 30 "$tmp/$side.boot"; fail "stub $side: the guest did not boot to its report"; }
        "$ZUKI_SYSTEM_PYTHON" "$here/parity-observe.py" "$tmp/$side.log" "${may_differ[@]}" >"$tmp/$side.txt" ||
                fail "stub $side: incomplete guest report"
}
boot a "$stub_a"
boot b "$stub_b"
if [[ -n $keep ]]; then
        mkdir -p "$keep" && cp "$tmp"/{a,b}.{efi,log,txt} "$keep/" && echo "kept in $keep"
fi

echo "not compared (StubInfo, --may-differ):"
sed -n 's/^may-differ /  a: /p' "$tmp/a.txt"
sed -n 's/^may-differ /  b: /p' "$tmp/b.txt"
echo "compared: $(grep -c -v '^may-differ ' "$tmp/a.txt") observations of a," \
        "$(grep -c -v '^may-differ ' "$tmp/b.txt") of b"
if diff -u --label "a: $stub_a" --label "b: $stub_b" <(grep -v '^may-differ ' "$tmp/a.txt") \
        <(grep -v '^may-differ ' "$tmp/b.txt"); then
        echo "PASS: no difference a user could observe"
else
        fail "the two stubs differ (above: - is stub a, + is stub b)"
fi
