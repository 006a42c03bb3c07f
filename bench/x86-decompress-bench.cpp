// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zuki-bench-x86-decompress: the decompression phase of an x86_64 boot, on the host, both ways in
// one process and in alternating order:
//   stock  the codec of the stock boot path on a bzImage's own payload (vmlinux.bin +
//          vmlinux.relocs as the kernel's build compressed them), by its magic: XZ with liblzma
//          (lzma_stream_buffer_decode), zstd with the system libzstd. The kernel's boot-time
//          decoders (lib/xz, lib/zstd) are different builds or implementations of the same
//          formats; the distribution's libraries stand in for them here.
//   direct the stub's zstd code path (a libzuki-bench-stub-zstd-*.so, as zuki-bench-decompress
//          uses) on the zstd frame of a zuki direct-boot zboot image (the flat kernel image plus
//          its relocation table).
// The two outputs differ (an ELF file against the laid-out image), so besides MB/s of output the
// figure that matters is the time per decompression: ratio = stock seconds / direct seconds.
//
// Usage: zuki-bench-x86-decompress [--rounds N] [--json] STOCK_PAYLOAD STOCK_OUT_SIZE STUB_LIB DIRECT_FRAME DIRECT_OUT_SIZE
//   STOCK_PAYLOAD is the bare .xz stream or zstd frame (no size trailer); STOCK_OUT_SIZE the
//   bzImage's trailer value. DIRECT_FRAME is the bare zstd frame of the zboot image;
//   DIRECT_OUT_SIZE its trailer value.

#include <stdio.h>
#include <string.h>

#include <lzma.h>

#include "bench-common.hpp"

namespace {

using namespace zuki_bench;

constexpr int kMinRounds = 3;

int fail(const std::string &message) {
        fprintf(stderr, "zuki-bench-x86-decompress: %s\n", message.c_str());
        return 1;
}

enum class Codec { Xz, Zstd };

// The stock payload's codec, by its magic (the bzImage's own choice).
bool detect_codec(const std::vector<uint8_t> &in, Codec *out) {
        static const uint8_t kXz[] = {0xfd, '7', 'z', 'X', 'Z', 0};
        static const uint8_t kZstd[] = {0x28, 0xb5, 0x2f, 0xfd};
        if (in.size() >= sizeof kXz && memcmp(in.data(), kXz, sizeof kXz) == 0)
                *out = Codec::Xz;
        else if (in.size() >= sizeof kZstd && memcmp(in.data(), kZstd, sizeof kZstd) == 0)
                *out = Codec::Zstd;
        else
                return false;
        return true;
}

// One decompression of the whole stock payload into exactly out.size() bytes. XZ: no memory
// limit (the kernel's streams use small dictionaries, and the limit is not what is measured).
bool run_stock(Codec codec, ZSTD_DCtx *dctx, const std::vector<uint8_t> &in, std::vector<uint8_t> &out,
               std::string *error) {
        if (codec == Codec::Zstd)
                return run_system_zstd(dctx, in, out, error);
        uint64_t memlimit = UINT64_MAX;
        size_t in_pos = 0, out_pos = 0;
        lzma_ret r = lzma_stream_buffer_decode(&memlimit, 0, nullptr, in.data(), &in_pos, in.size(), out.data(),
                                               &out_pos, out.size());
        if (r != LZMA_OK) {
                *error = "liblzma failed with code " + std::to_string((int) r);
                return false;
        }
        if (out_pos != out.size() || in_pos != in.size()) {
                *error = "liblzma produced " + std::to_string(out_pos) + " bytes from " + std::to_string(in_pos);
                return false;
        }
        return true;
}

bool run_direct(const ZukiBenchStub *stub, const std::vector<uint8_t> &in, std::vector<uint8_t> &out,
                std::string *error) {
        return run_stub_zstd(stub, "the stub's zstd path", in, out, error);
}

void print_json_side(const char *name, const char *codec, const char *library, size_t in_size, size_t out_size,
                     const Samples &s) {
        printf(" \"%s\": {\"codec\": \"%s\", \"library\": \"%s\", \"input_size\": %zu, \"output_size\": %zu, "
               "\"best_s\": %.6f, \"median_s\": %.6f, \"best_mb_s\": %.1f, \"median_mb_s\": %.1f},\n",
               name, codec, library, in_size, out_size, s.best(), s.median(), mb_per_s(out_size, s.best()),
               mb_per_s(out_size, s.median()));
}

} // namespace

int main(int argc, char **argv) {
        int rounds = 5;
        bool json = false;
        std::vector<std::string> pos;
        const char *usage = "[--rounds N] [--json] STOCK_PAYLOAD STOCK_OUT_SIZE STUB_LIB DIRECT_FRAME DIRECT_OUT_SIZE";
        for (int i = 1; i < argc; i++) {
                std::string a = argv[i];
                if (a == "--rounds" && i + 1 < argc)
                        rounds = atoi(argv[++i]);
                else if (a == "--json")
                        json = true;
                else if (a == "--help" || a == "-h") {
                        printf("Usage: %s %s\n", argv[0], usage);
                        return 0;
                } else
                        pos.push_back(a);
        }
        if (pos.size() != 5)
                return fail(std::string("usage: zuki-bench-x86-decompress ") + usage);
        if (rounds < kMinRounds)
                return fail("--rounds must be at least " + std::to_string(kMinRounds));
        size_t stock_out_size = 0, direct_out_size = 0;
        if (!parse_size(pos[1], &stock_out_size) || !parse_size(pos[4], &direct_out_size))
                return fail("bad output size");
        std::vector<uint8_t> stock_in, direct_in;
        if (!read_file(pos[0], &stock_in))
                return fail("cannot read " + pos[0]);
        if (!read_file(pos[3], &direct_in))
                return fail("cannot read " + pos[3]);
        Codec codec;
        if (!detect_codec(stock_in, &codec))
                return fail(pos[0] + " is neither an XZ stream nor a zstd frame");
        DctxPtr dctx(ZSTD_createDCtx());
        if (!dctx)
                return fail("ZSTD_createDCtx failed");

        DlPtr handle;
        const ZukiBenchStub *stub = nullptr;
        std::string error;
        if (!load_stub(pos[2], &handle, &stub, &error))
                return fail(error);
        if (stub->init() != 0)
                return fail("cannot allocate the stub path's workspace");

        // Separate pre-faulted output buffers (the sizes differ); one untimed warm-up each, which
        // also checks that both decompress completely.
        std::vector<uint8_t> stock_out(stock_out_size, 0x5a), direct_out(direct_out_size, 0x5a);
        if (!run_stock(codec, dctx.get(), stock_in, stock_out, &error) ||
            !run_direct(stub, direct_in, direct_out, &error))
                return fail(error);

        // Alternate which goes first each round, so drift (frequency, neighbours' load) hits both.
        Samples stock, direct;
        for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < 2; k++) {
                        bool do_stock = (r + k) % 2 == 0;
                        double start = now_seconds();
                        bool ok = do_stock ? run_stock(codec, dctx.get(), stock_in, stock_out, &error)
                                           : run_direct(stub, direct_in, direct_out, &error);
                        double t = now_seconds() - start;
                        if (!ok)
                                return fail(error);
                        (do_stock ? stock : direct).seconds.push_back(t);
                }
        }

        const char *codec_name = codec == Codec::Xz ? "xz" : "zstd";
        std::string library = codec == Codec::Xz ? std::string("liblzma ") + lzma_version_string()
                                                 : std::string("libzstd ") + ZSTD_versionString();
        std::string stub_library = std::string("stub path (") + stub->compiler + ", zstd " +
                                   std::to_string(stub->zstd_version) + ")";
        if (json) {
                printf("{\"rounds\": %d,\n", rounds);
                print_json_side("stock", codec_name, library.c_str(), stock_in.size(), stock_out_size, stock);
                print_json_side("direct", "zstd", stub_library.c_str(), direct_in.size(), direct_out_size, direct);
                printf(" \"time_ratio_best\": %.3f, \"time_ratio_median\": %.3f, \"mb_s_ratio_best\": %.3f}\n",
                       stock.best() / direct.best(), stock.median() / direct.median(),
                       mb_per_s(direct_out_size, direct.best()) / mb_per_s(stock_out_size, stock.best()));
        } else {
                printf("stock  %-4s %-34s %9zu -> %9zu bytes, best %.3f s (%6.1f MB/s), median %.3f s\n", codec_name,
                       library.c_str(), stock_in.size(), stock_out_size, stock.best(),
                       mb_per_s(stock_out_size, stock.best()), stock.median());
                printf("direct zstd %-34s %9zu -> %9zu bytes, best %.3f s (%6.1f MB/s), median %.3f s\n",
                       stub_library.c_str(), direct_in.size(), direct_out_size, direct.best(),
                       mb_per_s(direct_out_size, direct.best()), direct.median());
                printf("time ratio stock/direct: %.2f best, %.2f median (%d rounds, alternating)\n",
                       stock.best() / direct.best(), stock.median() / direct.median(), rounds);
        }
        return 0;
}
