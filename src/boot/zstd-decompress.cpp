// SPDX-License-Identifier: LGPL-2.1-or-later

#include "zstd-decompress.hpp"

#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

// Counted by zstd-x86-asm.c where it is linked in (the x86_64 builds with upstream's asm).
extern "C" {
constinit unsigned long long zuki_zstd_asm_huffman_calls = 0;
}

namespace zuki::zstd {

uint64_t asm_huffman_calls() { return zuki_zstd_asm_huffman_calls; }

size_t workspace_size() { return ZSTD_estimateDCtxSize(); }

Status decompress(Bytes frame, MutableBytes out, MutableBytes workspace, const char **detail) {
        if (detail)
                *detail = "";
        zuki_zstd_asm_huffman_calls = 0;
        ZSTD_DCtx *dctx = ZSTD_initStaticDCtx(workspace.data(), workspace.size());
        if (!dctx)
                return Error::NoSpace;

        // A frame that states its content size must state ours (zstd -22 frames may not).
        unsigned long long declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
        if (declared == ZSTD_CONTENTSIZE_ERROR)
                return Error::DecompressFailed;
        if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != out.size())
                return Error::SizeMismatch;
        // The payload is exactly one frame: trailing bytes would be ignored by other loaders.
        size_t frame_size = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
        if (ZSTD_isError(frame_size) || frame_size != frame.size()) {
                if (detail && ZSTD_isError(frame_size))
                        *detail = ZSTD_getErrorName(frame_size);
                return Error::DecompressFailed;
        }

        size_t n = ZSTD_decompressDCtx(dctx, out.data(), out.size(), frame.data(), frame.size());
        if (ZSTD_isError(n)) {
                if (detail)
                        *detail = ZSTD_getErrorName(n);
                // Output larger than declared shows up as "destination buffer too small".
                return ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall ? Error::SizeMismatch
                                                                           : Error::DecompressFailed;
        }
        if (n != out.size())
                return Error::SizeMismatch;
        return ok_status();
}

} // namespace zuki::zstd
