/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Force-included (clang -include) into every upstream zstd file of the x86_64 stub, into upstream's
 * huf_decompress_amd64.S and into zstd-x86-asm.c: turns upstream's x86_64 asm Huffman decoder on
 * for the PE target. Preprocessor lines only: the assembler reads this file too.
 *
 * Upstream enables the asm only on Linux and macOS (ZSTD_ASM_SUPPORTED); the code itself is plain
 * x86_64 and assembles for COFF (its ELF-only directives are behind __ELF__). Its calling
 * convention is SysV (the argument in RDI), ours MS x64 (RCX): huf_decompress.c calls the loops
 * under the names below, which zstd-x86-asm.c defines as MS-ABI functions that call upstream's
 * SysV ones. Whether the asm runs is still decided at run time by upstream's DYNAMIC_BMI2 (cpuid:
 * BMI1 and BMI2); without them, the C decoders run.
 */
#ifndef ZUKI_ZSTD_X86_ASM_H
#define ZUKI_ZSTD_X86_ASM_H

#include "common/portability_macros.h"

#if !defined(__x86_64__) || !DYNAMIC_BMI2 || defined(ZSTD_DISABLE_ASM)
#error "zstd-x86-asm.h is for x86_64 builds with DYNAMIC_BMI2=1 and without ZSTD_DISABLE_ASM"
#endif

#undef ZSTD_ASM_SUPPORTED
#define ZSTD_ASM_SUPPORTED 1
#undef ZSTD_ENABLE_ASM_X86_64_BMI2
#define ZSTD_ENABLE_ASM_X86_64_BMI2 1

#ifndef __ASSEMBLER__
#define HUF_decompress4X1_usingDTable_internal_fast_asm_loop zuki_huf_4x1_fast_asm_loop
#define HUF_decompress4X2_usingDTable_internal_fast_asm_loop zuki_huf_4x2_fast_asm_loop
#endif

#endif
