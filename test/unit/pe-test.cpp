// SPDX-License-Identifier: LGPL-2.1-or-later
// pe::View: what a loader reads from a valid PE32+ image, and which error each kind of damage
// produces.

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "limits.hpp"
#include "pe-fixture.hpp"
#include "pe.hpp"

namespace zuki::pe {
namespace {

using test::build;
using test::copy_layout_spec;
using test::ImageSpec;

Bytes bytes(const std::vector<uint8_t> &v) { return Bytes(v.data(), v.size()); }

Error parse_error(const std::vector<uint8_t> &file, Layout layout = Layout::File) {
        return View::parse(bytes(file), layout).error();
}

Error parse_error(const ImageSpec &spec) { return parse_error(build(spec)); }

// The file offset of the optional header in copy_layout_spec() images.
constexpr uint32_t kOpt = 0x80 + 4 + kCoffHeaderSize;
// The file offset of the .data section header in those images.
constexpr uint32_t kDataHeader = kOpt + 240 + kSectionHeaderSize;

TEST(PeView, ParsesTheHeaderFieldsOfAPe32PlusFile) {
        ImageSpec spec = copy_layout_spec();
        spec.directories[kDirBaseReloc] = {0x3000, 0x20};
        std::vector<uint8_t> file = build(spec);
        Result<View> v = View::parse(bytes(file), Layout::File);
        ASSERT_TRUE(v.ok()) << describe(v.error());
        EXPECT_EQ(v->image().data(), file.data());
        EXPECT_EQ(v->layout(), Layout::File);
        EXPECT_EQ(v->machine(), kMachineX64);
        EXPECT_STREQ(machine_name(v->machine()), "x86_64");
        EXPECT_EQ(v->pe_offset(), 0x80u);
        EXPECT_EQ(v->optional_header_offset(), kOpt);
        EXPECT_EQ(v->section_table_offset(), kOpt + 240);
        EXPECT_EQ(v->section_table_end(), kOpt + 240 + 2 * kSectionHeaderSize);
        EXPECT_EQ(v->entry_point(), 0x1010u);
        EXPECT_EQ(v->image_base(), 0x140000000u);
        EXPECT_EQ(v->section_alignment(), 0x1000u);
        EXPECT_EQ(v->file_alignment(), 0x200u);
        EXPECT_EQ(v->size_of_image(), 0x3800u);
        EXPECT_EQ(v->size_of_headers(), 0x400u);
        EXPECT_EQ(v->subsystem(), kSubsystemEfiApplication);
        EXPECT_EQ(v->dll_characteristics(), kDllDynamicBase | kDllNxCompat);
        EXPECT_EQ(v->directory_count(), 16u);
        EXPECT_EQ(v->section_count(), 2u);
        EXPECT_EQ(v->raw_data_end(), 0x1000u);
}

TEST(PeView, SectionsAreReadInTableOrderWithTheirHeaderOffsets) {
        std::vector<uint8_t> file = build(copy_layout_spec());
        View v = *View::parse(bytes(file), Layout::File);
        Section text = v.section(0);
        EXPECT_STREQ(text.name, ".text");
        EXPECT_EQ(text.virtual_address, 0x1000u);
        EXPECT_EQ(text.virtual_size, 0x800u);
        EXPECT_EQ(text.raw_offset, 0x400u);
        EXPECT_EQ(text.raw_size, 0x800u);
        EXPECT_EQ(text.header_offset, v.section_table_offset());
        EXPECT_TRUE(text.executable());
        EXPECT_FALSE(text.writable());
        Section data = v.section(1);
        EXPECT_STREQ(data.name, ".data");
        EXPECT_EQ(data.header_offset, v.section_table_offset() + kSectionHeaderSize);
        EXPECT_EQ(data.memory_size(), 0x1800u);
        EXPECT_EQ(data.data_size(), 0x400u); // the rest is BSS
        EXPECT_FALSE(data.executable());
        EXPECT_TRUE(data.writable());
}

TEST(PeView, FindMatchesWholeNamesIncludingEightByteNamesWithoutNul) {
        ImageSpec spec = copy_layout_spec();
        spec.sections.push_back({"12345678", 0x4000, 0x10, 0, 0, test::kData, {}});
        spec.size_of_image = 0x5000;
        std::vector<uint8_t> file = build(spec);
        View v = *View::parse(bytes(file), Layout::File);
        Section s;
        ASSERT_TRUE(v.find(".data", &s));
        EXPECT_EQ(s.virtual_address, 0x2000u);
        ASSERT_TRUE(v.find("12345678", &s));
        EXPECT_EQ(s.virtual_address, 0x4000u);
        EXPECT_FALSE(v.find(".dat", &s));
        EXPECT_FALSE(v.find(".data2", &s));
        EXPECT_FALSE(v.find("1234567", &s));
        EXPECT_FALSE(v.find("123456789", &s));
        EXPECT_FALSE(v.find(".linux", &s));
}

TEST(PeView, FileDataIsTheRawBytesCappedAtTheVirtualSize) {
        ImageSpec spec = copy_layout_spec();
        spec.sections[0].virtual_size = 0x700; // raw data padded beyond the section's size
        std::vector<uint8_t> file = build(spec);
        View v = *View::parse(bytes(file), Layout::File);
        Bytes text = v.data(v.section(0));
        EXPECT_EQ(text.data(), file.data() + 0x400);
        EXPECT_EQ(text.size(), 0x700u);
        Bytes data = v.data(v.section(1));
        EXPECT_EQ(data.data(), file.data() + 0xc00);
        EXPECT_EQ(data.size(), 0x400u);
        EXPECT_EQ(data[0], test::section_byte(1, 0));
}

TEST(PeView, LoadedDataIsAtTheVirtualAddressWithTheMemorySize) {
        std::vector<uint8_t> file = build(copy_layout_spec());
        std::vector<uint8_t> loaded(0x3800, 0);
        std::copy_n(file.begin(), 0x400, loaded.begin());
        // Raw offsets do not matter once firmware has mapped the image; a file view rejects them.
        store_le32(loaded.data() + kDataHeader + kSecPointerToRawData, 0x7fff0000);
        Result<View> v = View::parse(bytes(loaded), Layout::Loaded);
        ASSERT_TRUE(v.ok()) << describe(v.error());
        EXPECT_EQ(v->layout(), Layout::Loaded);
        Bytes data = v->data(v->section(1));
        EXPECT_EQ(data.data(), loaded.data() + 0x2000);
        EXPECT_EQ(data.size(), 0x1800u);
        loaded.resize(0x37ff); // .data ends at 0x3800: its last byte is missing
        EXPECT_EQ(parse_error(loaded, Layout::Loaded), Error::Truncated);
}

// U-Boot's LoadedImage.ImageSize ends where the last section ends (unaligned), EDK2's is
// SizeOfImage: a loaded view is whole when it holds every section, whatever SizeOfImage says.
TEST(PeView, LoadedViewNeedsEverySectionNotSizeOfImage) {
        ImageSpec spec = copy_layout_spec();
        spec.sections[1].virtual_size = 0x1234; // .data: 0x2000..0x3234; SizeOfImage stays 0x3800
        std::vector<uint8_t> file = build(spec);
        std::vector<uint8_t> loaded(0x3234, 0);
        std::copy_n(file.begin(), 0x400, loaded.begin());
        Result<View> v = View::parse(bytes(loaded), Layout::Loaded);
        ASSERT_TRUE(v.ok()) << describe(v.error());
        EXPECT_EQ(v->size_of_image(), 0x3800u);
        EXPECT_EQ(v->data(v->section(1)).size(), 0x1234u);
        // One byte short of the last section, and a view that ends inside .text: both refused.
        loaded.resize(0x3233);
        EXPECT_EQ(parse_error(loaded, Layout::Loaded), Error::Truncated);
        loaded.resize(0x1400);
        EXPECT_EQ(parse_error(loaded, Layout::Loaded), Error::Truncated);
        // A section table claiming memory beyond SizeOfImage is malformed however much was loaded.
        spec.sections[1].virtual_size = 0x1900;
        file = build(spec);
        loaded.assign(0x4000, 0);
        std::copy_n(file.begin(), 0x400, loaded.begin());
        EXPECT_EQ(parse_error(loaded, Layout::Loaded), Error::SectionOutOfBounds);
}

TEST(PeView, DirectoryReturnsEntriesAndNothingBeyondNumberOfRvaAndSizes) {
        ImageSpec spec = copy_layout_spec();
        spec.directories[kDirSecurity] = {0x1000, 0x100};
        spec.directories[kDirBaseReloc] = {0x3000, 0x20};
        spec.directory_count = 5;
        spec.optional_size = kOptionalFixedSize + 8 * 5;
        std::vector<uint8_t> file = build(spec);
        View v = *View::parse(bytes(file), Layout::File);
        EXPECT_EQ(v.directory(kDirSecurity).address, 0x1000u);
        EXPECT_EQ(v.directory(kDirSecurity).size, 0x100u);
        // Index 5 is past the count: its bytes are the section table, not a directory.
        EXPECT_EQ(v.directory(kDirBaseReloc).address, 0u);
        EXPECT_EQ(v.directory(kDirBaseReloc).size, 0u);
        EXPECT_EQ(v.directory(1000).size, 0u);
}

TEST(PeView, FileRangeToRvaMapsRangesInsideOneSectionsRawData) {
        ImageSpec spec = copy_layout_spec();
        spec.sections[0].virtual_size = 0x700;
        std::vector<uint8_t> file = build(spec);
        View v = *View::parse(bytes(file), Layout::File);
        Result<uint32_t> rva = v.file_range_to_rva(0xc10, 0x20);
        ASSERT_TRUE(rva.ok());
        EXPECT_EQ(*rva, 0x2010u);
        EXPECT_EQ(*v.file_range_to_rva(0xc00, 0x400), 0x2000u); // all of .data's raw data
        EXPECT_EQ(v.file_range_to_rva(0xc00, 0x401).error(), Error::PayloadOutOfBounds);
        EXPECT_EQ(v.file_range_to_rva(0x100, 0x10).error(), Error::PayloadOutOfBounds); // headers
        // .text's raw padding past its VirtualSize is never mapped.
        EXPECT_EQ(v.file_range_to_rva(0xb00, 0x10).error(), Error::PayloadOutOfBounds);
        EXPECT_EQ(v.file_range_to_rva(0xbf0, 0x20).error(), Error::PayloadOutOfBounds); // spans two
        EXPECT_EQ(v.file_range_to_rva(UINT64_MAX - 1, 4).error(), Error::PayloadOutOfBounds);
        EXPECT_EQ(v.file_range_to_rva(0xc10, UINT64_MAX).error(), Error::PayloadOutOfBounds);
}

TEST(PeView, AcceptsExactlyTheMaximumNumberOfSections) {
        ImageSpec spec = copy_layout_spec();
        // Room for every section header (40 bytes each) after the PE headers.
        spec.size_of_headers = (uint32_t) ((0x200 + limits::kMaxSections * 40 + 0xfff) & ~0xfffu);
        uint32_t first = spec.size_of_headers / 0x1000;
        spec.sections.clear();
        for (uint32_t i = 0; i < limits::kMaxSections; i++)
                spec.sections.push_back({".s", 0x1000 * (i + first), 0x1000, 0, 0, test::kText, {}});
        spec.size_of_image = 0x1000 * (limits::kMaxSections + first);
        std::vector<uint8_t> file = build(spec);
        Result<View> v = View::parse(bytes(file), Layout::File);
        ASSERT_TRUE(v.ok()) << describe(v.error());
        EXPECT_EQ(v->section_count(), limits::kMaxSections);
        EXPECT_EQ(v->raw_data_end(), 0u); // no section has raw data
        spec.number_of_sections = limits::kMaxSections + 1;
        EXPECT_EQ(parse_error(spec), Error::TooManySections);
}

// --- Malformed inputs: one kind of damage per test, each with the error a caller will report.

TEST(PeViewRejects, EmptyAndShortBuffersAsTruncated) {
        EXPECT_EQ(View::parse(Bytes(), Layout::File).error(), Error::Truncated);
        std::vector<uint8_t> file = build(copy_layout_spec());
        file.resize(kDosHeaderSize - 1);
        EXPECT_EQ(parse_error(file), Error::Truncated);
        EXPECT_EQ(parse_error(file, Layout::Loaded), Error::Truncated);
}

TEST(PeViewRejects, MissingMzAsBadDosMagic) {
        std::vector<uint8_t> file = build(copy_layout_spec());
        file[1] = 'M';
        EXPECT_EQ(parse_error(file), Error::BadDosMagic);
}

TEST(PeViewRejects, LfanewPastTheEndAsTruncated) {
        std::vector<uint8_t> file = build(copy_layout_spec());
        store_le32(file.data() + kDosLfanewOffset, (uint32_t) file.size() - 8); // COFF header cut
        EXPECT_EQ(parse_error(file), Error::Truncated);
        store_le32(file.data() + kDosLfanewOffset, 0xfffffff0);
        EXPECT_EQ(parse_error(file), Error::Truncated);
}

TEST(PeViewRejects, LfanewInsideTheDosHeaderAsBadPeMagic) {
        // The zboot header occupies the DOS header, so the PE header cannot start there.
        std::vector<uint8_t> file = build(copy_layout_spec());
        store_le32(file.data() + kDosLfanewOffset, 0);
        EXPECT_EQ(parse_error(file), Error::BadPeMagic);
        store_le32(file.data() + kDosLfanewOffset, kDosHeaderSize - 4);
        EXPECT_EQ(parse_error(file), Error::BadPeMagic);
}

TEST(PeViewRejects, BadPeSignatureAsBadPeMagic) {
        std::vector<uint8_t> file = build(copy_layout_spec());
        file[0x80 + 3] = 1; // "PE\0\1"
        EXPECT_EQ(parse_error(file), Error::BadPeMagic);
}

TEST(PeViewRejects, MachinesOtherThanX64Arm64AndRiscv64) {
        ImageSpec spec = copy_layout_spec();
        for (uint16_t machine : {0x014c /* i386 */, 0x01c4 /* ARMNT */, 0x5032 /* RISCV32 */,
                                 0x6264 /* LOONGARCH64 */, 0}) {
                spec.machine = machine;
                EXPECT_EQ(parse_error(spec), Error::UnsupportedMachine) << machine;
        }
        spec.machine = kMachineRiscv64;
        std::vector<uint8_t> file = build(spec);
        Result<View> v = View::parse(bytes(file), Layout::File);
        ASSERT_TRUE(v.ok());
        EXPECT_EQ(v->machine(), kMachineRiscv64);
        EXPECT_STREQ(machine_name(v->machine()), "riscv64");
}

TEST(PeViewRejects, OptionalHeaderSmallerThanPe32PlusFields) {
        ImageSpec spec = copy_layout_spec();
        spec.optional_size = kOptionalFixedSize - 16;
        EXPECT_EQ(parse_error(spec), Error::BadOptionalHeader);
}

TEST(PeViewRejects, OptionalHeaderPastTheEndAsTruncated) {
        std::vector<uint8_t> file = build(copy_layout_spec());
        file.resize(kOpt + 100);
        EXPECT_EQ(parse_error(file), Error::Truncated);
}

TEST(PeViewRejects, Pe32OptionalHeaderMagic) {
        ImageSpec spec = copy_layout_spec();
        spec.optional_magic = 0x10b;
        EXPECT_EQ(parse_error(spec), Error::BadOptionalHeader);
}

TEST(PeViewRejects, MoreThanSixteenDataDirectories) {
        ImageSpec spec = copy_layout_spec();
        spec.directory_count = 17;
        EXPECT_EQ(parse_error(spec), Error::BadOptionalHeader);
}

TEST(PeViewRejects, DataDirectoriesThatDoNotFitTheOptionalHeader) {
        ImageSpec spec = copy_layout_spec();
        spec.optional_size = kOptionalFixedSize + 8 * 6;
        spec.directory_count = 7;
        EXPECT_EQ(parse_error(spec), Error::BadOptionalHeader);
}

TEST(PeViewRejects, MoreSectionsThanTheLimit) {
        ImageSpec spec = copy_layout_spec();
        spec.number_of_sections = 0xffff;
        EXPECT_EQ(parse_error(spec), Error::TooManySections);
}

TEST(PeViewRejects, SectionTableBeyondSizeOfHeaders) {
        ImageSpec spec = copy_layout_spec();
        spec.size_of_headers = 0x1c0; // the table ends at 0x1d8
        EXPECT_EQ(parse_error(spec), Error::Truncated);
}

TEST(PeViewRejects, FileShorterThanSizeOfHeaders) {
        std::vector<uint8_t> file = build(copy_layout_spec());
        file.resize(0x300);
        EXPECT_EQ(parse_error(file), Error::Truncated);
}

TEST(PeViewRejects, SectionRawDataBeyondTheFile) {
        ImageSpec spec = copy_layout_spec();
        spec.file_size = 0xe00; // .data's raw data is [0xc00, 0x1000)
        EXPECT_EQ(parse_error(spec), Error::SectionOutOfBounds);
        std::vector<uint8_t> file = build(copy_layout_spec());
        store_le32(file.data() + kDataHeader + kSecPointerToRawData, 0xffffff00); // wraps in 32 bits
        EXPECT_EQ(parse_error(file), Error::SectionOutOfBounds);
}

TEST(PeViewRejects, SectionWhoseEndOverflowsThirtyTwoBits) {
        ImageSpec spec = copy_layout_spec();
        spec.sections[1].virtual_address = 0xfffff000;
        spec.sections[1].virtual_size = 0x2000;
        EXPECT_EQ(parse_error(spec), Error::SectionOutOfBounds);
}

TEST(PeViewRejects, SectionEndingBeyondSizeOfImage) {
        ImageSpec spec = copy_layout_spec();
        spec.size_of_image = 0x37ff;
        EXPECT_EQ(parse_error(spec), Error::SectionOutOfBounds);
}

TEST(PeViewRejects, OverlappingOrUnsortedSections) {
        ImageSpec spec = copy_layout_spec();
        spec.sections[1].virtual_address = 0x17f0; // .text ends at 0x1800
        spec.sections[1].virtual_size = 0x100;
        EXPECT_EQ(parse_error(spec), Error::SectionsOverlap);
        spec = copy_layout_spec();
        std::swap(spec.sections[0], spec.sections[1]);
        EXPECT_EQ(parse_error(spec), Error::SectionsOverlap);
}

TEST(PeViewRejects, SectionOverlappingTheHeaders) {
        ImageSpec spec = copy_layout_spec();
        spec.sections[0].virtual_address = 0x200; // SizeOfHeaders is 0x400
        spec.entry_point = 0x210;
        EXPECT_EQ(parse_error(spec), Error::SectionsOverlap);
}

TEST(PeViewRejects, AlignmentsThatAreNotPowersOfTwoOrOutOfRange) {
        const struct {
                uint32_t section, file;
        } cases[] = {{0x1800, 0x200}, {0x1000, 0x300}, {0, 0x200}, {0x1000, 0},
                     {0x200, 0x1000} /* FileAlignment > SectionAlignment */,
                     {2 * limits::kMaxSectionAlignment, 0x200}};
        for (auto c : cases) {
                ImageSpec spec = copy_layout_spec();
                spec.section_alignment = c.section;
                spec.file_alignment = c.file;
                EXPECT_EQ(parse_error(spec), Error::BadAlignment) << c.section << "/" << c.file;
        }
}

TEST(PeViewRejects, SizeOfImageZeroOverTheLimitOrBelowSizeOfHeaders) {
        ImageSpec spec = copy_layout_spec();
        spec.size_of_image = (uint32_t) limits::kMaxImageSize + 0x1000;
        EXPECT_EQ(parse_error(spec), Error::BadImageSize);
        spec.size_of_image = 0;
        EXPECT_EQ(parse_error(spec), Error::BadImageSize);
        spec = copy_layout_spec();
        spec.sections.clear();
        spec.size_of_image = 0x200;
        EXPECT_EQ(parse_error(spec), Error::BadImageSize);
}

} // namespace
} // namespace zuki::pe
