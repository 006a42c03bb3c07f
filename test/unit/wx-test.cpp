// SPDX-License-Identifier: LGPL-2.1-or-later
// wx::plan: the page-aligned read-only+executable / writable+non-executable ranges of a loaded
// kernel image. Expected ranges are worked out by hand from the section tables below; for the real
// kernels they come from pefile, run at test time, independently of zuki's PE parser.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "load-plan.hpp"
#include "pe-fixture.hpp"
#include "pe.hpp"
#include "wx.hpp"

namespace zuki::wx {

// Found by argument-dependent lookup, so outside the anonymous namespace.
inline bool operator==(const Range &a, const Range &b) {
        return a.offset == b.offset && a.size == b.size && a.executable == b.executable;
}
inline void PrintTo(const Range &r, std::ostream *os) {
        *os << std::hex << "[0x" << r.offset << ",0x" << r.offset + r.size << ") " << (r.executable ? "X" : "NX");
}

namespace {

using test::build;
using test::ImageSpec;
using test::kData;
using test::kText;

constexpr uint32_t kRData = pe::kScnCntInitializedData | pe::kScnMemRead;

std::vector<Range> ranges(const Plan &p) { return std::vector<Range>(p.ranges, p.ranges + p.count); }

// The ranges tile [0, image_size) in order: page-aligned, non-empty, no gap, no overlap.
::testing::AssertionResult tiles(const Plan &p, uint64_t image_size) {
        uint64_t cursor = 0;
        for (size_t i = 0; i < p.count; i++) {
                const Range &r = p.ranges[i];
                if (r.offset != cursor || r.size == 0 || r.offset % kPageSize || r.size % kPageSize)
                        return ::testing::AssertionFailure() << "range " << i << " at 0x" << std::hex << r.offset
                                                             << "+0x" << r.size << ", expected start 0x" << cursor;
                cursor += r.size;
        }
        if (cursor != image_size)
                return ::testing::AssertionFailure() << std::hex << "ends at 0x" << cursor << ", not 0x" << image_size;
        return ::testing::AssertionSuccess();
}

// Builds the file, lays it out as the stub does (load::plan + materialize; an image without an
// executable entry point, which load::plan refuses, gets its headers copied into zeroed pages),
// parses the result as Layout::Loaded and plans it for `image_size` (0: the loaded size).
Result<Plan> plan_for(const ImageSpec &spec, uint64_t image_size = 0) {
        std::vector<uint8_t> file = build(spec);
        Result<pe::View> fv = pe::View::parse(Bytes(file.data(), file.size()), pe::Layout::File);
        EXPECT_TRUE(fv.ok()) << describe(fv.error());
        Result<load::Plan> lp = load::plan(*fv);
        std::vector<uint8_t> image;
        if (lp.ok()) {
                image.assign(lp->image_size, 0xaa);
                EXPECT_TRUE(load::materialize(*fv, *lp, MutableBytes(image.data(), image.size())).ok());
        } else {
                image.assign(align_up(spec.size_of_image, kPageSize), 0);
                std::copy_n(file.begin(), spec.size_of_headers, image.begin());
        }
        Result<pe::View> loaded = pe::View::parse(Bytes(image.data(), image.size()), pe::Layout::Loaded);
        EXPECT_TRUE(loaded.ok()) << describe(loaded.error());
        return plan(*loaded, image_size ? image_size : image.size());
}

// 4 KiB pages, sections at their RVA in memory and packed at FileAlignment 0x200 in the file.
ImageSpec spec_with(uint32_t section_alignment, uint32_t size_of_image, std::vector<test::SectionSpec> sections) {
        ImageSpec s;
        s.section_alignment = section_alignment;
        s.size_of_image = size_of_image;
        uint32_t raw = s.size_of_headers;
        for (test::SectionSpec &sec : sections) {
                sec.raw_offset = raw;
                sec.raw_size = (uint32_t) align_up(sec.virtual_size, s.file_alignment);
                raw += sec.raw_size;
                if (sec.characteristics & pe::kScnMemExecute && !s.entry_point)
                        s.entry_point = sec.virtual_address;
        }
        s.sections = std::move(sections);
        return s;
}

TEST(WxPlan, PageAlignedTextBetweenDataIsHeadersTextRest) {
        // headers [0,0x400)  .data0 [0x1000,0x2000)  .text [0x2000,0x4000)  .data [0x4000,0x5800)
        Result<Plan> p = plan_for(spec_with(0x1000, 0x5800, {{".data0", 0x1000, 0x1000, 0, 0, kData, {}},
                                                              {".text", 0x2000, 0x2000, 0, 0, kText, {}},
                                                              {".data", 0x4000, 0x1800, 0, 0, kData, {}}}));
        ASSERT_TRUE(p.ok()) << describe(p.error());
        EXPECT_EQ(ranges(*p), (std::vector<Range>{{0, 0x2000, false}, {0x2000, 0x2000, true}, {0x4000, 0x2000, false}}));
        EXPECT_TRUE(tiles(*p, 0x6000)); // SizeOfImage 0x5800 rounded up
}

TEST(WxPlan, CodeStartRoundsDownAndEndRoundsUpToPages) {
        // .text [0x1200,0x2e00) -> pages [0x1000,0x3000)
        Result<Plan> p = plan_for(spec_with(0x200, 0x4000, {{".text", 0x1200, 0x1c00, 0, 0, kText, {}}}));
        ASSERT_TRUE(p.ok()) << describe(p.error());
        EXPECT_EQ(ranges(*p), (std::vector<Range>{{0, 0x1000, false}, {0x1000, 0x2000, true}, {0x3000, 0x1000, false}}));
        EXPECT_TRUE(tiles(*p, 0x4000));
}

TEST(WxPlan, AdjacentCodeSectionsSharingAPageMerge) {
        // .text [0x1000,0x2300) and .init [0x2400,0x3400) share page 0x2000 -> one range [0x1000,0x4000)
        Result<Plan> p = plan_for(spec_with(0x200, 0x5000, {{".text", 0x1000, 0x1300, 0, 0, kText, {}},
                                                             {".init", 0x2400, 0x1000, 0, 0, kText, {}}}));
        ASSERT_TRUE(p.ok()) << describe(p.error());
        EXPECT_EQ(ranges(*p), (std::vector<Range>{{0, 0x1000, false}, {0x1000, 0x3000, true}, {0x4000, 0x1000, false}}));
        EXPECT_TRUE(tiles(*p, 0x5000));
}

TEST(WxPlan, CodeSharingAPageWithWritableDataIsAConflict) {
        // .data right after .text inside page 0x1000
        EXPECT_EQ(plan_for(spec_with(0x200, 0x2000, {{".text", 0x1000, 0x800, 0, 0, kText, {}},
                                                      {".data", 0x1800, 0x400, 0, 0, kData, {}}}))
                          .error(),
                  Error::WxConflict);
        // .data before .text in the same page
        EXPECT_EQ(plan_for(spec_with(0x200, 0x2000, {{".data", 0x1000, 0x200, 0, 0, kData, {}},
                                                      {".text", 0x1200, 0x600, 0, 0, kText, {}}}))
                          .error(),
                  Error::WxConflict);
        // .data's BSS tail (VirtualSize beyond the raw data) reaches into the code's first page
        ImageSpec bss = spec_with(0x200, 0x3000, {{".data", 0x1000, 0x1200, 0, 0, kData, {}},
                                                  {".text", 0x2200, 0x400, 0, 0, kText, {}}});
        bss.sections[0].raw_size = 0x200;
        EXPECT_EQ(plan_for(bss).error(), Error::WxConflict);
}

TEST(WxPlan, WritableExecutableSectionIsAConflict) {
        // One section that is itself writable and executable cannot be mapped W^X.
        EXPECT_EQ(plan_for(spec_with(0x1000, 0x2000, {{".text", 0x1000, 0x1000, 0, 0, kText | pe::kScnMemWrite, {}}}))
                          .error(),
                  Error::WxConflict);
        // Nor can a page-aligned code section next to it.
        EXPECT_EQ(plan_for(spec_with(0x200, 0x3000, {{".text", 0x1000, 0x800, 0, 0, kText, {}},
                                                      {".wtext", 0x1800, 0x400, 0, 0, kText | pe::kScnMemWrite, {}}}))
                          .error(),
                  Error::WxConflict);
}

TEST(WxPlan, ReadOnlyDataSharingACodePageBecomesExecutable) {
        // .text [0x1000,0x1800), .rdata [0x1800,0x1c00) in the same page, .data on the next page
        Result<Plan> p = plan_for(spec_with(0x200, 0x3000, {{".text", 0x1000, 0x800, 0, 0, kText, {}},
                                                             {".rdata", 0x1800, 0x400, 0, 0, kRData, {}},
                                                             {".data", 0x2000, 0x400, 0, 0, kData, {}}}));
        ASSERT_TRUE(p.ok()) << describe(p.error());
        EXPECT_EQ(ranges(*p), (std::vector<Range>{{0, 0x1000, false}, {0x1000, 0x1000, true}, {0x2000, 0x1000, false}}));
        const Range &code = p->ranges[1];
        EXPECT_TRUE(code.executable && code.offset <= 0x1800 && 0x1c00 <= code.offset + code.size);
}

TEST(WxPlan, RejectsUnalignedImageSizeAndCodeBeyondIt) {
        ImageSpec spec = spec_with(0x1000, 0x3000, {{".text", 0x2000, 0x1000, 0, 0, kText, {}}});
        EXPECT_EQ(plan_for(spec, 0x2800).error(), Error::BadImageSize);
        EXPECT_EQ(plan_for(spec, 0x2000).error(), Error::SectionOutOfBounds);
        EXPECT_TRUE(plan_for(spec, 0x3000).ok());
}

TEST(WxPlan, NoCodeIsOneNonExecutableRange) {
        Result<Plan> p = plan_for(spec_with(0x1000, 0x2800, {{".data", 0x1000, 0x1800, 0, 0, kData, {}}}));
        ASSERT_TRUE(p.ok()) << describe(p.error());
        EXPECT_EQ(ranges(*p), (std::vector<Range>{{0, 0x3000, false}}));
}

// Section table facts as pefile reports them: SizeOfImage, then "VirtualAddress size Characteristics".
struct PefileFacts {
        uint64_t size_of_image = 0;
        struct Sec { uint64_t va, size; uint32_t chars; };
        std::vector<Sec> sections;
};

bool pefile_facts(const char *path, PefileFacts *out) {
        std::string cmd = "/usr/bin/python3 -c 'import pefile,sys\n"
                          "pe=pefile.PE(sys.argv[1],fast_load=True)\n"
                          "print(pe.OPTIONAL_HEADER.SizeOfImage)\n"
                          "[print(s.VirtualAddress,s.Misc_VirtualSize or s.SizeOfRawData,s.Characteristics) for s in pe.sections]' '" +
                          std::string(path) + "'";
        FILE *f = popen(cmd.c_str(), "r");
        if (!f)
                return false;
        unsigned long long a, b, c;
        bool ok = fscanf(f, "%llu", &a) == 1;
        out->size_of_image = a;
        while (ok && fscanf(f, "%llu %llu %llu", &a, &b, &c) == 3)
                out->sections.push_back({a, b, (uint32_t) c});
        return pclose(f) == 0 && ok;
}

void check_kernel(const char *env, Range code, uint64_t size_of_image) {
        const char *path = std::getenv(env);
        std::ifstream in(path ? path : "", std::ios::binary);
        if (!path || !*path || !in)
                GTEST_SKIP() << env << " is not set or unreadable (see tools/setup.sh)";
        std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

        // The hard-coded values are what pefile says now.
        PefileFacts facts;
        ASSERT_TRUE(pefile_facts(path, &facts)) << "python3 with pefile is needed to cross-check " << path;
        EXPECT_EQ(facts.size_of_image, size_of_image);
        std::vector<PefileFacts::Sec> exec;
        for (const PefileFacts::Sec &s : facts.sections)
                if (s.chars & pe::kScnMemExecute)
                        exec.push_back(s);
        ASSERT_EQ(exec.size(), 1u);
        EXPECT_EQ(exec[0].va & ~(kPageSize - 1), code.offset);
        EXPECT_EQ(align_up(exec[0].va + exec[0].size, kPageSize), code.offset + code.size);

        // Load in place as the stub does, then plan the loaded image.
        Result<pe::View> view = pe::View::parse(Bytes(file.data(), file.size()), pe::Layout::File);
        ASSERT_TRUE(view.ok()) << describe(view.error());
        Result<load::Plan> lp = load::plan(*view);
        ASSERT_TRUE(lp.ok()) << describe(lp.error());
        std::vector<uint8_t> buffer = file;
        buffer.resize(std::max<uint64_t>(buffer.size(), lp->image_size), 0xaa);
        pe::View in_buffer = *pe::View::parse(Bytes(buffer.data(), file.size()), pe::Layout::File);
        ASSERT_TRUE(load::materialize(in_buffer, *lp, MutableBytes(buffer.data(), lp->image_size)).ok());
        Result<pe::View> loaded = pe::View::parse(Bytes(buffer.data(), lp->image_size), pe::Layout::Loaded);
        ASSERT_TRUE(loaded.ok()) << describe(loaded.error());
        Result<Plan> p = plan(*loaded, lp->image_size);
        ASSERT_TRUE(p.ok()) << describe(p.error());

        uint64_t total = align_up(size_of_image, kPageSize);
        EXPECT_EQ(ranges(*p), (std::vector<Range>{{0, code.offset, false},
                                                  code,
                                                  {code.offset + code.size, total - code.offset - code.size, false}}));
        EXPECT_TRUE(tiles(*p, total));
        for (const Range &r : ranges(*p))
                for (const PefileFacts::Sec &s : facts.sections) {
                        if (!r.executable || !(s.chars & pe::kScnMemWrite))
                                continue;
                        EXPECT_FALSE(s.va < r.offset + r.size && r.offset < s.va + s.size)
                                << "writable section at 0x" << std::hex << s.va << " is executable";
                }
}

TEST(WxRealKernel, DebianBookwormAmd64BzImage) {
        check_kernel("ZUKI_KERNEL_BOOKWORM_AMD64", {0x5000, 0x7d6000 - 0x5000, true}, 0x81c000);
}

TEST(WxRealKernel, DebianBookwormArm64Image) {
        check_kernel("ZUKI_KERNEL_BOOKWORM_ARM64", {0x10000, 0x1740000 - 0x10000, true}, 0x2010000);
}

} // namespace
} // namespace zuki::wx
