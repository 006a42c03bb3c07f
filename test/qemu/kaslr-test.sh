#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Physical KASLR, checked from inside the guest where possible:
#   - with virtio-rng, BOOTS boots place the kernel at at least BOOTS-1 different addresses (one
#     repeat is allowed: with 2 MiB slots in 1 GiB of RAM (x86_64, ~400 slots) two of five boots
#     share a slot with probability ~2.5%; two repeats happen with probability < 0.1%, and a
#     stuck or ignored seed repeats every time);
#   - on arm64 the guest's own /proc/iomem "Kernel code" starts exactly at the stub's address plus
#     the kernel's .text RVA (read from the kernel with pefile, not with zuki), so the kernel runs
#     where the stub put it instead of moving itself;
#   - with "nokaslr" the address is the same on every boot (and on arm64 so is "Kernel code");
#   - without an RNG the boot succeeds and the stub says why the placement is fixed.
# On x86_64 the direct path (the default for Debian kernels) places vmlinux itself: there the
# guest's "Kernel code" starts at the stub's address and the guest's _text (/proc/kallsyms, read as
# root) is the virtual base the stub relocated the kernel for; both vary over the boots and both
# stay fixed with "nokaslr". (On the generic path the kernel's own decompressor places the
# kernel, and only the stub's placement and the boot are checked.)
#   kaslr-test.sh --arch ARCH --image EFI [--initrd FILE] --console TTY --kernel-pe PE [--boots N]
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
arch="" image="" initrd="" console="" kernel_pe="" boots=5
while (($#)); do
        case $1 in
        --arch) arch=$2; shift 2 ;;
        --image) image=$2; shift 2 ;;
        --initrd) initrd=$2; shift 2 ;;
        --console) console=$2; shift 2 ;;
        --kernel-pe) kernel_pe=$2; shift 2 ;;
        --boots) boots=$2; shift 2 ;;
        *) echo "kaslr-test: unknown argument $1" >&2; exit 2 ;;
        esac
done
make_tmp

text_rva=$(/usr/bin/python3 -c '
import pefile, sys
pe = pefile.PE(sys.argv[1], fast_load=True)
print(next(s.VirtualAddress for s in pe.sections if s.Name.rstrip(b"\0") == b".text"))' "$kernel_pe") ||
        fail "reading the kernel's .text RVA"

# boot N EXTRA_APPEND RNG(0/1): prints "stub_address kernel_code_start why"
boot() {
        local log=$tmp/boot-$1.log args=()
        [[ -n $initrd ]] && args+=(--initrd "$initrd")
        [[ $3 == 1 ]] && args+=(--rng)
        bash "$here/boot.sh" --arch "$arch" --firmware bookworm --kernel "$image" "${args[@]}" \
                --append "console=$console panic=-1${2:+ $2}" --expect 'ZUKI-GUEST: done' \
                --expect-not 'zuki: (error|warning)' --timeout 240 --log "$log" >"$tmp/boot-$1.out" 2>&1 ||
                { tail -n 5 "$tmp/boot-$1.out" >&2; return 1; }
        local line address code vbase ktext
        line=$(grep -a -m1 '^zuki: Kernel image at ' "$log") || return 1
        # shellcheck disable=SC2001 # a capture, not a substitution
        address=$(echo "$line" | sed 's/^zuki: Kernel image at \(0x[0-9a-f]*\).*/\1/')
        code=$(grep -a -m1 '^ZUKI-GUEST: kernel-code ' "$log" | cut -d' ' -f3 | cut -d- -f1)
        vbase=$(grep -a -m1 '^zuki: Kernel virtual base ' "$log" | cut -d' ' -f5)
        ktext=$(grep -a -m1 '^ZUKI-GUEST: kernel-text ' "$log" | cut -d' ' -f3)
        echo "$address ${code:-none} ${vbase:-none} ${ktext:-none} $(echo "$line" | sed 's/.*placement: *//; s/.*random placement)/random/; s/)$//')"
}

check_code() { # address code vbase ktext
        local want
        if [[ $arch == aarch64 ]]; then
                want=$(printf '%x' $(($1 + text_rva)))
                [[ $((16#$2)) -eq $((16#$want)) ]] || fail "guest Kernel code starts at 0x$2, the stub placed .text at 0x$want"
        elif [[ $3 != none ]]; then
                # x86 direct path: the flat image starts with .text, at the stub's physical address
                # and at the virtual base the stub relocated it for.
                [[ $((16#$2)) -eq $(($1)) ]] || fail "guest Kernel code starts at 0x$2, the stub placed the kernel at $1"
                [[ $4 != none ]] || fail "the guest printed no _text address"
                [[ $((16#${4#0x})) -eq $(($3)) ]] ||
                        fail "guest _text is 0x$4, the stub relocated the kernel for $3"
        fi
}

declare -A seen=() seen_virtual=()
distinct=0 distinct_virtual=0
for i in $(seq 1 "$boots"); do
        read -r address code vbase ktext why < <(boot "rng-$i" "" 1) || fail "boot $i with virtio-rng"
        echo "boot $i (rng): stub placed the kernel at $address (virtual $vbase), guest Kernel code at 0x$code, _text $ktext ($why)"
        [[ $why == random ]] || fail "boot $i was not placed randomly: $why"
        check_code "$address" "$code" "$vbase" "$ktext"
        [[ -n ${seen[$address]:-} ]] || distinct=$((distinct + 1))
        seen[$address]=1
        [[ -n ${seen_virtual[$ktext]:-} ]] || distinct_virtual=$((distinct_virtual + 1))
        seen_virtual[$ktext]=1
done
((distinct >= boots - 1)) || fail "$boots boots gave only $distinct different addresses"
echo "ok: $boots boots, $distinct different physical addresses"
if [[ $vbase != none ]]; then
        # ~470 virtual slots of 2 MiB in the 1 GiB kernel window: the same one-repeat allowance.
        ((distinct_virtual >= boots - 1)) || fail "$boots boots gave only $distinct_virtual different virtual bases"
        echo "ok: $boots boots, $distinct_virtual different virtual bases (guest _text)"
fi

# x86: earlyprintk shows the kernel's own "Memory KASLR using ..." line (arch/x86/lib/kaslr.c),
# printed when boot_params says KASLR is on.
early=""
[[ $arch == x86_64 ]] && early="earlyprintk=serial,ttyS0,115200"
memory_kaslr() { grep -a -q 'Memory KASLR using' "$tmp/boot-$1.log"; }

first=""
for i in 1 2; do
        read -r address code vbase ktext why < <(boot "nokaslr-$i" "nokaslr${early:+ $early}" 1) || fail "boot $i with nokaslr"
        echo "boot $i (nokaslr): $address (virtual $vbase), guest Kernel code at 0x$code, _text $ktext ($why)"
        [[ $why == "nokaslr on the command line" ]] || fail "nokaslr was not honoured: $why"
        check_code "$address" "$code" "$vbase" "$ktext"
        [[ -z $first || $first == "$address $code $ktext" ]] || fail "nokaslr placement moved: $first -> $address $code $ktext"
        first="$address $code $ktext"
        if [[ $vbase != none ]] && memory_kaslr "nokaslr-$i"; then
                fail "with nokaslr the kernel still randomised its memory layout"
        fi
done
echo "ok: nokaslr gives the same placement every time"

read -r address code vbase ktext why < <(boot "no-rng" "$early" 0) || fail "boot without an RNG"
echo "boot without RNG: $address ($why)"
[[ $why == "no EFI_RNG_PROTOCOL" ]] || fail "without an RNG the stub said: $why"
check_code "$address" "$code" "$vbase" "$ktext"
# The x86 direct path: as after the kernel's EFI stub, no RNG fixes only the image's placement;
# the kernel still randomises its memory layout with its own entropy.
if [[ $vbase != none ]]; then
        memory_kaslr no-rng || fail "without an RNG the kernel was told KASLR is off"
        echo "ok: without an RNG the kernel still randomises its memory layout ($(grep -a -o -m1 'Memory KASLR using[^.]*' "$tmp/boot-no-rng.log"))"
fi
echo PASS
