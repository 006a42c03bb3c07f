// SPDX-License-Identifier: LGPL-2.1-or-later
//
// One build of the stub's zstd path for the host, as a shared object: src/boot/zstd-decompress.cpp
// plus upstream zstd's decompressor sources with the stub's defines. Upstream's sources define the
// same ZSTD_* symbols as the system libzstd the benchmark compares against, so the object exports
// only zuki_bench_stub() (stub-zstd.map makes every other symbol local, so the linker binds the
// object's references to its own copy): several such objects and the system libzstd coexist in
// one process, and `decompress_dctx` lets the benchmark check that they really are separate.

#include <stdlib.h>

#include "stub-zstd.hpp"
#include "zstd-decompress.hpp"

#define ZSTD_STATIC_LINKING_ONLY
#include <common/portability_macros.h>
#include <zstd.h>

namespace {

// The stub allocates its workspace once per boot (kernel.cpp); so does this, before timing.
uint8_t *workspace;
size_t workspace_bytes;

int init() {
        if (workspace)
                return 0;
        workspace_bytes = zuki::zstd::workspace_size();
        size_t rounded = (workspace_bytes + 4095) / 4096 * 4096;
        workspace = static_cast<uint8_t *>(aligned_alloc(4096, rounded));
        return workspace ? 0 : -1;
}

// The benchmark dlclose()s the object before it exits: free the workspace then, so that
// LeakSanitizer (tools/test.sh runs this under ASan) does not find it unreachable.
__attribute__((destructor)) void release() {
        free(workspace);
        workspace = nullptr;
}

int decompress(const void *frame, size_t frame_size, void *out, size_t out_size, const char **detail) {
        zuki::Status s = zuki::zstd::decompress(
                zuki::Bytes(static_cast<const uint8_t *>(frame), frame_size),
                zuki::MutableBytes(static_cast<uint8_t *>(out), out_size),
                zuki::MutableBytes(workspace, workspace_bytes), detail);
        return static_cast<int>(s.error());
}

size_t workspace_size() { return workspace_bytes; }

unsigned long long asm_huffman_calls() { return zuki::zstd::asm_huffman_calls(); }

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#if defined(__clang__)
#define COMPILER "clang " STRINGIFY(__clang_major__) "." STRINGIFY(__clang_minor__) "." STRINGIFY(__clang_patchlevel__)
#else
#define COMPILER "gcc " __VERSION__
#endif

const ZukiBenchStub kStub = {
        .init = init,
        .decompress = decompress,
        .workspace_size = workspace_size,
        .zstd_version = ZSTD_VERSION_NUMBER,
        .compiler = COMPILER,
        .decompress_dctx = reinterpret_cast<const void *>(&ZSTD_decompressDCtx),
        .dynamic_bmi2 = DYNAMIC_BMI2,
        .x86_64_asm = ZSTD_ENABLE_ASM_X86_64_BMI2,
        .asm_huffman_calls = asm_huffman_calls,
};

} // namespace

const ZukiBenchStub *zuki_bench_stub() { return &kStub; }
