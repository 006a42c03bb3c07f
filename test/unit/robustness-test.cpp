// SPDX-License-Identifier: LGPL-2.1-or-later
// Damaged images must be rejected or handled, never read or written out of bounds. Each
// iteration damages a valid image (random bytes in the headers, the relocation table or anywhere,
// or a truncation) and runs it through everything a loader does. Under the default build this
// catches crashes and hangs; under ASan it also catches any stray access.

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "load-plan.hpp"
#include "pe-fixture.hpp"
#include "pe.hpp"
#include "zboot.hpp"

namespace zuki {
namespace {

constexpr int kIterations = 4000;
constexpr uint32_t kTableOffset = 0x1000; // file offset of the .reloc raw data
// Larger images are valid but not worth allocating thousands of times.
constexpr uint64_t kMaxExercisedImage = 16 * 1024 * 1024;

std::vector<uint8_t> relocatable_zboot_file() {
        test::ImageSpec spec = test::copy_layout_spec();
        std::vector<uint8_t> table(28, 0); // two blocks: 16 + 12 bytes
        store_le32(table.data(), 0x2000);
        store_le32(table.data() + 4, 16);
        store_le16(table.data() + 8, load::kRelDir64 << 12 | 0x8);
        store_le16(table.data() + 10, load::kRelHighLow << 12 | 0x20);
        store_le16(table.data() + 12, load::kRelDir64 << 12 | 0x3f8);
        store_le32(table.data() + 16, 0x4000);
        store_le32(table.data() + 20, 12);
        store_le16(table.data() + 24, load::kRelHighLow << 12 | 0x1f0);
        spec.sections.push_back({".reloc", 0x4000, 0x200, kTableOffset, 0x200, test::kReloc, table});
        spec.size_of_image = 0x5000;
        spec.directories[pe::kDirBaseReloc] = {0x4000, (uint32_t) table.size()};
        std::vector<uint8_t> file = test::build(spec);
        EXPECT_TRUE(zboot::write_header(MutableBytes(file.data(), file.size()), 0xc10, 0x20, "zstd").ok());
        return file;
}

// Runs every read and every write a loader would on `input`; returns how far it got (0..3).
int exercise(const std::vector<uint8_t> &input) {
        Bytes in(input.data(), input.size());
        if (Result<zboot::Header> h = zboot::parse_header(in); h && in.contains(h->payload_offset, h->stored_size()))
                (void) zboot::split_zstd_payload(*h, Bytes(in.data() + h->payload_offset, h->stored_size()));

        unsigned sink = 0; // reads every byte a view hands out, so stray ranges are touched
        for (pe::Layout layout : {pe::Layout::File, pe::Layout::Loaded}) {
                Result<pe::View> v = pe::View::parse(in, layout);
                if (!v)
                        continue;
                for (size_t i = 0; i < v->section_count(); i++)
                        for (uint8_t b : v->data(v->section(i)))
                                sink += b;
                for (uint32_t d = 0; d <= pe::kMaxDirectories; d++)
                        sink += v->directory(d).size;
                (void) v->file_range_to_rva(0xc10, 0x24);
                (void) v->raw_data_end();
        }
        volatile unsigned keep = sink;
        (void) keep;

        Result<pe::View> file = pe::View::parse(in, pe::Layout::File);
        if (!file)
                return 0;
        Result<load::Plan> plan = load::plan(*file);
        if (!plan || plan->image_size > kMaxExercisedImage)
                return 1;
        std::vector<uint8_t> image(plan->image_size, 0xaa);
        if (!load::materialize(*file, *plan, MutableBytes(image.data(), image.size())))
                return 2;
        (void) load::relocate(MutableBytes(image.data(), image.size()), *plan, plan->preferred_base + 0x10000);
        (void) load::relocate(MutableBytes(image.data(), image.size()), *plan, 0);
        return 3;
}

TEST(Robustness, DamagedImagesAreRejectedOrLoadedWithoutStrayAccess) {
        const std::vector<uint8_t> original = relocatable_zboot_file();
        ASSERT_EQ(exercise(original), 3);

        std::mt19937 rng(20240607);
        int reached[4] = {};
        for (int it = 0; it < kIterations; it++) {
                std::vector<uint8_t> input = original;
                const int kind = (int) (rng() % 4);
                if (kind == 3) {
                        input.resize(rng() % input.size());
                } else {
                        // Headers, the relocation table, or anywhere in the file.
                        const size_t from = kind == 0 ? 0 : kind == 1 ? kTableOffset : 0;
                        const size_t span = kind == 0 ? 0x200 : kind == 1 ? 0x20 : input.size();
                        for (int n = 1 + (int) (rng() % 8); n > 0; n--) {
                                size_t at = from + rng() % span;
                                input[at] = rng() % 3 == 0 ? (uint8_t) (input[at] ^ (1u << (rng() % 8)))
                                                           : (uint8_t) rng();
                        }
                }
                reached[exercise(input)]++;
        }
        // The damage must not be so crude that every input fails the first check, nor so mild that
        // no input is rejected.
        EXPECT_GT(reached[0], kIterations / 10);
        EXPECT_GT(reached[3], kIterations / 10);
}

} // namespace
} // namespace zuki
