// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A test-only writer of synthetic PE32+ images. Each test starts from one of the specs below,
// changes the fields it is about and builds the bytes, so what a test feeds in is visible in the
// test. Field offsets come from the PE Format document via the named constants in pe.hpp; the
// builder writes exactly what the spec says, including inconsistent values.

#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "base.hpp"
#include "pe.hpp"

namespace zuki {
// Lets GoogleTest print an Error by its description instead of as raw bytes.
inline void PrintTo(Error e, std::ostream *os) { *os << "Error(" << (int) e << ": " << describe(e) << ")"; }
} // namespace zuki

namespace zuki::test {

inline constexpr uint32_t kText = pe::kScnCntCode | pe::kScnMemExecute | pe::kScnMemRead;
inline constexpr uint32_t kData = pe::kScnCntInitializedData | pe::kScnMemRead | pe::kScnMemWrite;
inline constexpr uint32_t kReloc = pe::kScnCntInitializedData | pe::kScnMemRead | pe::kScnMemDiscardable;

struct SectionSpec {
        std::string name; // up to 8 bytes, NUL-padded
        uint32_t virtual_address = 0;
        uint32_t virtual_size = 0;
        uint32_t raw_offset = 0;
        uint32_t raw_size = 0;
        uint32_t characteristics = 0;
        // Raw data to write; empty means the section_byte() pattern. Shorter content is
        // followed by zeros up to raw_size.
        std::vector<uint8_t> content;
};

struct ImageSpec {
        uint32_t lfanew = 0x80;
        uint16_t machine = pe::kMachineX64;
        uint16_t optional_magic = pe::kOptionalMagicPe32Plus;
        uint16_t optional_size = pe::kOptionalFixedSize + 8 * pe::kMaxDirectories;
        uint32_t directory_count = pe::kMaxDirectories;
        uint32_t entry_point = 0;
        uint64_t image_base = 0x140000000;
        uint32_t section_alignment = 0x1000;
        uint32_t file_alignment = 0x200;
        uint32_t size_of_image = 0;
        uint32_t size_of_headers = 0x400;
        pe::DataDirectory directories[pe::kMaxDirectories] = {};
        std::vector<SectionSpec> sections;
        int number_of_sections = -1; // NumberOfSections to write when not sections.size()
        size_t file_size = 0;        // truncate/extend the file to this length when not 0
};

// Byte k of the raw data of section `index`: never zero, and different per section and offset,
// so a test can tell where a copied byte came from.
constexpr uint8_t section_byte(size_t index, size_t k) { return (uint8_t) (0x40 + 0x10 * index + k % 13); }

inline std::vector<uint8_t> build(const ImageSpec &spec) {
        const uint32_t opt = spec.lfanew + 4 + pe::kCoffHeaderSize;
        const uint32_t table = opt + spec.optional_size;
        size_t end = std::max<size_t>({pe::kDosHeaderSize, spec.size_of_headers, opt + pe::kOptDataDirectories + 8 * 16,
                                       table + spec.sections.size() * pe::kSectionHeaderSize});
        for (const SectionSpec &s : spec.sections)
                if (s.raw_size)
                        end = std::max<size_t>(end, (size_t) s.raw_offset + s.raw_size);
        std::vector<uint8_t> f(end, 0);
        uint8_t *p = f.data();

        p[0] = 'M';
        p[1] = 'Z';
        store_le32(p + pe::kDosLfanewOffset, spec.lfanew);

        uint8_t *coff = p + spec.lfanew;
        coff[0] = 'P';
        coff[1] = 'E';
        coff += 4;
        store_le16(coff + 0, spec.machine);
        int count = spec.number_of_sections >= 0 ? spec.number_of_sections : (int) spec.sections.size();
        store_le16(coff + 2, (uint16_t) count);
        store_le16(coff + 16, spec.optional_size);
        store_le16(coff + 18, 0x0022); // EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE

        uint8_t *o = p + opt;
        store_le16(o, spec.optional_magic);
        store_le32(o + pe::kOptEntryPoint, spec.entry_point);
        store_le64(o + pe::kOptImageBase, spec.image_base);
        store_le32(o + pe::kOptSectionAlignment, spec.section_alignment);
        store_le32(o + pe::kOptFileAlignment, spec.file_alignment);
        store_le32(o + pe::kOptSizeOfImage, spec.size_of_image);
        store_le32(o + pe::kOptSizeOfHeaders, spec.size_of_headers);
        store_le16(o + pe::kOptSubsystem, pe::kSubsystemEfiApplication);
        store_le16(o + pe::kOptDllCharacteristics, pe::kDllDynamicBase | pe::kDllNxCompat);
        store_le32(o + pe::kOptNumberOfRvaAndSizes, spec.directory_count);
        for (uint32_t i = 0; i < std::min(spec.directory_count, pe::kMaxDirectories); i++) {
                store_le32(o + pe::kOptDataDirectories + 8 * i, spec.directories[i].address);
                store_le32(o + pe::kOptDataDirectories + 8 * i + 4, spec.directories[i].size);
        }

        for (size_t i = 0; i < spec.sections.size(); i++) {
                const SectionSpec &s = spec.sections[i];
                uint8_t *h = p + table + i * pe::kSectionHeaderSize;
                std::fill(h, h + pe::kSectionHeaderSize, 0);
                std::copy_n(s.name.begin(), std::min<size_t>(s.name.size(), 8), h);
                store_le32(h + pe::kSecVirtualSize, s.virtual_size);
                store_le32(h + pe::kSecVirtualAddress, s.virtual_address);
                store_le32(h + pe::kSecSizeOfRawData, s.raw_size);
                store_le32(h + pe::kSecPointerToRawData, s.raw_offset);
                store_le32(h + pe::kSecCharacteristics, s.characteristics);
                for (size_t k = 0; k < s.raw_size; k++)
                        p[s.raw_offset + k] = s.content.empty() ? section_byte(i, k)
                                              : k < s.content.size() ? s.content[k] : 0;
        }
        if (spec.file_size)
                f.resize(spec.file_size, 0);
        return f;
}

// Compares two images and names the first differing offset (instead of printing both).
inline ::testing::AssertionResult identical(const std::vector<uint8_t> &a, const std::vector<uint8_t> &b) {
        if (a.size() != b.size())
                return ::testing::AssertionFailure() << "sizes differ: " << a.size() << " vs " << b.size();
        auto diff = std::mismatch(a.begin(), a.end(), b.begin());
        if (diff.first == a.end())
                return ::testing::AssertionSuccess();
        return ::testing::AssertionFailure() << "first difference at offset 0x" << std::hex << (diff.first - a.begin())
                                             << ": 0x" << (int) *diff.first << " vs 0x" << (int) *diff.second;
}

// A small x86_64 image whose file layout differs from its memory layout (FileAlignment 0x200,
// SectionAlignment 0x1000), with a BSS tail in .data and a SizeOfImage that is not page-sized:
//   file   [0,0x400) headers  [0x400,0xc00) .text   [0xc00,0x1000) .data
//   memory [0,0x400) headers  [0x1000,0x1800) .text [0x2000,0x2400) .data data, BSS to 0x3800
inline ImageSpec copy_layout_spec() {
        ImageSpec s;
        s.entry_point = 0x1010;
        s.size_of_image = 0x3800;
        s.sections = {
                {".text", 0x1000, 0x800, 0x400, 0x800, kText, {}},
                {".data", 0x2000, 0x1800, 0xc00, 0x400, kData, {}},
        };
        return s;
}

// An arm64 "Image"-like layout: PE header at 0x40, 64 KiB section alignment and every section's
// raw data at its RVA, so the decompressed file can become the loaded image in place. .text's
// VirtualSize is below its FileAlignment-rounded raw size, so [0x2f800,0x30000) is a gap.
inline ImageSpec arm64_image_spec() {
        ImageSpec s;
        s.lfanew = 0x40;
        s.machine = pe::kMachineArm64;
        s.image_base = 0;
        s.section_alignment = 0x10000;
        s.size_of_headers = 0x10000;
        s.size_of_image = 0x50000;
        s.entry_point = 0x10100;
        s.sections = {
                {".text", 0x10000, 0x1f800, 0x10000, 0x20000, kText, {}},
                {".data", 0x30000, 0x20000, 0x30000, 0x8000, kData, {}},
        };
        return s;
}

} // namespace zuki::test
