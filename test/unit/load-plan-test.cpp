// SPDX-License-Identifier: LGPL-2.1-or-later
// load::plan, materialize and relocate: the memory image a loader produces from a PE file.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "load-plan.hpp"
#include "pe-fixture.hpp"
#include "pe.hpp"

namespace zuki::load {
namespace {

using test::arm64_image_spec;
using test::build;
using test::copy_layout_spec;
using test::ImageSpec;

constexpr uint8_t kPoison = 0xaa;

Bytes bytes(const std::vector<uint8_t> &v) { return Bytes(v.data(), v.size()); }
MutableBytes mutable_bytes(std::vector<uint8_t> &v) { return MutableBytes(v.data(), v.size()); }

pe::View parse_file(const std::vector<uint8_t> &file) {
        Result<pe::View> v = pe::View::parse(bytes(file), pe::Layout::File);
        EXPECT_TRUE(v.ok()) << describe(v.error());
        return *v;
}

Error plan_error(const ImageSpec &spec) {
        std::vector<uint8_t> file = build(spec);
        return plan(parse_file(file)).error();
}

// True when image[from, to) equals file[file_from, file_from + (to - from)).
bool same_bytes(const std::vector<uint8_t> &image, size_t from, size_t to, const std::vector<uint8_t> &file,
                size_t file_from) {
        return std::equal(image.begin() + from, image.begin() + to, file.begin() + file_from);
}
bool all_zero(const std::vector<uint8_t> &image, size_t from, size_t to) {
        return std::all_of(image.begin() + from, image.begin() + to, [](uint8_t b) { return b == 0; });
}

TEST(LoadPlan, CopyLayoutNeedsAPageRoundedCopy) {
        std::vector<uint8_t> file = build(copy_layout_spec());
        Result<Plan> p = plan(parse_file(file));
        ASSERT_TRUE(p.ok()) << describe(p.error());
        EXPECT_EQ(p->image_size, 0x4000u); // SizeOfImage 0x3800 rounded up to pages
        EXPECT_EQ(p->alignment, 0x1000u);
        EXPECT_EQ(p->entry_rva, 0x1010u);
        EXPECT_EQ(p->headers_size, 0x400u);
        EXPECT_EQ(p->preferred_base, 0x140000000u);
        EXPECT_EQ(p->relocations.size, 0u);
        EXPECT_EQ(p->machine, pe::kMachineX64);
        EXPECT_FALSE(p->in_place);
}

TEST(LoadPlan, Arm64ImageLayoutLoadsInPlaceWithItsSectionAlignment) {
        std::vector<uint8_t> file = build(arm64_image_spec());
        Result<Plan> p = plan(parse_file(file));
        ASSERT_TRUE(p.ok()) << describe(p.error());
        EXPECT_TRUE(p->in_place);
        EXPECT_EQ(p->alignment, 0x10000u);
        EXPECT_EQ(p->image_size, 0x50000u);
        EXPECT_EQ(p->machine, pe::kMachineArm64);
}

TEST(LoadPlan, SectionsWithoutRawDataDoNotPreventLoadingInPlace) {
        ImageSpec spec = arm64_image_spec();
        spec.sections.push_back({".bss", 0x50000, 0x10000, 0x1234, 0, test::kData, {}});
        spec.size_of_image = 0x60000;
        std::vector<uint8_t> file = build(spec);
        EXPECT_TRUE(plan(parse_file(file))->in_place);
}

TEST(LoadPlan, SubPageSectionAlignmentStillAllocatesWholeAlignedPages) {
        ImageSpec spec = copy_layout_spec(); // older x86 bzImages use 32-byte alignment
        spec.section_alignment = 0x20;
        spec.file_alignment = 0x20;
        std::vector<uint8_t> file = build(spec);
        EXPECT_EQ(plan(parse_file(file))->alignment, 0x1000u);
}

TEST(LoadPlanRejects, EntryPointOutsideExecutableSections) {
        for (uint32_t entry : {0x0u, 0x10u /* headers */, 0x1800u /* one past .text */, 0x2000u /* .data */,
                               0x3000u /* BSS */, 0xffffffffu}) {
                ImageSpec spec = copy_layout_spec();
                spec.entry_point = entry;
                EXPECT_EQ(plan_error(spec), Error::BadEntryPoint) << std::hex << entry;
        }
        ImageSpec spec = copy_layout_spec();
        spec.entry_point = 0x17ff; // last byte of .text
        EXPECT_EQ(plan_error(spec), Error::None);
        spec.sections.clear();
        EXPECT_EQ(plan_error(spec), Error::BadEntryPoint);
}

TEST(LoadPlanRejects, RelocationDirectoryBeyondTheImage) {
        ImageSpec spec = copy_layout_spec();
        spec.directories[pe::kDirBaseReloc] = {0x3f00, 0x200};
        EXPECT_EQ(plan_error(spec), Error::BadRelocations);
        spec.directories[pe::kDirBaseReloc] = {0xffffff00, 0x200};
        EXPECT_EQ(plan_error(spec), Error::BadRelocations);
}

TEST(LoadPlanRejects, LoadedViews) {
        std::vector<uint8_t> file = build(copy_layout_spec());
        file.resize(0x3800, 0);
        Result<pe::View> v = pe::View::parse(bytes(file), pe::Layout::Loaded);
        ASSERT_TRUE(v.ok());
        EXPECT_EQ(plan(*v).error(), Error::BadImageSize);
}

TEST(Materialize, CopiesHeadersAndSectionsAndZeroesGapsAndBss) {
        std::vector<uint8_t> file = build(copy_layout_spec());
        pe::View view = parse_file(file);
        Plan p = *plan(view);
        std::vector<uint8_t> image(p.image_size, kPoison);
        ASSERT_TRUE(materialize(view, p, mutable_bytes(image)).ok());
        EXPECT_TRUE(same_bytes(image, 0, 0x400, file, 0));           // headers
        EXPECT_TRUE(all_zero(image, 0x400, 0x1000));                 // gap
        EXPECT_TRUE(same_bytes(image, 0x1000, 0x1800, file, 0x400)); // .text
        EXPECT_TRUE(all_zero(image, 0x1800, 0x2000));                // gap
        EXPECT_TRUE(same_bytes(image, 0x2000, 0x2400, file, 0xc00)); // .data
        EXPECT_TRUE(all_zero(image, 0x2400, 0x4000));                // BSS and page tail
}

TEST(Materialize, InPlaceKeepsSectionDataAndZeroesRawPaddingAndBss) {
        ImageSpec spec = arm64_image_spec();
        const std::vector<uint8_t> file = build(spec);
        ASSERT_EQ(file.size(), 0x38000u);
        // The decompressor's buffer: the file, then stale bytes up to SizeOfImage.
        std::vector<uint8_t> buffer = file;
        buffer.resize(0x50000, kPoison);
        pe::View view = parse_file(buffer);
        Plan p = *plan(view);
        ASSERT_TRUE(p.in_place);
        ASSERT_TRUE(materialize(view, p, mutable_bytes(buffer)).ok());
        EXPECT_TRUE(same_bytes(buffer, 0, 0x2f800, file, 0)); // headers and .text
        EXPECT_TRUE(all_zero(buffer, 0x2f800, 0x30000));      // .text raw padding past VirtualSize
        EXPECT_TRUE(same_bytes(buffer, 0x30000, 0x38000, file, 0x30000));
        EXPECT_TRUE(all_zero(buffer, 0x38000, 0x50000));

        // Copying the same file gives the same image.
        std::vector<uint8_t> copy(p.image_size, kPoison);
        ASSERT_TRUE(materialize(parse_file(file), p, mutable_bytes(copy)).ok());
        EXPECT_TRUE(test::identical(copy, buffer));
}

TEST(MaterializeRejects, AliasedBufferWhenThePlanIsNotInPlace) {
        std::vector<uint8_t> buffer = build(copy_layout_spec());
        buffer.resize(0x4000, kPoison);
        const std::vector<uint8_t> before = buffer;
        pe::View view = parse_file(buffer);
        EXPECT_EQ(materialize(view, *plan(view), mutable_bytes(buffer)).error(), Error::BadImageSize);
        EXPECT_TRUE(test::identical(buffer, before));
}

TEST(MaterializeRejects, DestinationSmallerThanTheImage) {
        std::vector<uint8_t> file = build(copy_layout_spec());
        pe::View view = parse_file(file);
        std::vector<uint8_t> image(0x3fff, kPoison);
        EXPECT_EQ(materialize(view, *plan(view), mutable_bytes(image)).error(), Error::NoSpace);
        EXPECT_TRUE(std::all_of(image.begin(), image.end(), [](uint8_t b) { return b == kPoison; }));
}

// --- Base relocations (PE Format, ".reloc section"): blocks of {le32 page RVA, le32 block size,
// le16 entries of type << 12 | offset}.

constexpr uint16_t entry(uint16_t type, uint16_t offset) { return (uint16_t) (type << 12 | offset); }

// A block of `entries`; `size` overrides the block size field, which is otherwise exact.
std::vector<uint8_t> block(uint32_t page, std::vector<uint16_t> entries, int64_t size = -1) {
        std::vector<uint8_t> b(8 + 2 * entries.size());
        store_le32(b.data(), page);
        store_le32(b.data() + 4, size >= 0 ? (uint32_t) size : (uint32_t) b.size());
        for (size_t i = 0; i < entries.size(); i++)
                store_le16(b.data() + 8 + 2 * i, entries[i]);
        return b;
}

std::vector<uint8_t> operator+(std::vector<uint8_t> a, const std::vector<uint8_t> &b) {
        a.insert(a.end(), b.begin(), b.end());
        return a;
}

constexpr uint64_t kBase = 0x140000000;
constexpr uint32_t kDir64Target = 0x2000;   // in .data
constexpr uint32_t kHighLowTarget = 0x2010; // in .data
constexpr uint64_t kDir64Value = kBase + 0x1010;
constexpr uint32_t kHighLowValue = 0x40001010;
constexpr uint32_t kTableRva = 0x4000;

// A good block: one DIR64 and one HIGHLOW target in .data.
std::vector<uint8_t> good_block() {
        return block(0x2000, {entry(kRelDir64, 0), entry(kRelHighLow, 0x10)});
}

struct LoadedImage {
        Plan plan;
        std::vector<uint8_t> image;
};

// copy_layout_spec() plus a .reloc section holding `table`, laid out in memory.
LoadedImage load_with_relocations(const std::vector<uint8_t> &table) {
        ImageSpec spec = copy_layout_spec();
        std::vector<uint8_t> data(0x400, 0x11);
        store_le64(data.data() + (kDir64Target - 0x2000), kDir64Value);
        store_le32(data.data() + (kHighLowTarget - 0x2000), kHighLowValue);
        spec.sections[1].content = data;
        spec.sections.push_back({".reloc", kTableRva, 0x200, 0x1000, 0x200, test::kReloc, table});
        spec.size_of_image = 0x5000;
        spec.directories[pe::kDirBaseReloc] = {kTableRva, (uint32_t) table.size()};
        std::vector<uint8_t> file = build(spec);
        pe::View view = parse_file(file);
        LoadedImage l;
        Result<Plan> p = plan(view);
        EXPECT_TRUE(p.ok()) << describe(p.error());
        l.plan = *p;
        l.image.assign(l.plan.image_size, kPoison);
        EXPECT_TRUE(materialize(view, l.plan, mutable_bytes(l.image)).ok());
        return l;
}

TEST(Relocate, AddsTheLoadDeltaToDir64AndHighLowTargets) {
        LoadedImage l = load_with_relocations(good_block());
        std::vector<uint8_t> expected = l.image;
        store_le64(expected.data() + kDir64Target, kDir64Value + 0x200000);
        store_le32(expected.data() + kHighLowTarget, kHighLowValue + 0x200000);
        ASSERT_TRUE(relocate(mutable_bytes(l.image), l.plan, kBase + 0x200000).ok());
        EXPECT_TRUE(test::identical(l.image, expected));
}

TEST(Relocate, LoadingBelowThePreferredBaseSubtracts) {
        LoadedImage l = load_with_relocations(good_block());
        ASSERT_TRUE(relocate(mutable_bytes(l.image), l.plan, kBase - 0x1000).ok());
        EXPECT_EQ(load_le64(l.image.data() + kDir64Target), kDir64Value - 0x1000);
        EXPECT_EQ(load_le32(l.image.data() + kHighLowTarget), kHighLowValue - 0x1000);
}

TEST(Relocate, AbsoluteEntriesAreOnlyPadding) {
        LoadedImage l = load_with_relocations(block(0x2000, {entry(kRelAbsolute, 0), entry(kRelAbsolute, 0x10)}));
        const std::vector<uint8_t> before = l.image;
        ASSERT_TRUE(relocate(mutable_bytes(l.image), l.plan, kBase + 0x200000).ok());
        EXPECT_TRUE(test::identical(l.image, before));
}

TEST(Relocate, ImageWithoutRelocationsIsLeftAsIs) {
        std::vector<uint8_t> file = build(copy_layout_spec());
        pe::View view = parse_file(file);
        Plan p = *plan(view);
        std::vector<uint8_t> image(p.image_size, kPoison);
        ASSERT_TRUE(materialize(view, p, mutable_bytes(image)).ok());
        const std::vector<uint8_t> before = image;
        ASSERT_TRUE(relocate(mutable_bytes(image), p, kBase + 0x200000).ok());
        EXPECT_TRUE(test::identical(image, before));
}

TEST(RelocateRejects, ImageBufferSmallerThanThePlan) {
        LoadedImage l = load_with_relocations(good_block());
        EXPECT_EQ(relocate(MutableBytes(l.image.data(), l.image.size() - 1), l.plan, kBase + 0x1000).error(),
                  Error::NoSpace);
}

// Each bad table starts with a good block, so a loader that writes while it parses would have
// changed the image before it finds the damage.
TEST(RelocateRejects, MalformedTablesBeforeWritingAnything) {
        const struct {
                const char *what;
                std::vector<uint8_t> tail;
        } cases[] = {
                {"block size 0", block(0x2000, {}, 0)},
                {"block size below the block header", block(0x2000, {}, 4)},
                {"odd block size", block(0x2000, {entry(kRelDir64, 8), 0}, 11)},
                {"block past the table", block(0x2000, {entry(kRelDir64, 8)}, 0x100)},
                {"bytes after the last block", {0, 0x20, 0, 0}},
                {"DIR64 straddling the image end", block(0x4000, {entry(kRelDir64, 0xffc)})},
                {"HIGHLOW straddling the image end", block(0x4000, {entry(kRelHighLow, 0xffe)})},
                {"target far past the image", block(0xfffff000, {entry(kRelDir64, 0xff0)})},
                {"HIGH (type 1)", block(0x2000, {entry(1, 0x20)})},
                {"LOW (type 2)", block(0x2000, {entry(2, 0x20)})},
                {"HIGHADJ (type 4)", block(0x2000, {entry(4, 0x20), entry(kRelAbsolute, 0)})},
                {"type 5", block(0x2000, {entry(5, 0x20)})},
                {"type 9", block(0x2000, {entry(9, 0x20)})},
                {"type 15", block(0x2000, {entry(15, 0x20)})},
        };
        for (const auto &c : cases) {
                SCOPED_TRACE(c.what);
                LoadedImage l = load_with_relocations(good_block() + c.tail);
                const std::vector<uint8_t> before = l.image;
                EXPECT_EQ(relocate(mutable_bytes(l.image), l.plan, kBase + 0x200000).error(), Error::BadRelocations);
                EXPECT_TRUE(test::identical(l.image, before));
                // Validation does not depend on there being a delta to apply.
                EXPECT_EQ(relocate(mutable_bytes(l.image), l.plan, kBase).error(), Error::BadRelocations);
        }
}

// A relocation whose target is the table itself would change the entries between validating
// and applying them, so what was validated is not what is applied.
TEST(RelocateRejects, RelocationsThatRewriteTheTable) {
        // Block 1 relocates the header of block 2 (its page RVA and size, as one 64-bit word).
        std::vector<uint8_t> table = block(kTableRva, {entry(kRelDir64, 12), entry(kRelAbsolute, 0)}) +
                                     block(0x2000, {entry(kRelDir64, 0), entry(kRelAbsolute, 0)});
        LoadedImage l = load_with_relocations(table);
        const std::vector<uint8_t> before = l.image;
        EXPECT_EQ(relocate(mutable_bytes(l.image), l.plan, kBase + 0x200000).error(), Error::BadRelocations);
        EXPECT_TRUE(test::identical(l.image, before));
}

} // namespace
} // namespace zuki::load
