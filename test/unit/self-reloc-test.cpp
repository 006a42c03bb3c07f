// SPDX-License-Identifier: LGPL-2.1-or-later
//
// `zuki zboot` moves a stub's base relocations into the stub's own record (src/shared/self-reloc),
// and the stub applies them with load::relocate(). Here: a stub-like image with .text, .rdata
// (pointers), .data (the record) and .reloc, detached and then relocated as the stub would.

#include <gtest/gtest.h>

#include <vector>

#include "load-plan.hpp"
#include "pe-fixture.hpp"
#include "pe.hpp"
#include "self-reloc.hpp"

namespace zuki::self_reloc {
namespace {

constexpr uint64_t kBase = 0x140000000;
constexpr uint32_t kRdata = 0x2000, kData = 0x3000, kReloc = 0x4000;
constexpr uint32_t kRecord = kData + 0x10;
constexpr uint32_t kReadOnly = pe::kScnCntInitializedData | pe::kScnMemRead;

struct Stub {
        bool record = true;
        bool second_record = false;
        bool cover_self = true;
        bool pointer_in_text = false;
        uint64_t self = kBase + kRecord;

        std::vector<uint8_t> build() const {
                test::ImageSpec spec;
                spec.entry_point = 0x1000;
                spec.file_alignment = 0x1000;
                spec.size_of_headers = 0x1000;
                std::vector<uint8_t> rdata(0x1000, 0);
                store_le64(rdata.data() + 0x10, kBase + kRdata + 0x100); // a pointer to a string
                store_le64(rdata.data() + 0x18, kBase + 0x1000);         // a pointer to a function
                std::vector<uint8_t> data(0x1000, 0);
                auto put_record = [&](uint32_t at) {
                        __builtin_memcpy(data.data() + at, kMagic, sizeof(kMagic));
                        store_le64(data.data() + at + kSelfOffset, self);
                };
                if (record)
                        put_record(0x10);
                if (second_record)
                        put_record(0x80);
                // One block for .rdata's page, one for .data's (the record's `self`), padding included.
                std::vector<uint8_t> reloc;
                auto block = [&](uint32_t page, std::vector<uint16_t> entries) {
                        size_t at = reloc.size();
                        reloc.resize(at + 8 + 2 * entries.size());
                        store_le32(reloc.data() + at, page);
                        store_le32(reloc.data() + at + 4, (uint32_t) (8 + 2 * entries.size()));
                        for (size_t i = 0; i < entries.size(); i++)
                                store_le16(reloc.data() + at + 8 + 2 * i, entries[i]);
                };
                block(kRdata, {0xa010, 0xa018});
                if (cover_self)
                        block(kData, {(uint16_t) (0xa000 | (kRecord - kData + kSelfOffset)), 0});
                if (pointer_in_text)
                        block(0x1000, {0xa100, 0});
                spec.sections.push_back({".text", 0x1000, 0x200, 0x1000, 0x1000, test::kText, {}});
                spec.sections.push_back({".rdata", kRdata, 0x200, 0x2000, 0x1000, kReadOnly, rdata});
                spec.sections.push_back({".data", kData, 0x100, 0x3000, 0x1000, test::kData, data});
                spec.sections.push_back({".reloc", kReloc, (uint32_t) reloc.size(), 0x4000, 0x1000, kReadOnly, reloc});
                spec.directories[pe::kDirBaseReloc] = {kReloc, (uint32_t) reloc.size()};
                spec.size_of_image = 0x5000;
                return test::build(spec);
        }
};

pe::View parse(const std::vector<uint8_t> &image) {
        Result<pe::View> v = pe::View::parse(Bytes(image.data(), image.size()), pe::Layout::File);
        EXPECT_TRUE(v);
        return *v;
}

TEST(SelfReloc, DetachEmptiesTheDirectoryAndFillsTheRecord) {
        std::vector<uint8_t> image = Stub{}.build();
        ASSERT_FALSE(is_detached(Bytes(image.data(), image.size())));
        Result<Detached> d = detach(MutableBytes(image.data(), image.size()));
        ASSERT_TRUE(d) << describe(d.error());
        EXPECT_TRUE(d->has_record);
        EXPECT_EQ(d->record_rva, kRecord);
        EXPECT_TRUE(is_detached(Bytes(image.data(), image.size())));
        pe::View v = parse(image);
        EXPECT_EQ(v.directory(pe::kDirBaseReloc).size, 0u);
        EXPECT_EQ(v.directory(pe::kDirBaseReloc).address, 0u);
        const uint8_t *record = image.data() + kRecord; // file offset == RVA here
        EXPECT_EQ(load_le32(record + 24), kRecord);
        EXPECT_EQ(load_le32(record + 28), kReloc);
        EXPECT_EQ(load_le32(record + 32), d->table_size);
        EXPECT_EQ(load_le32(record + 36), 0x5000u);
        // .rdata holds pointers the stub patches at run time: writable now, still not executable.
        pe::Section rdata;
        ASSERT_TRUE(v.find(".rdata", &rdata));
        EXPECT_TRUE(rdata.writable());
        EXPECT_FALSE(rdata.executable());
        pe::Section reloc;
        ASSERT_TRUE(v.find(".reloc", &reloc));
        EXPECT_FALSE(reloc.writable());
        // objcopy points the directory at the whole section again: all of it must read as a
        // valid table (the last block now covers the padding with padding entries).
        EXPECT_EQ(d->table_size, reloc.raw_size);
        EXPECT_TRUE(load::for_each_relocation(Bytes(image.data() + reloc.raw_offset, reloc.raw_size),
                                              [](uint16_t, uint64_t) { return ok_status(); }));
}

TEST(SelfReloc, TheStubsRelocationMovesEveryPointerAndSelf) {
        std::vector<uint8_t> image = Stub{}.build();
        ASSERT_TRUE(detach(MutableBytes(image.data(), image.size())));
        // Lay the file out as a loader would (file offsets equal RVAs here) at another base, and
        // relocate it with what the record says, as apply_self_relocation() does.
        std::vector<uint8_t> memory(image.begin(), image.begin() + 0x5000);
        const uint8_t *record = memory.data() + kRecord;
        uint64_t linked = load_le64(record + kSelfOffset);
        uint64_t here = 0x7fff0000 + kRecord;
        load::Plan plan;
        plan.image_size = load_le32(record + 36);
        plan.preferred_base = linked - load_le32(record + 24);
        plan.relocations = {load_le32(record + 28), load_le32(record + 32)};
        EXPECT_EQ(plan.preferred_base, kBase);
        ASSERT_TRUE(load::relocate(MutableBytes(memory.data(), memory.size()), plan, here - kRecord));
        EXPECT_EQ(load_le64(memory.data() + kRdata + 0x10), 0x7fff0000u + kRdata + 0x100);
        EXPECT_EQ(load_le64(memory.data() + kRdata + 0x18), 0x7fff0000u + 0x1000);
        // `self` now equals the record's address: entering again applies nothing.
        EXPECT_EQ(load_le64(memory.data() + kRecord + kSelfOffset), here);
}

TEST(SelfReloc, AnOlderStubWithoutARecordIsLeftAlone) {
        Stub s;
        s.record = false;
        std::vector<uint8_t> image = s.build(), before = image;
        Result<Detached> d = detach(MutableBytes(image.data(), image.size()));
        ASSERT_TRUE(d);
        EXPECT_FALSE(d->has_record);
        EXPECT_EQ(image, before);
}

TEST(SelfReloc, RefusesWhatTheStubCouldNotApplyAndWritesNothing) {
        Stub two, uncovered, in_code, wrong_self;
        two.second_record = true;
        uncovered.cover_self = false;
        in_code.pointer_in_text = true;
        wrong_self.self = kBase + 0x1234;
        for (const Stub &s : {two, uncovered, in_code, wrong_self}) {
                std::vector<uint8_t> image = s.build(), before = image;
                EXPECT_FALSE(detach(MutableBytes(image.data(), image.size())));
                EXPECT_EQ(image, before);
        }
        // Detaching twice: the second finds a filled record.
        std::vector<uint8_t> image = Stub{}.build();
        ASSERT_TRUE(detach(MutableBytes(image.data(), image.size())));
        EXPECT_FALSE(detach(MutableBytes(image.data(), image.size())));
}

} // namespace
} // namespace zuki::self_reloc
