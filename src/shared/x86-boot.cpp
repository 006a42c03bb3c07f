// SPDX-License-Identifier: LGPL-2.1-or-later

#include "x86-boot.hpp"

#include "branch-filter.hpp"
#include "limits.hpp"

namespace zuki::x86 {

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kMinKernelAlignment = 2ull * 1024 * 1024; // __startup_64 needs 2 MiB (PMD) alignment

// Section layout: the fixed part, then the segments, then the setup header.
constexpr uint32_t kOffVersion = 0x08;
constexpr uint32_t kOffFixedSize = 0x0c;
constexpr uint32_t kOffLoadAddress = 0x10;
constexpr uint32_t kOffImageSize = 0x18;
constexpr uint32_t kOffFileSize = 0x20;
constexpr uint32_t kOffRelocsSize = 0x28;
constexpr uint32_t kOffEntry = 0x30;
constexpr uint32_t kOffSegmentCount = 0x38;
constexpr uint32_t kOffSetupSize = 0x3c;

// A field of the setup header by its bzImage offset.
uint32_t hdr32(Bytes hdr, uint32_t offset) { return load_le32(hdr.data() + offset - kSetupHeaderStart); }
uint16_t hdr16(Bytes hdr, uint32_t offset) { return load_le16(hdr.data() + offset - kSetupHeaderStart); }
uint8_t hdr8(Bytes hdr, uint32_t offset) { return hdr[offset - kSetupHeaderStart]; }
uint64_t hdr64(Bytes hdr, uint32_t offset) { return load_le64(hdr.data() + offset - kSetupHeaderStart); }

} // namespace

uint64_t Info::allocation_size() const {
        uint64_t size = init_size > payload_size() ? init_size : payload_size();
        if (size < image_size)
                size = image_size;
        return align_up(size, kPage);
}

Result<Info> parse(Bytes s) {
        if (s.size() < kFixedSize)
                return Error::Truncated;
        if (!bytes_equal(s.data(), kMagic, sizeof(kMagic)))
                return Error::BadX86Boot;
        uint32_t version = load_le32(s.data() + kOffVersion);
        if ((version != kVersion && version != kVersionDeltaRelocations) || load_le32(s.data() + kOffFixedSize) != kFixedSize)
                return Error::BadX86Boot;

        Info info;
        info.delta_relocations = version == kVersionDeltaRelocations;
        info.load_address = load_le64(s.data() + kOffLoadAddress);
        info.image_size = load_le64(s.data() + kOffImageSize);
        info.file_size = load_le64(s.data() + kOffFileSize);
        info.relocs_size = load_le64(s.data() + kOffRelocsSize);
        info.entry_offset = load_le64(s.data() + kOffEntry);
        info.segment_count = load_le32(s.data() + kOffSegmentCount);
        uint32_t setup_size = load_le32(s.data() + kOffSetupSize);

        if (info.segment_count == 0 || info.segment_count > kMaxSegments)
                return Error::BadX86Boot;
        uint64_t segments_end = kFixedSize + (uint64_t) info.segment_count * kSegmentSize;
        if (setup_size < kMinSetupHeaderEnd - kSetupHeaderStart || setup_size > kMaxSetupHeaderEnd - kSetupHeaderStart)
                return Error::BadX86SetupHeader;
        if (!s.sub(segments_end, setup_size, &info.setup_header))
                return Error::Truncated;

        // Sizes: the image fits the limits, the stored bytes fit the image, the relocation table
        // is whole entries.
        if (info.image_size == 0 || info.image_size > limits::kMaxImageSize || info.file_size > info.image_size ||
            info.relocs_size % 4 != 0 || info.relocs_size < 12 || info.relocs_size > limits::kMaxDecompressedSize ||
            info.payload_size() > limits::kMaxDecompressedSize)
                return Error::SizeLimit;

        // Segments: page-aligned, in order, inside the image, not sharing pages.
        uint64_t next_free = 0;
        bool entry_in_code = false;
        for (uint32_t i = 0; i < info.segment_count; i++) {
                const uint8_t *p = s.data() + kFixedSize + (uint64_t) i * kSegmentSize;
                Segment &seg = info.segments[i];
                seg.offset = load_le64(p);
                seg.size = load_le64(p + 8);
                seg.flags = load_le32(p + 16);
                uint64_t end;
                if (seg.size == 0 || seg.offset % kPage != 0 || seg.offset < next_free ||
                    (seg.flags & ~(kSegmentExecutable | kSegmentWritable | kSegmentBranchFiltered)) != 0 ||
                    ((seg.flags & kSegmentBranchFiltered) && !(seg.flags & kSegmentExecutable)) || load_le32(p + 20) != 0 ||
                    add_overflows(seg.offset, seg.size, &end) || end > info.image_size)
                        return Error::BadX86Segments;
                next_free = align_up(end, kPage);
                if ((seg.flags & kSegmentExecutable) && info.entry_offset >= seg.offset && info.entry_offset < end)
                        entry_in_code = true;
        }
        if (!entry_in_code)
                return Error::X86EntryOutsideCode;

        // The setup header: a 64-bit, relocatable kernel of boot protocol 2.12 or later, linked
        // at the load address we were told about.
        Bytes hdr = info.setup_header;
        if (hdr32(hdr, kHeaderMagicOffset) != kHeaderMagic)
                return Error::BadX86SetupHeader;
        uint32_t header_end = kJumpOffset + 2 + hdr8(hdr, kJumpOffset + 1);
        if (header_end < kMinSetupHeaderEnd || header_end - kSetupHeaderStart > setup_size)
                return Error::BadX86SetupHeader;
        info.version = hdr16(hdr, kVersionOffset);
        info.kernel_alignment = hdr32(hdr, kKernelAlignmentOffset);
        info.init_size = hdr32(hdr, kInitSizeOffset);
        info.cmdline_size = hdr32(hdr, kCmdlineSizeOffset);
        // The stub allocates cmdline_size + 1 bytes for the command line: a size beyond the limit
        // on command lines (0xffffffff would wrap) is a broken header, not a long command line.
        if (info.cmdline_size == 0 || info.cmdline_size > limits::kMaxCommandLine)
                return Error::BadX86CmdlineSize;
        if (info.version < kMinVersion || hdr8(hdr, kRelocatableOffset) == 0 ||
            !(hdr16(hdr, kXLoadFlagsOffset) & kXlfKernel64))
                return Error::X86NotDirect;
        if (!is_power_of_two(info.kernel_alignment) || info.kernel_alignment < kMinKernelAlignment ||
            info.kernel_alignment > limits::kMaxSectionAlignment)
                return Error::BadAlignment;
        if (hdr64(hdr, kPrefAddressOffset) != info.load_address || info.load_address % info.kernel_alignment != 0 ||
            info.load_address == 0 || info.load_address >= kKernelImageSize)
                return Error::BadX86Boot;
        if (info.init_size < info.image_size || info.init_size > limits::kMaxDecompressedSize)
                return Error::SizeLimit;
        uint64_t virt_end;
        if (add_overflows(info.load_address, info.init_size, &virt_end) || virt_end > kKernelImageSize)
                return Error::SizeLimit;
        return info;
}

size_t serialized_size(const Info &info) {
        return kFixedSize + (size_t) info.segment_count * kSegmentSize + info.setup_header.size();
}

Status serialize(const Info &info, MutableBytes out) {
        if (info.segment_count > kMaxSegments)
                return Error::BadX86Boot;
        if (out.size() < serialized_size(info))
                return Error::NoSpace;
        for (size_t i = 0; i < out.size(); i++)
                out[i] = 0;
        uint8_t *p = out.data();
        for (size_t i = 0; i < sizeof(kMagic); i++)
                p[i] = kMagic[i];
        store_le32(p + kOffVersion, info.delta_relocations ? kVersionDeltaRelocations : kVersion);
        store_le32(p + kOffFixedSize, kFixedSize);
        store_le64(p + kOffLoadAddress, info.load_address);
        store_le64(p + kOffImageSize, info.image_size);
        store_le64(p + kOffFileSize, info.file_size);
        store_le64(p + kOffRelocsSize, info.relocs_size);
        store_le64(p + kOffEntry, info.entry_offset);
        store_le32(p + kOffSegmentCount, info.segment_count);
        store_le32(p + kOffSetupSize, (uint32_t) info.setup_header.size());
        for (uint32_t i = 0; i < info.segment_count; i++) {
                uint8_t *q = p + kFixedSize + (size_t) i * kSegmentSize;
                store_le64(q, info.segments[i].offset);
                store_le64(q + 8, info.segments[i].size);
                store_le32(q + 16, info.segments[i].flags);
        }
        uint8_t *h = p + kFixedSize + (size_t) info.segment_count * kSegmentSize;
        for (size_t i = 0; i < info.setup_header.size(); i++)
                h[i] = info.setup_header[i];
        return ok_status();
}

namespace {

// The stored bytes of segment `seg` inside a flat image of `file_size` bytes.
MutableBytes stored_bytes(const Segment &seg, uint64_t file_size, MutableBytes flat) {
        if (seg.offset >= file_size || flat.size() < file_size)
                return {};
        uint64_t end = seg.offset + seg.size < file_size ? seg.offset + seg.size : file_size;
        return MutableBytes(flat.data() + seg.offset, end - seg.offset);
}

} // namespace

size_t filter_branches(Info *info, MutableBytes flat) {
        size_t converted = 0;
        for (uint32_t i = 0; i < info->segment_count; i++) {
                Segment &seg = info->segments[i];
                if (!(seg.flags & kSegmentExecutable))
                        continue;
                converted += branch_filter::x86_encode(stored_bytes(seg, info->file_size, flat), seg.offset);
                seg.flags |= kSegmentBranchFiltered;
        }
        return converted;
}

void unfilter_branches(const Info &info, MutableBytes flat) {
        for (uint32_t i = 0; i < info.segment_count; i++) {
                const Segment &seg = info.segments[i];
                if (seg.flags & kSegmentBranchFiltered)
                        branch_filter::x86_decode(stored_bytes(seg, info.file_size, flat), seg.offset);
        }
}

namespace {

// The image offset of the field an entry names, if `width` bytes there lie inside the image.
bool field_offset(uint32_t entry, uint64_t load_address, uint64_t image_size, uint64_t width, uint64_t *offset) {
        uint64_t vaddr = (uint64_t) (int64_t) (int32_t) entry;
        uint64_t link = kStartKernelMap + load_address;
        if (vaddr < link)
                return false;
        uint64_t off = vaddr - link;
        if (off > image_size || image_size - off < width)
                return false;
        *offset = off;
        return true;
}

// Walks the table: calls fn(kind, offset) for every entry (kind 0: 32-bit, 1: inverse 32-bit,
// 2: 64-bit). A `delta` table (version 2) is read as if decoded: each list's entries are found
// from the end of the list, its sum, backwards.
template <typename Fn>
Result<RelocationCounts> walk(Bytes table, uint64_t load_address, uint64_t image_size, bool delta, Fn &&fn) {
        if (table.size() % 4 != 0 || table.size() < 12)
                return Error::BadX86Relocations;
        RelocationCounts counts;
        uint64_t *count_of[3] = {&counts.r32, &counts.inverse32, &counts.r64};
        auto word = [&](size_t k) { return load_le32(table.data() + 4 * k); };
        size_t i = table.size() / 4; // entries not yet read, read from the end
        for (int kind = 0; kind < 3; kind++) {
                const uint64_t width = kind == 2 ? 8 : 4;
                size_t start = i;
                while (start > 0 && word(start - 1) != 0)
                        start--;
                if (start == 0)
                        return Error::BadX86Relocations; // a list without its terminator
                uint32_t entry = 0;
                if (delta)
                        for (size_t k = start; k < i; k++)
                                entry += word(k);
                for (; i > start; i--) {
                        if (!delta)
                                entry = word(i - 1);
                        uint64_t offset;
                        if (entry == 0 || !field_offset(entry, load_address, image_size, width, &offset))
                                return Error::BadX86Relocations;
                        fn(kind, offset);
                        (*count_of[kind])++;
                        if (delta)
                                entry -= word(i - 1);
                }
                i--; // the terminator
        }
        if (i != 0)
                return Error::BadX86Relocations; // entries before the 64-bit terminator
        return counts;
}

} // namespace

bool delta_encode_relocations(MutableBytes table) {
        size_t n = table.size() / 4;
        uint32_t previous = 0;
        for (size_t i = 0; i < n; i++) {
                uint32_t v = load_le32(table.data() + 4 * i);
                if (v != 0 && v == previous)
                        return false;
                previous = v;
        }
        previous = 0;
        for (size_t i = 0; i < n; i++) {
                uint32_t v = load_le32(table.data() + 4 * i);
                store_le32(table.data() + 4 * i, v == 0 ? 0 : v - previous);
                previous = v;
        }
        return true;
}

void delta_decode_relocations(MutableBytes table) {
        size_t n = table.size() / 4;
        uint32_t previous = 0;
        for (size_t i = 0; i < n; i++) {
                uint32_t d = load_le32(table.data() + 4 * i);
                previous = d == 0 ? 0 : previous + d;
                store_le32(table.data() + 4 * i, previous);
        }
}

Result<RelocationCounts> check_relocations(Bytes table, uint64_t load_address, uint64_t image_size, bool delta) {
        return walk(table, load_address, image_size, delta, [](int, uint64_t) {});
}

Status apply_relocations(MutableBytes image, uint64_t image_size, Bytes table, uint64_t load_address,
                         uint64_t delta) {
        if (image.size() < image_size)
                return Error::NoSpace;
        // The table must not lie inside the image it changes.
        uintptr_t t = (uintptr_t) table.data(), b = (uintptr_t) image.data();
        if (t < b + image_size && b < t + table.size())
                return Error::BadX86Relocations;
        ZUKI_TRY(check_relocations(table, load_address, image_size));
        if (delta == 0)
                return ok_status();
        uint8_t *base = image.data();
        Result<RelocationCounts> r = walk(table, load_address, image_size, false, [&](int kind, uint64_t offset) {
                uint8_t *p = base + offset;
                if (kind == 0)
                        store_le32(p, load_le32(p) + (uint32_t) delta);
                else if (kind == 1)
                        store_le32(p, load_le32(p) - (uint32_t) delta);
                else
                        store_le64(p, load_le64(p) + delta);
        });
        return r ? ok_status() : Status(r.error());
}

uint64_t virtual_slots(const Info &info) {
        uint64_t used = info.load_address + info.init_size; // <= kKernelImageSize, checked by parse()
        if (used > kKernelImageSize || info.kernel_alignment == 0)
                return 1;
        return 1 + (kKernelImageSize - used) / info.kernel_alignment;
}

uint64_t virtual_offset(const Info &info, uint32_t seed) {
        uint64_t slot = (virtual_slots(info) * (uint64_t) seed) >> 32; // slots < 2^32
        return slot * info.kernel_alignment;
}

uint32_t e820_type(uint32_t efi_type, uint64_t attribute) {
        constexpr uint64_t kSpecificPurpose = 0x40000;
        switch (efi_type) {
        case 0:  // EfiReservedMemoryType
        case 5:  // EfiRuntimeServicesCode
        case 6:  // EfiRuntimeServicesData
        case 11: // EfiMemoryMappedIO
        case 12: // EfiMemoryMappedIOPortSpace
        case 13: // EfiPalCode
                return kE820Reserved;
        case 8: // EfiUnusableMemory
                return kE820Unusable;
        case 9: // EfiACPIReclaimMemory
                return kE820Acpi;
        case 1: // EfiLoaderCode
        case 2: // EfiLoaderData
        case 3: // EfiBootServicesCode
        case 4: // EfiBootServicesData
        case 7: // EfiConventionalMemory
                return (attribute & kSpecificPurpose) ? kE820SoftReserved : kE820Ram;
        case 10: // EfiACPIMemoryNVS
                return kE820Nvs;
        case 14: // EfiPersistentMemory
                return kE820Pmem;
        default: // EfiUnacceptedMemory and unknown types: not memory the kernel may use
                return 0;
        }
}

Result<size_t> convert_memory_map(Bytes map, size_t descriptor_size, E820Entry *out, size_t capacity,
                                  size_t *needed) {
        // EFI_MEMORY_DESCRIPTOR: le32 Type, pad, le64 PhysicalStart, le64 VirtualStart,
        // le64 NumberOfPages, le64 Attribute.
        constexpr size_t kMinDescriptor = 40;
        if (descriptor_size < kMinDescriptor || descriptor_size % 8 != 0)
                return Error::BadAlignment;
        size_t count = 0;
        bool have_prev = false;
        E820Entry prev;
        for (size_t off = 0; off + descriptor_size <= map.size(); off += descriptor_size) {
                const uint8_t *d = map.data() + off;
                uint32_t type = e820_type(load_le32(d), load_le64(d + 32));
                uint64_t start = load_le64(d + 8), pages = load_le64(d + 24);
                if (type == 0 || pages == 0 || pages > (~0ull >> 12))
                        continue;
                uint64_t size = pages << 12;
                if (have_prev && prev.type == type && prev.address + prev.size == start) {
                        prev.size += size;
                        if (count <= capacity)
                                out[count - 1] = prev;
                        continue;
                }
                prev = E820Entry{start, size, type};
                have_prev = true;
                if (count < capacity)
                        out[count] = prev;
                count++;
        }
        if (needed)
                *needed = count;
        if (count > capacity)
                return Error::NoSpace;
        return count;
}

SecureBootMode secure_boot_mode(VariableByte secure_boot, VariableByte setup_mode, VariableByte mok_sb_state) {
        using Read = VariableByte::Read;
        if (secure_boot.read == Read::NotFound)
                return SecureBootMode::Disabled;
        if (secure_boot.read != Read::Found)
                return SecureBootMode::Unknown;
        bool setup = setup_mode.read == Read::Found && setup_mode.value == 1;
        if (secure_boot.value == 0 || setup)
                return SecureBootMode::Disabled;
        bool shim_insecure = mok_sb_state.read == Read::Found && !(mok_sb_state.attributes & kVariableNonVolatile) &&
                             mok_sb_state.value == 1;
        return shim_insecure ? SecureBootMode::Disabled : SecureBootMode::Enabled;
}

} // namespace zuki::x86
