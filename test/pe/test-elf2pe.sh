#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# src/elf2pe, the converter the riscv64 stub is built with:
#  1. the real riscv64 stub: check-elf2pe.py compares the PE image with the ELF it came from
#     (llvm-readelf/llvm-objcopy against pefile), and rejects two broken copies of the PE;
#  2. small ELFs linked here that the converter must refuse, each with its one-line reason and
#     without leaving an output file: a relocation other than R_RISCV_RELATIVE, constructors, a W+X section, no
#     header room, a section group not starting on its own page, another machine, a non-PIE executable.
#
# Usage: test-elf2pe.sh ELF2PE STUB.elf STUB.efi

set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

[ $# -eq 3 ] || { echo "usage: $0 ELF2PE STUB.elf STUB.efi" >&2; exit 2; }
elf2pe=$1 stub_elf=$2 stub_efi=$3
here=$(cd "$(dirname "$0")" && pwd)
need_tool clang
need_tool ld.lld lld
need_tool llvm-readelf llvm
make_tmp

# 1. The real stub, and two broken copies the comparison must reject.
if out=$("$ZUKI_SYSTEM_PYTHON" "$here/check-elf2pe.py" "$stub_elf" "$stub_efi" 2>&1); then
        ok "real stub: $out"
else
        bad "real stub: $out"
fi
"$ZUKI_SYSTEM_PYTHON" - "$stub_efi" "$tmp" <<'EOF'
import sys, pefile
src, dir_ = sys.argv[1:]
pe = pefile.PE(src)
text = next(s for s in pe.sections if s.Name.startswith(b".text"))
data = bytearray(pe.__data__)
data[text.PointerToRawData + 0x10] ^= 0xff
open(f"{dir_}/text-byte.efi", "wb").write(data)
pe.parse_data_directories()
slot = pe.DIRECTORY_ENTRY_BASERELOC[0].entries[0].rva
data = bytearray(pe.__data__)
off = pe.get_offset_from_rva(slot)
data[off:off + 8] = (int.from_bytes(data[off:off + 8], "little") + 8).to_bytes(8, "little")
open(f"{dir_}/reloc-slot.efi", "wb").write(data)
EOF
for broken in text-byte reloc-slot; do
        if out=$("$ZUKI_SYSTEM_PYTHON" "$here/check-elf2pe.py" "$stub_elf" "$tmp/$broken.efi" 2>&1); then
                bad "broken copy ($broken) passed the comparison"
        else
                ok "broken copy ($broken) rejected: $(echo "$out" | head -1)"
        fi
done

# 2. ELFs the converter must refuse.
cat >"$tmp/ok.lds" <<'EOF'
ENTRY(efi_main)
SECTIONS {
        . = 0x5000;
        .text : { *(.text .text.*) }
        . = ALIGN(4096);
        .rodata : { *(.rodata .rodata.*) }
        . = ALIGN(4096);
        .data : { *(.data .data.* .sdata .sdata.* .got .bss .bss.* .sbss) }
        . = ALIGN(4096);
        .dynamic : { *(.dynamic) }
        .rela.dyn : { *(.rela.dyn) }
}
EOF
sed 's/\. = 0x5000;/. = 0;/' "$tmp/ok.lds" >"$tmp/no-room.lds"
sed 's/^\( *\)\. = ALIGN(4096);/\1. = ALIGN(8);/' "$tmp/ok.lds" >"$tmp/unaligned.lds"
cat >"$tmp/plain.c" <<'EOF'
static int value;
int *volatile pointer = &value;
long efi_main(void *image, void *table) { (void) image; (void) table; return *pointer; }
EOF
cat >"$tmp/preemptible.c" <<'EOF'
int value;
int *volatile pointer = &value;
long efi_main(void *image, void *table) { (void) image; (void) table; return *pointer; }
EOF
cat >"$tmp/ctor.c" <<'EOF'
static int value;
int *volatile pointer = &value;
__attribute__((constructor, used)) void init(void) { *pointer = 1; }
long efi_main(void *image, void *table) { (void) image; (void) table; return *pointer; }
EOF
cat >"$tmp/wx.c" <<'EOF'
static int value;
int *volatile pointer = &value;
__asm__(".section .wx,\"awx\",@progbits\n.byte 0\n.previous");
long efi_main(void *image, void *table) { (void) image; (void) table; return *pointer; }
EOF
rv=(--target=riscv64-unknown-elf -march=rv64gc -mabi=lp64d -mcmodel=medany -fPIE -mno-relax -O2
    -ffreestanding -nostdlib -fno-asynchronous-unwind-tables -fno-unwind-tables -c)
for c in plain preemptible ctor wx; do
        clang "${rv[@]}" -fvisibility=hidden "$tmp/$c.c" -o "$tmp/$c.o" || fail "cannot compile $c.c"
done
# Default visibility: linked -shared without -Bsymbolic, `value` may be preempted, so the pointer
# to it needs an R_RISCV_64 against the symbol.
clang "${rv[@]}" -fPIC "$tmp/preemptible.c" -o "$tmp/preemptible-default.o" || fail "cannot compile preemptible.c"
clang --target=x86_64-linux-gnu -fPIE -O2 -ffreestanding -nostdlib -c "$tmp/plain.c" -o "$tmp/x86.o" || fail "x86 compile"
link() { # OUT LDS OBJ [ld.lld args, default -pie]
        local out=$1 lds=$2 obj=$3
        shift 3
        [ $# -gt 0 ] || set -- -pie --no-dynamic-linker
        ld.lld -z norelro --build-id=none "$@" -T "$lds" "$obj" -o "$out" || fail "cannot link $out"
}
link "$tmp/good.elf" "$tmp/ok.lds" "$tmp/plain.o" -pie --no-dynamic-linker -Bsymbolic
link "$tmp/preemptible.elf" "$tmp/ok.lds" "$tmp/preemptible-default.o" -shared
link "$tmp/ctor.elf" "$tmp/ok.lds" "$tmp/ctor.o" -pie --no-dynamic-linker -Bsymbolic
link "$tmp/wx.elf" "$tmp/ok.lds" "$tmp/wx.o" -pie --no-dynamic-linker -Bsymbolic
link "$tmp/no-room.elf" "$tmp/no-room.lds" "$tmp/plain.o" -pie --no-dynamic-linker -Bsymbolic
link "$tmp/unaligned.elf" "$tmp/unaligned.lds" "$tmp/plain.o" -pie --no-dynamic-linker -Bsymbolic
link "$tmp/x86.elf" "$tmp/ok.lds" "$tmp/x86.o" -pie --no-dynamic-linker -Bsymbolic
ld.lld --no-pie -z norelro --build-id=none -T "$tmp/ok.lds" "$tmp/plain.o" -o "$tmp/static.elf" 2>/dev/null ||
        fail "cannot link static.elf"

if out=$("$elf2pe" "$tmp/good.elf" "$tmp/good.efi" 2>&1) && [ -s "$tmp/good.efi" ]; then
        if out=$("$ZUKI_SYSTEM_PYTHON" "$here/check-elf2pe.py" "$tmp/good.elf" "$tmp/good.efi" 2>&1); then
                ok "a small well-formed ELF converts: $out"
        else
                bad "a small well-formed ELF: $out"
        fi
else
        bad "a small well-formed ELF was refused: $out"
fi

# name -> text the error must contain
cases=(
        "preemptible:R_RISCV_64"
        "ctor:constructors"
        "wx:is writable and executable"
        "no-room:no room for 30 more section headers"
        "unaligned:not page-aligned"
        "x86:is not RISC-V"
        "static:not a position-independent executable"
)
for c in "${cases[@]}"; do
        name=${c%%:*} want=${c#*:}
        rm -f "$tmp/$name.efi"
        if out=$("$elf2pe" "$tmp/$name.elf" "$tmp/$name.efi" 2>&1); then
                bad "$name: converted, want refusal with '$want'"
        elif [ -e "$tmp/$name.efi" ] || [ -e "$tmp/$name.efi.tmp" ]; then
                bad "$name: refused but left an output file"
        elif [ "$(printf '%s\n' "$out" | wc -l)" -ne 1 ] || [[ $out != *"$want"* ]]; then
                bad "$name: want one line containing '$want', got: $out"
        else
                ok "$name refused: $out"
        fi
done
summary
