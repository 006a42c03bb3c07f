// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Planning and carrying out the load of a kernel PE image into memory the caller owns: what size
// and alignment to allocate, whether the file bytes can be used in place, copying headers and
// sections, zeroing what is not initialised, and applying base relocations. Pure functions over
// caller buffers, so the stub and the host tests run the same code.

#pragma once

#include "base.hpp"
#include "pe.hpp"

namespace zuki::load {

struct Plan {
        uint64_t image_size = 0;     // SizeOfImage rounded up to pages: bytes to allocate
        uint64_t alignment = 0;      // required alignment of the allocation (>= a page)
        uint32_t entry_rva = 0;      // AddressOfEntryPoint, inside an executable section
        uint32_t headers_size = 0;   // SizeOfHeaders
        uint64_t preferred_base = 0; // ImageBase from the header
        pe::DataDirectory relocations;
        // Every section's raw data already sits at its RVA in the file, so a buffer holding the
        // file (zero-padded to image_size) becomes the loaded image by zeroing the uninitialised
        // ranges only: the decompressor can write straight into the final pages.
        bool in_place = false;
        uint16_t machine = 0;
};

// Validates that `file` (Layout::File) is loadable and describes how.
Result<Plan> plan(const pe::View &file);

// Produces the loaded image in `dest` (plan.image_size bytes). When dest aliases the file bytes
// (in-place plans) only the gaps are zeroed; otherwise headers and sections are copied and
// everything else is zeroed.
Status materialize(const pe::View &file, const Plan &plan, MutableBytes dest);

// Applies the base relocations of a loaded image for the difference between the address it is
// loaded at and its preferred base. The table is validated completely before anything is
// written, so a malformed table leaves the image untouched.
Status relocate(MutableBytes image, const Plan &plan, uint64_t load_address);

// Relocation types (PE Format, "Base Relocation Types").
inline constexpr uint16_t kRelAbsolute = 0;
inline constexpr uint16_t kRelHighLow = 3;
inline constexpr uint16_t kRelDir64 = 10;

// Calls visit(type, target RVA) for every entry of a base relocation table (PE Format, "The
// .reloc Section"), padding entries included, and stops at the first error visit returns. A
// truncated, odd-sized or overlong block is BadRelocations.
template <typename Visit>
Status for_each_relocation(Bytes table, Visit &&visit) {
        uint64_t offset = 0;
        while (offset < table.size()) {
                if (table.size() - offset < 8)
                        return Error::BadRelocations;
                uint32_t page = load_le32(table.data() + offset);
                uint32_t block_size = load_le32(table.data() + offset + 4);
                if (block_size < 8 || block_size % 2 != 0 || block_size > table.size() - offset)
                        return Error::BadRelocations;
                for (uint64_t e = offset + 8; e < offset + block_size; e += 2) {
                        uint16_t entry = load_le16(table.data() + e);
                        ZUKI_TRY(visit((uint16_t) (entry >> 12), (uint64_t) page + (entry & 0xfff)));
                }
                offset += block_size;
        }
        return ok_status();
}

} // namespace zuki::load
