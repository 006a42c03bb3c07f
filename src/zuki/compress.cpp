// SPDX-License-Identifier: LGPL-2.1-or-later

#include "compress.hpp"

#include <memory>
#include <unistd.h>
#include <zstd.h>

#include "failure.hpp"

namespace zuki {

namespace {

struct CCtxDeleter {
        void operator()(ZSTD_CCtx *c) const { ZSTD_freeCCtx(c); }
};
using CCtxPtr = std::unique_ptr<ZSTD_CCtx, CCtxDeleter>;

void check(size_t r, const char *what) {
        if (ZSTD_isError(r))
                fail(std::string("zstd: ") + what + ": " + ZSTD_getErrorName(r));
}

} // namespace

int effective_workers(const CompressOptions &options) {
        if (options.workers > 0)
                return options.workers;
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        return cpus > 0 ? (int) cpus : 1;
}

Buffer zstd_compress(Bytes input, const CompressOptions &options) {
        CCtxPtr cctx(ZSTD_createCCtx());
        if (!cctx)
                fail("zstd: out of memory");
        ZSTD_bounds levels = ZSTD_cParam_getBounds(ZSTD_c_compressionLevel);
        if (options.level < levels.lowerBound || options.level > levels.upperBound)
                fail("Compression level " + std::to_string(options.level) + " is outside " +
                     std::to_string(levels.lowerBound) + ".." + std::to_string(levels.upperBound));
        check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, options.level), "level");
        check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1), "checksum");
        check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 1), "content size");
        if (options.long_distance) {
                check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_enableLongDistanceMatching, 1), "ldm");
                check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_windowLog, 27), "window");
        }
        int workers = effective_workers(options);
        // A libzstd without threading support refuses nbWorkers > 0; compress single-threaded then.
        if (workers > 1)
                (void) ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_nbWorkers, workers);
        check(ZSTD_CCtx_setPledgedSrcSize(cctx.get(), input.size()), "pledged size");

        Buffer out(ZSTD_compressBound(input.size()));
        ZSTD_outBuffer ob{out.data(), out.size(), 0};
        constexpr size_t kChunk = 4 << 20;
        size_t offset = 0;
        for (;;) {
                size_t len = std::min(kChunk, input.size() - offset);
                bool last = offset + len == input.size();
                ZSTD_inBuffer ib{input.data() + offset, len, 0};
                ZSTD_EndDirective mode = last ? ZSTD_e_end : ZSTD_e_continue;
                size_t remaining;
                do {
                        remaining = ZSTD_compressStream2(cctx.get(), &ob, &ib, mode);
                        check(remaining, "compress");
                } while (last ? remaining != 0 : ib.pos < ib.size);
                offset += len;
                if (options.progress)
                        options.progress(offset, input.size());
                if (last)
                        break;
        }
        out.resize(ob.pos);
        return out;
}

Buffer zstd_decompress(Bytes frame, uint64_t expected_size) {
        // The stub's rule (src/boot/zstd-decompress.cpp): exactly one frame, nothing after it,
        // and a content size, where the frame states one, that is the expected one.
        size_t frame_size = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
        if (ZSTD_isError(frame_size))
                fail(std::string("zstd: payload is corrupt: ") + ZSTD_getErrorName(frame_size));
        if (frame_size != frame.size())
                fail("zstd: payload is " + std::to_string(frame.size()) + " bytes, its first frame " +
                     std::to_string(frame_size));
        unsigned long long declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
        if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != expected_size)
                fail("zstd: payload declares " + std::to_string(declared) + " bytes, " + std::to_string(expected_size) +
                     " expected");
        Buffer out(expected_size);
        size_t n = ZSTD_decompress(out.data(), out.size(), frame.data(), frame.size());
        if (ZSTD_isError(n))
                fail(std::string("zstd: payload is corrupt: ") + ZSTD_getErrorName(n));
        if (n != expected_size)
                fail("zstd: payload decompresses to " + std::to_string(n) + " bytes, " +
                     std::to_string(expected_size) + " declared");
        return out;
}

} // namespace zuki
