#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The x86_64 direct boot path, checked against the stock path and independent computations:
#
#   x86-direct-test.sh memory   --zuki Z --kernel BZIMAGE --zboot IMAGE --initrd F --sdboot EFI
#       The same kernel booted the stock way (its own EFI stub, from systemd-boot) and through
#       zuki's direct path: the guests' MemTotal differ by less than 1%.
#   x86-direct-test.sh gop      --kernel BZIMAGE --zboot IMAGE --initrd F --sdboot EFI
#       With a VGA device, the kernel's efifb reports the same framebuffer (address, mode, pixel
#       layout) on both paths: the stub's screen_info matches what Linux's EFI stub fills in.
#   x86-direct-test.sh pcr9     --zuki Z --zboot IMAGE --initrd F
#       A UKI booted with a TPM: PCR 9 holds exactly the two tagged events Linux's EFI stub logs
#       (load options, then initrd) with digests computed here from the command line and the
#       initrd, and replaying the event log gives the guest's PCR 9.
#   x86-direct-test.sh fallback --zuki Z --kernel BZIMAGE --initrd F --sdboot EFI
#       A kernel that does not qualify (its setup header says "not relocatable") is wrapped for
#       its own EFI stub with a notice, still boots, and --x86-boot=direct refuses it.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mode=${1:-}
shift || true
zuki="" kernel="" zboot="" initrd="" sdboot=""
while (($#)); do
        case $1 in
        --zuki) zuki=$2; shift 2 ;;
        --kernel) kernel=$2; shift 2 ;;
        --zboot) zboot=$2; shift 2 ;;
        --initrd) initrd=$2; shift 2 ;;
        --sdboot) sdboot=$2; shift 2 ;;
        *) echo "x86-direct-test: unknown argument $1" >&2; exit 2 ;;
        esac
done
make_tmp
field() { grep -a -m1 "^ZUKI-GUEST: $2 " "$1" | cut -d' ' -f3-; }

# sdboot_boot NAME LINUX_FILE [extra boot.sh args]: boots LINUX_FILE from systemd-boot as a Type #1
# entry with the initrd, keeps the log in $tmp/NAME.log.
sdboot_boot() {
        local name=$1 linux=$2
        shift 2
        cat >"$tmp/$name.conf" <<EOF
title $name
linux /$name.efi
initrd /initrd.img
options console=ttyS0 panic=-1
EOF
        printf 'timeout 0\ndefault %s.conf\n' "$name" >"$tmp/loader-$name.conf"
        bash "$here/boot.sh" --arch x86_64 --firmware bookworm --esp-image "$sdboot" \
                --esp-file "$linux=$name.efi" --esp-file "$initrd=initrd.img" \
                --esp-file "$tmp/loader-$name.conf=loader/loader.conf" \
                --esp-file "$tmp/$name.conf=loader/entries/$name.conf" \
                --expect 'ZUKI-GUEST: done' "$@" --timeout 240 --log "$tmp/$name.log" >"$tmp/$name.out" 2>&1 ||
                { tail -n 8 "$tmp/$name.out"; fail "booting $name"; }
}

case $mode in
memory)
        sdboot_boot stock "$kernel" --expect-not 'zuki:'
        sdboot_boot direct "$zboot" --expect 'zuki: Kernel virtual base' --expect-not 'zuki: error'
        stock=$(field "$tmp/stock.log" memtotal-kb) direct=$(field "$tmp/direct.log" memtotal-kb)
        echo "MemTotal: stock $stock kB, zuki direct $direct kB"
        [[ $stock =~ ^[0-9]+$ && $direct =~ ^[0-9]+$ ]] || fail "a guest printed no MemTotal"
        /usr/bin/python3 -c '
import sys
a, b = int(sys.argv[1]), int(sys.argv[2])
d = abs(a - b) / a
print(f"difference {abs(a - b)} kB ({100 * d:.3f}%)")
sys.exit(0 if d < 0.01 else 1)' "$stock" "$direct" || fail "MemTotal differs by 1% or more"
        ;;
gop)
        # With a VGA device OVMF offers a Graphics Output Protocol; the kernel's efifb must find the
        # same framebuffer through zuki's screen_info as through its own EFI stub's.
        sdboot_boot stock-vga "$kernel" --qemu-arg -device --qemu-arg VGA --expect-not 'zuki:'
        sdboot_boot direct-vga "$zboot" --qemu-arg -device --qemu-arg VGA --expect 'zuki: Kernel virtual base' \
                --expect-not 'zuki: error'
        fb() { grep -a -o 'efifb: \(framebuffer at\|mode is\|Truecolor\).*' "$tmp/$1.log"; }
        fb stock-vga >"$tmp/stock.fb"
        fb direct-vga >"$tmp/direct.fb"
        cat "$tmp/direct.fb"
        [[ $(wc -l <"$tmp/stock.fb") -eq 3 ]] || fail "the stock kernel found no EFI framebuffer"
        diff -u "$tmp/stock.fb" "$tmp/direct.fb" || fail "efifb differs between the stock and the direct path"
        ;;
pcr9)
        cmdline="console=ttyS0 panic=-1 zuki.case=pcr9"
        "$zuki" build --linux "$zboot" --initrd "$initrd" --no-os-release --uname '' \
                --output "$tmp/uki.efi" >/dev/null || fail "zuki build"
        bash "$here/boot.sh" --arch x86_64 --firmware bookworm --kernel "$tmp/uki.efi" --append "$cmdline" --tpm \
                --expect 'ZUKI-GUEST: done' --expect 'zuki: Kernel virtual base' --expect-not 'zuki: (error|warning)' \
                --timeout 240 --log "$tmp/pcr9.log" >"$tmp/pcr9.out" 2>&1 || { tail -n 8 "$tmp/pcr9.out"; fail "boot"; }
        guest=$(field "$tmp/pcr9.log" pcr9)
        field "$tmp/pcr9.log" eventlog >"$tmp/eventlog.hex"
        [[ -s $tmp/eventlog.hex ]] || fail "the guest printed no event log"
        /usr/bin/python3 - "$here" "$tmp/eventlog.hex" "$guest" "$cmdline" "$initrd" <<'PY' || fail "PCR 9"
import hashlib, importlib.util, struct, sys
here, log_hex, guest, cmdline, initrd = sys.argv[1:]
spec = importlib.util.spec_from_file_location("eventlog", here + "/eventlog.py")
eventlog = importlib.util.module_from_spec(spec)
spec.loader.exec_module(eventlog)
events = [e for e in eventlog.parse(bytes.fromhex(open(log_hex).read().strip())) if e[0] == 9]
# What Linux's EFI stub measures (drivers/firmware/efi/libstub): the LoadOptions as the loader
# passed them (UTF-16 with the NUL), then the initrd (the UKI's only initrd, padded to 4 bytes).
options = (cmdline + "\0").encode("utf-16-le")
data = open(initrd, "rb").read()
data += bytes(-len(data) % 4)
want = [(0x8F3B22ED, b"LOADED_IMAGE::LoadOptions\0", hashlib.sha256(options).digest()),
        (0x8F3B22EC, b"Linux initrd\0", hashlib.sha256(data).digest())]
ok = len(events) == len(want)
for (pcr, etype, digests, event), (tag, text, digest) in zip(events, want):
    got_tag, got_size = struct.unpack_from("<II", event, 0)
    good = etype == 6 and got_tag == tag and event[8:8 + got_size] == text and digests["sha256"] == digest
    print(f"PCR 9 event tag {got_tag:#x} {event[8:8 + got_size]!r}: {'ok' if good else 'MISMATCH'}")
    ok = ok and good
value, count = eventlog.replay(events, 9, "sha256")
print(f"PCR 9 replayed from {count} events: {value}; guest: {guest}")
sys.exit(0 if ok and value == guest.lower() else 1)
PY
        ;;
fallback)
        # Byte 0x234 of the setup header: relocatable_kernel.
        cp "$kernel" "$tmp/fixed.bzimage"
        printf '\x00' | dd of="$tmp/fixed.bzimage" bs=1 seek=$((0x234)) conv=notrunc status=none
        if "$zuki" zboot --x86-boot=direct --output "$tmp/refused.efi" "$tmp/fixed.bzimage" 2>"$tmp/refused.err"; then
                fail "--x86-boot=direct accepted a kernel that is not relocatable"
        fi
        cat "$tmp/refused.err"
        [[ $(wc -l <"$tmp/refused.err") -eq 1 ]] || fail "the refusal is not one line"
        grep -q 'not relocatable' "$tmp/refused.err" || fail "the refusal does not say why"
        [[ ! -e $tmp/refused.efi ]] || fail "a refused kernel left an output file"
        "$zuki" zboot --json --output "$tmp/fallback.efi" "$tmp/fixed.bzimage" >"$tmp/fallback.json" \
                2>"$tmp/fallback.err" || fail "zuki zboot (auto) of the fallback kernel"
        cat "$tmp/fallback.err"
        grep -q "cannot be booted directly (the kernel is not relocatable)" "$tmp/fallback.err" ||
                fail "no notice about the fallback"
        [[ $(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["x86_boot"])' \
                "$tmp/fallback.json") == efistub ]] || fail "the fallback image does not use the EFI stub path"
        sdboot_boot fallback "$tmp/fallback.efi" --expect 'zuki: Kernel image at' --expect-not 'zuki: (error|Kernel virtual base)'
        echo "the fallback image booted through the kernel's EFI stub"
        ;;
*)
        echo "usage: x86-direct-test.sh memory|pcr9|fallback OPTIONS (see header)" >&2
        exit 2
        ;;
esac
echo PASS
