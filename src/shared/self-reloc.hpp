// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Self-relocation of zboot images. systemd-stub 258 and later load the PE in a UKI's .linux
// section themselves and refuse one whose base relocation directory is not empty; they also copy
// only the sections, not the headers. `zuki zboot` therefore moves the stub's base relocations out
// of the directory: it fills a record the stub carries in its .data section with where the table
// is and which base the image was linked for, and empties the directory. A loader then applies
// nothing, and the stub applies the table to itself first thing at entry (load::relocate()).
//
// The record, little-endian, 48 bytes, in a writable section:
//     0  magic        "zuki-self-reloc\0"
//    16  self         the record's own address: a pointer like any other, covered by the table,
//                     so it holds the linked address until someone applies the table
//    24  record_rva   RVA of the record, so the stub finds its load address
//    28  table_rva    the base relocation blocks (still in .reloc)
//    32  table_size   0: not detached, a loader relocates the image
//    36  image_size   SizeOfImage
//    40  reserved     0
// At entry the stub compares `self` with where the record is: equal means a loader applied the
// table after all (a tool such as binutils' objcopy rewrote the directory from the .reloc
// section), so applying it again would be wrong.

#pragma once

#include "base.hpp"

namespace zuki::self_reloc {

inline constexpr size_t kRecordSize = 48;
inline constexpr char kMagic[16] = "zuki-self-reloc";

inline constexpr size_t kSelfOffset = 16;

struct Record {
        char magic[16];
        uint64_t self;
        uint32_t record_rva;
        uint32_t table_rva;
        uint32_t table_size;
        uint32_t image_size;
        uint64_t reserved;
};
static_assert(sizeof(Record) == kRecordSize);

// What detach() found or did.
struct Detached {
        bool has_record = false; // false: a stub without a record (older zuki); nothing was written
        uint32_t record_rva = 0;
        uint32_t table_size = 0; // 0: the image had no base relocations, nothing was moved
};

// Empties the base relocation directory of a stub image (Layout::File bytes) and fills its
// record instead. Writes nothing and says so (has_record false) when the image has no record (an
// older stub). Fails without writing on more than one record (in writable sections), one already
// filled, a `self` that does not point at the record or that the table does not cover, or a relocation table the stub could not apply.
Result<Detached> detach(MutableBytes image);

// True when the image carries a filled record (its relocations were detached).
bool is_detached(Bytes image);

// A tool that rewrites PE headers from the sections (binutils' objcopy) points the directory at
// .reloc again. For a detached image whose directory starts at the record's table, empties it
// again and sets *changed; anything else is left as it is.
Status clear_restored_directory(MutableBytes image, bool *changed);

} // namespace zuki::self_reloc
