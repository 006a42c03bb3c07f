// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zuki-bench-decompress: decompression speed of the stub's zstd path (zuki::zstd::decompress over
// upstream zstd's C sources built with the stub's defines; one or more builds of it, each a
// libzuki-bench-stub-zstd-*.so) against the system libzstd, on the same zstd frame, in the same
// process, in rotating order.
//
// Usage: zuki-bench-decompress [--rounds N] [--json] [--cpu-time] --stub NAME=LIB... LABEL FRAME UNCOMPRESSED_SIZE
//        zuki-bench-decompress --check [--want-asm NAME]... --stub NAME=LIB... LABEL FRAME UNCOMPRESSED_SIZE
//   FRAME is the bare zstd frame of a zboot image and UNCOMPRESSED_SIZE its trailer value
//   (bench/run.sh takes both from `zuki inspect --json`). --check (the unit test
//   stub-zstd-paths) only decompresses once with each build and compares with the system
//   libzstd's output, then checks which Huffman path ran: the builds named by --want-asm must
//   have used upstream's x86_64 asm loops if this CPU has BMI1 and BMI2 and must not otherwise,
//   every other build must not.
//
// Why shared objects loaded with dlopen(RTLD_LOCAL): upstream's sources and the system libzstd
// define the same symbols (zstd 1.5.4 has no ZSTD_NAMESPACE). Each object is linked with a
// version script that leaves only zuki_bench_stub() global, so every ZSTD_* reference inside it
// is bound to its own copy at link time; RTLD_LOCAL keeps the objects' single export from
// colliding with each other. The process checks that each copy's ZSTD_decompressDCtx differs from
// the system's, and that every copy produces the system's output, before timing anything.

#include <stdio.h>

#include <algorithm>
#include <cmath>

#include "bench-common.hpp"

namespace {

using namespace zuki_bench;

constexpr int kMinRounds = 5;
// Each sample repeats the decompression until it lasts at least this long, so that payloads
// that decompress in about a millisecond are not timed at the clock's noise level.
constexpr double kMinSampleSeconds = 0.05;

// The sample clock: wall time (CLOCK_MONOTONIC), or with --cpu-time this thread's CPU time, which
// leaves out the time the scheduler gives to other processes on a shared machine (it still
// includes what they cost through shared caches and sibling hyperthreads).
double sample_clock(bool cpu_time) {
        if (!cpu_time)
                return now_seconds();
        timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

int fail(const std::string &message) {
        fprintf(stderr, "zuki-bench-decompress: %s\n", message.c_str());
        return 1;
}

// One implementation under test: the system libzstd (stub == nullptr) or a stub-path build.
struct Impl : Samples {
        std::string name;
        const ZukiBenchStub *stub = nullptr;
        DlPtr handle;
};

struct Payload {
        std::vector<uint8_t> frame;
        std::vector<uint8_t> out;
        ZSTD_DCtx *dctx;
};

bool run(const Impl &impl, Payload &p, std::string *error) {
        if (impl.stub)
                return run_stub_zstd(impl.stub, impl.name, p.frame, p.out, error);
        return run_system_zstd(p.dctx, p.frame, p.out, error);
}

std::string json_string(const std::string &s) {
        std::string r = "\"";
        for (char c : s) {
                if (c == '"' || c == '\\')
                        r += '\\';
                if ((unsigned char) c >= 0x20)
                        r += c;
        }
        return r + "\"";
}

} // namespace

int main(int argc, char **argv) {
        int rounds = 9;
        bool json = false;
        bool check = false;
        bool cpu_time = false;
        std::vector<std::string> want_asm;
        std::vector<std::string> positional;
        std::vector<Impl> impls;
        impls.emplace_back().name = "system";
        for (int i = 1; i < argc; i++) {
                std::string a = argv[i];
                if (a == "--rounds" && i + 1 < argc)
                        rounds = atoi(argv[++i]);
                else if (a == "--json")
                        json = true;
                else if (a == "--check")
                        check = true;
                else if (a == "--cpu-time")
                        cpu_time = true;
                else if (a == "--want-asm" && i + 1 < argc)
                        want_asm.push_back(argv[++i]);
                else if (a == "--stub" && i + 1 < argc) {
                        std::string spec = argv[++i];
                        size_t eq = spec.find('=');
                        if (eq == std::string::npos || eq == 0)
                                return fail("--stub wants NAME=LIBRARY, not " + spec);
                        Impl impl;
                        impl.name = spec.substr(0, eq);
                        std::string error;
                        if (!load_stub(spec.substr(eq + 1), &impl.handle, &impl.stub, &error))
                                return fail(error);
                        impls.push_back(std::move(impl));
                } else if (a == "--help" || a == "-h") {
                        printf("Usage: %s [--rounds N] [--json] --stub NAME=LIB... LABEL FRAME UNCOMPRESSED_SIZE\n",
                               argv[0]);
                        return 0;
                } else
                        positional.push_back(a);
        }
        if (positional.size() != 3 || impls.size() < 2)
                return fail("usage: zuki-bench-decompress [--rounds N] [--json] --stub NAME=LIB... "
                            "LABEL FRAME UNCOMPRESSED_SIZE");
        for (const std::string &name : want_asm)
                if (std::none_of(impls.begin(), impls.end(), [&](const Impl &i) { return i.name == name; }))
                        return fail("--want-asm " + name + ": no such --stub");
        if (rounds < kMinRounds)
                return fail("--rounds must be at least " + std::to_string(kMinRounds));
        const std::string &label = positional[0];
        size_t out_size = 0;
        if (!parse_size(positional[2], &out_size))
                return fail("bad UNCOMPRESSED_SIZE " + positional[2]);

        DctxPtr dctx(ZSTD_createDCtx());
        if (!dctx)
                return fail("ZSTD_createDCtx failed");
        Payload p{.frame = {}, .out = {}, .dctx = dctx.get()};
        if (!read_file(positional[1], &p.frame))
                return fail("cannot open " + positional[1]);

        for (size_t i = 1; i < impls.size(); i++) {
                const ZukiBenchStub *s = impls[i].stub;
                for (size_t j = 1; j < i; j++)
                        if (s->decompress_dctx == impls[j].stub->decompress_dctx)
                                return fail(impls[i].name + " and " + impls[j].name + " share their zstd code");
                if (s->init() != 0)
                        return fail("cannot allocate the workspace of " + impls[i].name);
        }

        // The reference output, then a warm-up and correctness run of each stub build into the
        // buffer all timed runs share (same pages, same cache and TLB state for everyone).
        std::string error;
        p.out.assign(out_size, 0x5a);
        if (!run(impls[0], p, &error))
                return fail(error);
        std::vector<uint8_t> reference = p.out;
        double t0 = now_seconds();
        for (size_t i = 1; i < impls.size(); i++) {
                std::fill(p.out.begin(), p.out.end(), 0xa5);
                if (!run(impls[i], p, &error))
                        return fail(error);
                if (p.out != reference)
                        return fail(impls[i].name + " and the system libzstd disagree on the output");
                if (check) {
                        unsigned long long calls = impls[i].stub->asm_huffman_calls();
                        bool wanted = std::find(want_asm.begin(), want_asm.end(), impls[i].name) != want_asm.end();
#if defined(__x86_64__)
                        bool cpu_bmi2 = __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
#else
                        bool cpu_bmi2 = false;
#endif
                        printf("%s: %s: same %zu bytes as the system libzstd; %llu Huffman blocks by the x86_64 asm "
                               "(CPU BMI1+BMI2: %s)\n",
                               label.c_str(), impls[i].name.c_str(), out_size, calls, cpu_bmi2 ? "yes" : "no");
                        if (wanted && cpu_bmi2 && calls == 0)
                                return fail(impls[i].name + " did not use the asm Huffman decoder on a CPU with BMI2");
                        if ((!wanted || !cpu_bmi2) && calls != 0)
                                return fail(impls[i].name + " used the asm Huffman decoder where it must not");
                }
        }
        if (check)
                return 0;
        reference = {};
        double warm = (now_seconds() - t0) / (double) (impls.size() - 1);
        int reps = std::max(1, (int) std::ceil(kMinSampleSeconds / std::max(warm, 1e-6)));

        // Rotate the order every round (system first, then each stub build first, ...) so that
        // drift (frequency scaling, a neighbour's load) hits every implementation alike; the
        // figure of merit is the best sample, the median is reported beside it.
        size_t n = impls.size();
        for (int r = 0; r < rounds; r++) {
                for (size_t k = 0; k < n; k++) {
                        Impl &impl = impls[(r + k) % n];
                        double start = sample_clock(cpu_time);
                        for (int i = 0; i < reps; i++)
                                if (!run(impl, p, &error))
                                        return fail(error);
                        impl.seconds.push_back((sample_clock(cpu_time) - start) / reps);
                }
        }

        const Impl &system = impls[0];
        if (json) {
                printf("{\"label\": %s, \"frame_size\": %zu, \"uncompressed_size\": %zu, \"rounds\": %d, "
                       "\"repetitions_per_sample\": %d, \"clock\": \"%s\",\n",
                       json_string(label).c_str(), p.frame.size(), out_size, rounds, reps,
                       cpu_time ? "thread-cpu-time" : "monotonic");
                printf(" \"system\": {\"zstd_version\": %u, \"best_s\": %.6f, \"median_s\": %.6f, "
                       "\"best_mb_s\": %.1f, \"median_mb_s\": %.1f},\n \"stubs\": [",
                       ZSTD_versionNumber(), system.best(), system.median(),
                       mb_per_s(out_size, system.best()), mb_per_s(out_size, system.median()));
                for (size_t i = 1; i < n; i++) {
                        const Impl &s = impls[i];
                        printf("%s\n  {\"name\": %s, \"compiler\": %s, \"zstd_version\": %u, \"workspace_size\": %zu, "
                               "\"dynamic_bmi2\": %d, \"x86_64_asm\": %d, \"best_s\": %.6f, \"median_s\": %.6f, "
                               "\"best_mb_s\": %.1f, \"median_mb_s\": %.1f, \"ratio_best\": %.3f, \"ratio_median\": %.3f}",
                               i > 1 ? "," : "", json_string(s.name).c_str(), json_string(s.stub->compiler).c_str(),
                               s.stub->zstd_version, s.stub->workspace_size(), s.stub->dynamic_bmi2,
                               s.stub->x86_64_asm, s.best(), s.median(), mb_per_s(out_size, s.best()),
                               mb_per_s(out_size, s.median()), system.best() / s.best(),
                               system.median() / s.median());
                }
                printf("]}\n");
        } else {
                printf("%s: %zu-byte frame -> %zu bytes; best of %d rounds (rotating order), %d decompression(s) per sample\n",
                       label.c_str(), p.frame.size(), out_size, rounds, reps);
                printf("  %-16s %9.1f MB/s  (zstd %u)\n", "system libzstd", mb_per_s(out_size, system.best()),
                       ZSTD_versionNumber());
                for (size_t i = 1; i < n; i++) {
                        const Impl &s = impls[i];
                        printf("  %-16s %9.1f MB/s  ratio %.3f best, %.3f median  (%s, DYNAMIC_BMI2=%d, x86_64 asm=%d)\n",
                               s.name.c_str(), mb_per_s(out_size, s.best()), system.best() / s.best(),
                               system.median() / s.median(), s.stub->compiler, s.stub->dynamic_bmi2,
                               s.stub->x86_64_asm);
                }
        }
        return 0;
}
