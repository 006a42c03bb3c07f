// SPDX-License-Identifier: LGPL-2.1-or-later

#include "pe.hpp"

#include "limits.hpp"

static_assert(zuki::limits::kMaxSectionTableSize == zuki::limits::kMaxSections * zuki::pe::kSectionHeaderSize);

namespace zuki::pe {

bool Section::has_name(const char *n) const {
        size_t i = 0;
        for (; i < 8 && n[i]; i++)
                if (name[i] != n[i])
                        return false;
        return n[i] == 0 && (i == 8 || name[i] == 0);
}

const char *machine_name(uint16_t machine) {
        switch (machine) {
        case kMachineX64: return "x86_64";
        case kMachineArm64: return "arm64";
        case kMachineRiscv64: return "riscv64";
        default: return "unknown";
        }
}

namespace {

Section read_section(Bytes image, uint32_t offset) {
        const uint8_t *p = image.data() + offset;
        Section s;
        for (int i = 0; i < 8; i++)
                s.name[i] = (char) p[i];
        s.name[8] = 0;
        s.virtual_size = load_le32(p + kSecVirtualSize);
        s.virtual_address = load_le32(p + kSecVirtualAddress);
        s.raw_size = load_le32(p + kSecSizeOfRawData);
        s.raw_offset = load_le32(p + kSecPointerToRawData);
        s.characteristics = load_le32(p + kSecCharacteristics);
        s.header_offset = offset;
        return s;
}

} // namespace

Result<View> View::parse(Bytes image, Layout layout) {
        View v;
        v.image_ = image;
        v.layout_ = layout;

        if (image.size() < kDosHeaderSize)
                return Error::Truncated;
        const uint8_t *p = image.data();
        if (p[0] != 'M' || p[1] != 'Z')
                return Error::BadDosMagic;

        // The zboot header lives in the DOS header, so the PE header must start after it.
        v.pe_offset_ = load_le32(p + kDosLfanewOffset);
        if (v.pe_offset_ < kDosHeaderSize)
                return Error::BadPeMagic;
        if (!image.contains(v.pe_offset_, 4 + kCoffHeaderSize))
                return Error::Truncated;
        const uint8_t *pe = p + v.pe_offset_;
        if (!bytes_equal(pe, "PE\0\0", 4))
                return Error::BadPeMagic;

        const uint8_t *coff = pe + 4;
        v.machine_ = load_le16(coff + 0);
        if (v.machine_ != kMachineX64 && v.machine_ != kMachineArm64 && v.machine_ != kMachineRiscv64)
                return Error::UnsupportedMachine;
        v.section_count_ = load_le16(coff + 2);
        uint16_t optional_size = load_le16(coff + 16);
        if (v.section_count_ > limits::kMaxSections)
                return Error::TooManySections;

        uint32_t opt_offset = v.optional_header_offset();
        if (optional_size < kOptionalFixedSize)
                return Error::BadOptionalHeader;
        if (!image.contains(opt_offset, optional_size))
                return Error::Truncated;
        const uint8_t *opt = p + opt_offset;
        if (load_le16(opt) != kOptionalMagicPe32Plus)
                return Error::BadOptionalHeader;

        v.entry_point_ = load_le32(opt + kOptEntryPoint);
        v.image_base_ = load_le64(opt + kOptImageBase);
        v.section_alignment_ = load_le32(opt + kOptSectionAlignment);
        v.file_alignment_ = load_le32(opt + kOptFileAlignment);
        v.size_of_image_ = load_le32(opt + kOptSizeOfImage);
        v.size_of_headers_ = load_le32(opt + kOptSizeOfHeaders);
        v.subsystem_ = load_le16(opt + kOptSubsystem);
        v.dll_characteristics_ = load_le16(opt + kOptDllCharacteristics);
        v.directory_count_ = load_le32(opt + kOptNumberOfRvaAndSizes);
        if (v.directory_count_ > kMaxDirectories ||
            kOptDataDirectories + 8 * v.directory_count_ > optional_size)
                return Error::BadOptionalHeader;

        // Linux x86 bzImages use 32-byte section and file alignment, so only demand powers of two.
        if (!is_power_of_two(v.section_alignment_) ||
            v.section_alignment_ > limits::kMaxSectionAlignment ||
            !is_power_of_two(v.file_alignment_) || v.file_alignment_ > v.section_alignment_)
                return Error::BadAlignment;
        if (v.size_of_image_ == 0 || v.size_of_image_ > limits::kMaxImageSize ||
            v.size_of_headers_ > v.size_of_image_)
                return Error::BadImageSize;
        if (image.size() < v.size_of_headers_)
                return Error::Truncated;

        v.section_table_offset_ = opt_offset + optional_size;
        uint64_t table_end = (uint64_t) v.section_table_offset_ +
                             (uint64_t) v.section_count_ * kSectionHeaderSize;
        if (table_end > v.size_of_headers_ || table_end > image.size())
                return Error::Truncated;

        uint64_t previous_end = v.size_of_headers_;
        for (size_t i = 0; i < v.section_count_; i++) {
                Section s = v.section(i);
                uint64_t memory_end = (uint64_t) s.virtual_address + s.memory_size();
                if (memory_end > v.size_of_image_)
                        return Error::SectionOutOfBounds;
                // A loaded image must hold every section in full. Not SizeOfImage bytes: U-Boot
                // reports ImageSize as the end of the last section, unaligned, where EDK2 reports
                // SizeOfImage; what a loader copied is what the section table says.
                if (layout == Layout::Loaded && memory_end > image.size())
                        return Error::Truncated;
                // Sections are sorted by address and may not overlap the headers or each other
                // (PE Format, "Section Table": "in ascending order"), so a loader can copy them
                // in order without one clobbering another.
                if (s.memory_size() != 0) {
                        if (s.virtual_address < previous_end)
                                return Error::SectionsOverlap;
                        previous_end = memory_end;
                }
                if (layout == Layout::File && s.data_size() != 0 &&
                    !image.contains(s.raw_offset, s.data_size()))
                        return Error::SectionOutOfBounds;
        }
        return v;
}

Result<HeaderRoom> section_header_room(Bytes image) {
        if (image.size() < kDosHeaderSize)
                return Error::Truncated;
        if (image[0] != 'M' || image[1] != 'Z')
                return Error::BadDosMagic;
        uint32_t pe_offset = load_le32(image.data() + kDosLfanewOffset);
        if (!image.contains(pe_offset, 4 + kCoffHeaderSize + kOptSizeOfHeaders + 4))
                return Error::Truncated;
        const uint8_t *coff = image.data() + pe_offset + 4;
        HeaderRoom r;
        r.used = load_le16(coff + 2);
        uint64_t table = (uint64_t) pe_offset + 4 + kCoffHeaderSize + load_le16(coff + 16);
        uint64_t end = load_le32(coff + kCoffHeaderSize + kOptSizeOfHeaders);
        for (uint32_t i = 0; i < r.used && image.contains(table + (uint64_t) i * kSectionHeaderSize, kSectionHeaderSize); i++) {
                const uint8_t *h = image.data() + table + (uint64_t) i * kSectionHeaderSize;
                if (load_le32(h + kSecSizeOfRawData) != 0 && load_le32(h + kSecPointerToRawData) < end)
                        end = load_le32(h + kSecPointerToRawData);
        }
        uint64_t fits = end > table ? (end - table) / kSectionHeaderSize : 0;
        r.room = (uint32_t) (fits < limits::kMaxSections ? fits : limits::kMaxSections);
        return r;
}

Section View::section(size_t i) const {
        return read_section(image_, section_table_offset_ + (uint32_t) i * kSectionHeaderSize);
}

bool View::find(const char *name, Section *out) const {
        for (size_t i = 0; i < section_count_; i++) {
                Section s = section(i);
                if (s.has_name(name)) {
                        *out = s;
                        return true;
                }
        }
        return false;
}

Bytes View::data(const Section &s) const {
        if (layout_ == Layout::Loaded)
                return Bytes(image_.data() + s.virtual_address, s.memory_size());
        if (s.data_size() == 0)
                return Bytes();
        return Bytes(image_.data() + s.raw_offset, s.data_size());
}

DataDirectory View::directory(uint32_t index) const {
        if (index >= directory_count_)
                return {};
        const uint8_t *d = image_.data() + optional_header_offset() + kOptDataDirectories + 8 * index;
        return DataDirectory{load_le32(d), load_le32(d + 4)};
}

Result<uint32_t> View::file_range_to_rva(uint64_t offset, uint64_t length) const {
        for (size_t i = 0; i < section_count_; i++) {
                Section s = section(i);
                if (offset >= s.raw_offset && length <= s.data_size() &&
                    offset - s.raw_offset <= s.data_size() - length)
                        return (uint32_t) (s.virtual_address + (offset - s.raw_offset));
        }
        return Error::PayloadOutOfBounds;
}

uint64_t View::raw_data_end() const {
        uint64_t end = 0;
        for (size_t i = 0; i < section_count_; i++) {
                Section s = section(i);
                uint64_t e = (uint64_t) s.raw_offset + s.raw_size;
                if (s.raw_size && e > end)
                        end = e;
        }
        return end;
}

} // namespace zuki::pe
