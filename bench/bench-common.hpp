// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What the decompression benchmarks (decompress-bench.cpp, x86-decompress-bench.cpp) share:
// timing and sample statistics, reading inputs, loading one build of the stub's zstd path from
// its shared object, and running either that build or the system libzstd on one frame.

#pragma once

#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <zstd.h>

#include "stub-zstd.hpp"

namespace zuki_bench {

struct DlDeleter {
        void operator()(void *handle) const { dlclose(handle); }
};
using DlPtr = std::unique_ptr<void, DlDeleter>;

struct DctxDeleter {
        void operator()(ZSTD_DCtx *d) const { ZSTD_freeDCtx(d); }
};
using DctxPtr = std::unique_ptr<ZSTD_DCtx, DctxDeleter>;

inline double now_seconds() {
        timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

inline double mb_per_s(size_t bytes, double seconds) { return (double) bytes / seconds / 1e6; }

// Seconds per decompression, one entry per sample.
struct Samples {
        std::vector<double> seconds;
        double best() const { return *std::min_element(seconds.begin(), seconds.end()); }
        double median() const {
                std::vector<double> s = seconds;
                std::sort(s.begin(), s.end());
                return s.size() % 2 ? s[s.size() / 2] : (s[s.size() / 2 - 1] + s[s.size() / 2]) / 2;
        }
};

inline bool read_file(const std::string &path, std::vector<uint8_t> *out) {
        std::ifstream in(path, std::ios::binary);
        if (!in)
                return false;
        out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        return true;
}

// A positive size in decimal or 0x hex.
inline bool parse_size(const std::string &text, size_t *out) {
        char *end = nullptr;
        unsigned long long v = strtoull(text.c_str(), &end, 0);
        if (!end || *end || v == 0)
                return false;
        *out = (size_t) v;
        return true;
}

// dlopen(RTLD_LOCAL) one libzuki-bench-stub-zstd-*.so and look up its entry point. The object
// must not resolve ZSTD_decompressDCtx to the system libzstd this process also links.
inline bool load_stub(const std::string &path, DlPtr *handle, const ZukiBenchStub **stub, std::string *error) {
        handle->reset(dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL));
        if (!*handle) {
                *error = std::string("dlopen: ") + dlerror();
                return false;
        }
        auto entry = reinterpret_cast<const ZukiBenchStub *(*)()>(dlsym(handle->get(), ZUKI_BENCH_STUB_SYMBOL));
        if (!entry) {
                *error = path + " has no " ZUKI_BENCH_STUB_SYMBOL "()";
                return false;
        }
        *stub = entry();
        if ((*stub)->decompress_dctx == reinterpret_cast<const void *>(&ZSTD_decompressDCtx)) {
                *error = path + " resolves ZSTD_decompressDCtx to the system libzstd";
                return false;
        }
        return true;
}

// One decompression of a whole frame into exactly out.size() bytes by the system libzstd.
inline bool run_system_zstd(ZSTD_DCtx *dctx, const std::vector<uint8_t> &in, std::vector<uint8_t> &out,
                            std::string *error) {
        size_t n = ZSTD_decompressDCtx(dctx, out.data(), out.size(), in.data(), in.size());
        if (ZSTD_isError(n)) {
                *error = std::string("system libzstd failed: ") + ZSTD_getErrorName(n);
                return false;
        }
        if (n != out.size()) {
                *error = "system libzstd produced " + std::to_string(n) + " bytes";
                return false;
        }
        return true;
}

// The same through a build of the stub's zstd path; `name` labels it in the error.
inline bool run_stub_zstd(const ZukiBenchStub *stub, const std::string &name, const std::vector<uint8_t> &in,
                          std::vector<uint8_t> &out, std::string *error) {
        const char *detail = nullptr;
        int e = stub->decompress(in.data(), in.size(), out.data(), out.size(), &detail);
        if (e != 0)
                *error = name + " failed: zuki error " + std::to_string(e) + " " + (detail ? detail : "");
        return e == 0;
}

} // namespace zuki_bench
