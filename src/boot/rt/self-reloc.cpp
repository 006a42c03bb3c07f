// SPDX-License-Identifier: LGPL-2.1-or-later

#include "self-reloc.hpp"

#include "../../shared/load-plan.hpp"
#include "../../shared/self-reloc.hpp"

namespace {

// The record `zuki zboot` fills (layout in src/shared/self-reloc.hpp). Written at run time, so it
// lives in .data; `self` is initialised with the record's address, which gives it a base
// relocation like every other pointer.
struct StubRecord {
        char magic[16];
        volatile StubRecord *self;
        uint32_t record_rva;
        uint32_t table_rva;
        uint32_t table_size;
        uint32_t image_size;
        uint64_t reserved;
};
static_assert(sizeof(StubRecord) == zuki::self_reloc::kRecordSize);
static_assert(__builtin_offsetof(StubRecord, self) == zuki::self_reloc::kSelfOffset);
static_assert(__builtin_offsetof(StubRecord, record_rva) == offsetof(zuki::self_reloc::Record, record_rva));
static_assert(__builtin_offsetof(StubRecord, image_size) == offsetof(zuki::self_reloc::Record, image_size));

} // namespace

extern "C" {
extern volatile StubRecord zuki_self_reloc;
__attribute__((used, aligned(16))) volatile StubRecord zuki_self_reloc = {
        {'z', 'u', 'k', 'i', '-', 's', 'e', 'l', 'f', '-', 'r', 'e', 'l', 'o', 'c', '\0'},
        &zuki_self_reloc, 0, 0, 0, 0, 0};
}

namespace zuki::boot {

Status apply_self_relocation() {
        volatile StubRecord *record = &zuki_self_reloc; // PC-relative (lea/adrp): right before any fix-up
        if (record->table_size == 0)
                return ok_status(); // not detached: a loader relocated us
        uint64_t here = reinterpret_cast<uintptr_t>(record);
        uint64_t linked = reinterpret_cast<uintptr_t>(record->self);
        if (linked == here)
                return ok_status(); // at the linked address, or a loader applied the table after all
        load::Plan plan;
        plan.image_size = record->image_size;
        plan.preferred_base = linked - record->record_rva;
        plan.relocations.address = record->table_rva;
        plan.relocations.size = record->table_size;
        uint64_t base = here - record->record_rva;
        // The table covers `self`: afterwards it equals `here`, so a second entry does nothing.
        return load::relocate(MutableBytes(reinterpret_cast<uint8_t *>(base), plan.image_size), plan, base);
}

} // namespace zuki::boot
