/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The calls from huf_decompress.c into upstream's asm Huffman loops (huf_decompress_amd64.S),
 * across calling conventions: huf_decompress.c calls these under the names zstd-x86-asm.h gives
 * the loops, with the stub's ABI (MS x64 in the PE stub, SysV in the host benchmark); they call
 * the asm with the SysV ABI it is written for. For an MS-ABI caller clang saves what SysV lets a
 * callee clobber and MS does not (RSI, RDI, XMM6-15) around the call; the asm itself saves every
 * general-purpose register it uses and touches no vector register. One call per 4-stream
 * literals block (up to 128 KiB of output), so the cost is negligible.
 */
#include "zstd-x86-asm.h"

/* Here the names are upstream's (whether or not this file was compiled with -include too). */
#undef HUF_decompress4X1_usingDTable_internal_fast_asm_loop
#undef HUF_decompress4X2_usingDTable_internal_fast_asm_loop

struct HUF_DecompressFastArgs;

__attribute__((sysv_abi)) void
HUF_decompress4X1_usingDTable_internal_fast_asm_loop(struct HUF_DecompressFastArgs *args);
__attribute__((sysv_abi)) void
HUF_decompress4X2_usingDTable_internal_fast_asm_loop(struct HUF_DecompressFastArgs *args);

void zuki_huf_4x1_fast_asm_loop(struct HUF_DecompressFastArgs *args);
void zuki_huf_4x2_fast_asm_loop(struct HUF_DecompressFastArgs *args);

/* Defined in zstd-decompress.cpp, which reports it (zuki::zstd::asm_huffman_calls). */
extern unsigned long long zuki_zstd_asm_huffman_calls;

void zuki_huf_4x1_fast_asm_loop(struct HUF_DecompressFastArgs *args) {
        zuki_zstd_asm_huffman_calls++;
        HUF_decompress4X1_usingDTable_internal_fast_asm_loop(args);
}

void zuki_huf_4x2_fast_asm_loop(struct HUF_DecompressFastArgs *args) {
        zuki_zstd_asm_huffman_calls++;
        HUF_decompress4X2_usingDTable_internal_fast_asm_loop(args);
}
