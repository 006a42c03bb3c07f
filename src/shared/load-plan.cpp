// SPDX-License-Identifier: LGPL-2.1-or-later

#include "load-plan.hpp"

#include "limits.hpp"

namespace zuki::load {

Result<Plan> plan(const pe::View &file) {
        if (file.layout() != pe::Layout::File)
                return Error::BadImageSize;
        if (file.section_count() == 0)
                return Error::BadEntryPoint;

        Plan p;
        p.machine = file.machine();
        p.image_size = align_up(file.size_of_image(), limits::kPageSize);
        p.alignment = file.section_alignment() > limits::kPageSize ? file.section_alignment()
                                                                   : limits::kPageSize;
        p.entry_rva = file.entry_point();
        p.headers_size = file.size_of_headers();
        p.preferred_base = file.image_base();
        p.relocations = file.directory(pe::kDirBaseReloc);

        bool entry_ok = false;
        bool in_place = true;
        for (size_t i = 0; i < file.section_count(); i++) {
                pe::Section s = file.section(i);
                if (s.executable() && p.entry_rva >= s.virtual_address &&
                    p.entry_rva - s.virtual_address < s.memory_size())
                        entry_ok = true;
                if (s.data_size() != 0 && s.raw_offset != s.virtual_address)
                        in_place = false;
        }
        if (!entry_ok)
                return Error::BadEntryPoint;
        p.in_place = in_place;

        if (p.relocations.size != 0) {
                uint64_t end = (uint64_t) p.relocations.address + p.relocations.size;
                if (end > p.image_size)
                        return Error::BadRelocations;
        }
        return p;
}

Status materialize(const pe::View &file, const Plan &plan, MutableBytes dest) {
        if (dest.size() < plan.image_size)
                return Error::NoSpace;
        const bool aliased = dest.data() == file.image().data();
        if (aliased && !plan.in_place)
                return Error::BadImageSize;

        // Walk the image from the headers upwards: each section's initialised data is copied (or,
        // in place, kept) and every byte between them is zeroed, BSS included.
        uint64_t cursor = plan.headers_size;
        if (!aliased)
                __builtin_memcpy(dest.data(), file.image().data(), plan.headers_size);
        for (size_t i = 0; i < file.section_count(); i++) {
                pe::Section s = file.section(i);
                if (s.memory_size() == 0)
                        continue;
                if (s.virtual_address > cursor)
                        __builtin_memset(dest.data() + cursor, 0, s.virtual_address - cursor);
                Bytes data = file.data(s);
                if (!aliased && !data.empty())
                        __builtin_memcpy(dest.data() + s.virtual_address, data.data(), data.size());
                cursor = (uint64_t) s.virtual_address + data.size();
        }
        if (plan.image_size > cursor)
                __builtin_memset(dest.data() + cursor, 0, plan.image_size - cursor);
        return ok_status();
}

namespace {

// A target inside the table itself would change entries between validating and applying them,
// so the validated table would not be the one applied.
bool overlaps_table(const Plan &plan, uint64_t target, uint64_t width) {
        return target < (uint64_t) plan.relocations.address + plan.relocations.size &&
               plan.relocations.address < target + width;
}

// Relocations never target the headers: the W^X plan is read from the loaded headers afterwards,
// and no real image relocates its own section table.
bool in_headers(const Plan &plan, uint64_t target) { return target < plan.headers_size; }

// Visits every relocation entry; `apply` false only validates.
Status walk_relocations(MutableBytes image, const Plan &plan, uint64_t delta, bool apply) {
        MutableBytes table;
        if (!image.sub(plan.relocations.address, plan.relocations.size, &table))
                return Error::BadRelocations;
        return for_each_relocation(Bytes(table.data(), table.size()), [&](uint16_t type, uint64_t target) -> Status {
                switch (type) {
                case kRelAbsolute:
                        return ok_status(); // padding
                case kRelHighLow:
                        if (!image.contains(target, 4) || target + 4 > plan.image_size ||
                            overlaps_table(plan, target, 4) || in_headers(plan, target))
                                return Error::BadRelocations;
                        if (apply)
                                store_le32(image.data() + target, load_le32(image.data() + target) + (uint32_t) delta);
                        return ok_status();
                case kRelDir64:
                        if (!image.contains(target, 8) || target + 8 > plan.image_size ||
                            overlaps_table(plan, target, 8) || in_headers(plan, target))
                                return Error::BadRelocations;
                        if (apply)
                                store_le64(image.data() + target, load_le64(image.data() + target) + delta);
                        return ok_status();
                default:
                        return Error::BadRelocations;
                }
        });
}

} // namespace

Status relocate(MutableBytes image, const Plan &plan, uint64_t load_address) {
        if (image.size() < plan.image_size)
                return Error::NoSpace;
        if (plan.relocations.size == 0)
                return ok_status();
        uint64_t delta = load_address - plan.preferred_base; // modulo 2^64 by design
        ZUKI_TRY(walk_relocations(image, plan, delta, false));
        if (delta != 0)
                ZUKI_TRY(walk_relocations(image, plan, delta, true));
        return ok_status();
}

} // namespace zuki::load
