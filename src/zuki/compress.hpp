// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zstd compression of kernel payloads with libzstd.

#pragma once

#include <functional>
#include <string>

#include "file-io.hpp"

namespace zuki {

// How an x86_64 kernel is wrapped (docs/formats.md): Direct re-packs vmlinux for the stub's own
// startup_64 entry, EfiStub keeps the bzImage for the kernel's EFI stub, Auto is Direct when the
// kernel qualifies and EfiStub (with a notice) otherwise.
enum class X86Boot { Auto, Direct, EfiStub };

struct CompressOptions {
        int level = 19;
        bool long_distance = true; // long-distance matching (window 2^27)
        int workers = 0;           // 0: one per online CPU
        // Called with (bytes consumed, total) as compression proceeds.
        std::function<void(uint64_t, uint64_t)> progress;
        X86Boot x86_boot = X86Boot::Auto;
        // Called with one line for the user (e.g. why a kernel falls back to its EFI stub).
        std::function<void(const std::string &)> notice;
        // zboot images: reuse and keep them in this directory (zboot-cache.hpp); empty: no cache.
        std::string cache_dir;
};

// The compression threads `options` ask for: options.workers, or one per online CPU for 0.
int effective_workers(const CompressOptions &options);

// One zstd frame with content size and content checksum, so that the stub and any other
// decompressor detect corruption.
Buffer zstd_compress(Bytes input, const CompressOptions &options);

// Decompresses a single frame into exactly `expected_size` bytes (libzstd; used by inspect,
// tests and the benchmark's reference).
Buffer zstd_decompress(Bytes frame, uint64_t expected_size);

} // namespace zuki
