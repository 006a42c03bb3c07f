// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The interface of the libzuki-bench-stub-zstd-*.so objects (stub-zstd.cpp): each is one build
// of the stub's zstd path and exports only zuki_bench_stub(), which the benchmark looks up with
// dlsym() after dlopen(RTLD_LOCAL).

#pragma once

#include <stddef.h>

struct ZukiBenchStub {
        // Allocates the static workspace (outside the timed region). 0, or -1 when out of memory.
        int (*init)();
        // zuki::zstd::decompress on `frame` into exactly `out_size` bytes. Returns the zuki::Error
        // value (0 on success); `detail` receives zstd's error text when it has one.
        int (*decompress)(const void *frame, size_t frame_size, void *out, size_t out_size,
                          const char **detail);
        size_t (*workspace_size)();
        unsigned zstd_version;  // ZSTD_VERSION_NUMBER of the upstream sources
        const char *compiler;   // compiler and version that built the object
        // The address this object's calls to ZSTD_decompressDCtx reach: must not be the system
        // libzstd's (it would mean the two copies were not kept apart).
        const void *decompress_dctx;
        int dynamic_bmi2;        // upstream's DYNAMIC_BMI2 (x86_64: BMI2 code paths by cpuid)
        int x86_64_asm;          // ZSTD_ENABLE_ASM_X86_64_BMI2 (huf_decompress_amd64.S in use)
        // zuki::zstd::asm_huffman_calls(): Huffman blocks the last decompress() decoded with the
        // asm loops (0 without the asm, or on a CPU without BMI2).
        unsigned long long (*asm_huffman_calls)();
};

#define ZUKI_BENCH_STUB_SYMBOL "zuki_bench_stub"

extern "C" __attribute__((visibility("default"))) const ZukiBenchStub *zuki_bench_stub();
