// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The one PE/COFF model of zuki: a validated, read-only view over a PE32+ image, either as a file
// (section data at PointerToRawData) or as loaded by firmware (section data at VirtualAddress).
// parse() checks every header field, bound and overflow once; afterwards the accessors hand out
// offsets and sizes that are known to lie inside the image. Reference: Microsoft "PE Format"
// (https://learn.microsoft.com/windows/win32/debug/pe-format).

#pragma once

#include "base.hpp"

namespace zuki::pe {

inline constexpr uint16_t kMachineX64 = 0x8664;
inline constexpr uint16_t kMachineArm64 = 0xaa64;
inline constexpr uint16_t kMachineRiscv64 = 0x5064;

inline constexpr uint16_t kOptionalMagicPe32Plus = 0x20b;
inline constexpr uint16_t kSubsystemEfiApplication = 10;

inline constexpr uint16_t kDllHighEntropyVa = 0x0020;
inline constexpr uint16_t kDllDynamicBase = 0x0040;
inline constexpr uint16_t kDllNxCompat = 0x0100;

inline constexpr uint32_t kScnCntCode = 0x00000020;
inline constexpr uint32_t kScnCntInitializedData = 0x00000040;
inline constexpr uint32_t kScnCntUninitializedData = 0x00000080;
inline constexpr uint32_t kScnMemDiscardable = 0x02000000;
inline constexpr uint32_t kScnMemExecute = 0x20000000;
inline constexpr uint32_t kScnMemRead = 0x40000000;
inline constexpr uint32_t kScnMemWrite = 0x80000000;

// Data directory indices.
inline constexpr uint32_t kDirSecurity = 4; // certificate table: a *file* offset, not an RVA
inline constexpr uint32_t kDirBaseReloc = 5;
inline constexpr uint32_t kMaxDirectories = 16;

// Fixed header offsets and sizes (PE Format, "MS-DOS Stub", "COFF File Header", "Optional
// Header (Image Only)", "Section Table").
inline constexpr uint32_t kDosLfanewOffset = 0x3c;
inline constexpr uint32_t kDosHeaderSize = 0x40;
inline constexpr uint32_t kCoffHeaderSize = 20;          // after the 4-byte signature
inline constexpr uint32_t kOptionalFixedSize = 112;      // PE32+ up to NumberOfRvaAndSizes
inline constexpr uint32_t kSectionHeaderSize = 40;
// Offsets inside the PE32+ optional header.
inline constexpr uint32_t kOptEntryPoint = 16;
inline constexpr uint32_t kOptImageBase = 24;
inline constexpr uint32_t kOptSectionAlignment = 32;
inline constexpr uint32_t kOptFileAlignment = 36;
inline constexpr uint32_t kOptSizeOfImage = 56;
inline constexpr uint32_t kOptSizeOfHeaders = 60;
inline constexpr uint32_t kOptCheckSum = 64;
inline constexpr uint32_t kOptSubsystem = 68;
inline constexpr uint32_t kOptDllCharacteristics = 70;
inline constexpr uint32_t kOptNumberOfRvaAndSizes = 108;
inline constexpr uint32_t kOptDataDirectories = 112;
inline constexpr uint32_t kOptSizeOfInitializedData = 8;
// Offsets inside a section header.
inline constexpr uint32_t kSecVirtualSize = 8;
inline constexpr uint32_t kSecVirtualAddress = 12;
inline constexpr uint32_t kSecSizeOfRawData = 16;
inline constexpr uint32_t kSecPointerToRawData = 20;
inline constexpr uint32_t kSecCharacteristics = 36;

enum class Layout : uint8_t {
        File,   // bytes as stored in a file
        Loaded, // bytes as mapped by a PE loader at ImageBase
};

struct Section {
        char name[9] = {};           // NUL-terminated copy of the 8-byte name
        uint32_t virtual_address = 0;
        uint32_t virtual_size = 0;   // as in the header (may be 0 in odd images)
        uint32_t raw_offset = 0;
        uint32_t raw_size = 0;
        uint32_t characteristics = 0;
        uint32_t header_offset = 0;  // file offset of this section's header

        // Bytes the section occupies in memory (VirtualSize, or SizeOfRawData when that is 0).
        uint32_t memory_size() const { return virtual_size ? virtual_size : raw_size; }
        // Bytes of initialised data: the part of the raw data that is mapped.
        uint32_t data_size() const { return raw_size < memory_size() ? raw_size : memory_size(); }
        bool executable() const { return characteristics & kScnMemExecute; }
        bool writable() const { return characteristics & kScnMemWrite; }
        bool has_name(const char *n) const;
};

struct DataDirectory {
        uint32_t address = 0;
        uint32_t size = 0;
};

// Room for section headers in an image's header area, as the stub sees it: from the start of the
// section table to SizeOfHeaders or the first section's raw data, whichever comes first, and at
// most limits::kMaxSections (the stub refuses its own image beyond that). `used` is the image's
// NumberOfSections. Reads only the headers, so it also explains an image parse() refuses.
struct HeaderRoom {
        uint32_t room = 0;
        uint32_t used = 0;
};
Result<HeaderRoom> section_header_room(Bytes image);

class View {
public:
        View() = default;

        // Validates headers and the section table of `image`. In Layout::Loaded the view must
        // span the headers and every section's memory (not necessarily SizeOfImage bytes).
        static Result<View> parse(Bytes image, Layout layout);

        Bytes image() const { return image_; }
        Layout layout() const { return layout_; }
        uint16_t machine() const { return machine_; }
        uint16_t subsystem() const { return subsystem_; }
        uint16_t dll_characteristics() const { return dll_characteristics_; }
        uint32_t pe_offset() const { return pe_offset_; }
        uint32_t optional_header_offset() const { return pe_offset_ + 4 + kCoffHeaderSize; }
        uint32_t section_table_offset() const { return section_table_offset_; }
        uint32_t entry_point() const { return entry_point_; }
        uint64_t image_base() const { return image_base_; }
        uint32_t section_alignment() const { return section_alignment_; }
        uint32_t file_alignment() const { return file_alignment_; }
        uint32_t size_of_image() const { return size_of_image_; }
        uint32_t size_of_headers() const { return size_of_headers_; }
        uint32_t directory_count() const { return directory_count_; }
        size_t section_count() const { return section_count_; }

        // The i-th section header (i < section_count(); validated by parse()).
        Section section(size_t i) const;
        // Looks a section up by name; false when absent.
        bool find(const char *name, Section *out) const;
        // The section's initialised data in this view's layout (length data_size() for files,
        // memory_size() for loaded images). Bounds were checked by parse().
        Bytes data(const Section &s) const;
        // Data directory `index`, or an empty one when the image has fewer.
        DataDirectory directory(uint32_t index) const;
        // The end of the section table (where a new section header would go).
        uint32_t section_table_end() const {
                return section_table_offset_ + (uint32_t) section_count_ * kSectionHeaderSize;
        }
        // Maps a file range to the RVA where a loader places it; fails unless one section's
        // raw data (within its memory size) covers the whole range.
        Result<uint32_t> file_range_to_rva(uint64_t offset, uint64_t length) const;
        // The end of the last section's raw data in the file (0 when there is none).
        uint64_t raw_data_end() const;

private:
        Bytes image_;
        Layout layout_ = Layout::File;
        uint16_t machine_ = 0;
        uint16_t subsystem_ = 0;
        uint16_t dll_characteristics_ = 0;
        uint32_t pe_offset_ = 0;
        uint32_t section_table_offset_ = 0;
        uint32_t entry_point_ = 0;
        uint64_t image_base_ = 0;
        uint32_t section_alignment_ = 0;
        uint32_t file_alignment_ = 0;
        uint32_t size_of_image_ = 0;
        uint32_t size_of_headers_ = 0;
        uint32_t directory_count_ = 0;
        size_t section_count_ = 0;
};

const char *machine_name(uint16_t machine);

} // namespace zuki::pe
