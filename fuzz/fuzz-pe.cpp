// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The PE parser in both layouts, its accessors, and the load path the stub runs on a kernel
// image: load::plan, materialize (copying and, for in-place plans, aliased) and relocate.
//
// Input: the PE file. Bytes 0x08..0x0f (inside the MS-DOS header, which the parser ignores)
// give the relocation delta; 0x10..0x17 a file range to map to an RVA.

#include <cstring>
#include <vector>

#include "fuzz-common.hpp"
#include "limits.hpp"
#include "load-plan.hpp"
#include "pe.hpp"

using namespace zuki;
using zuki::fuzz::Buffer;

namespace {

// An independent walk of the relocation table that a successful relocate() must agree with.
void reference_relocate(uint8_t *image, const load::Plan &plan, uint64_t delta) {
        const uint8_t *table = image + plan.relocations.address;
        std::vector<uint8_t> copy(table, table + plan.relocations.size);
        size_t offset = 0;
        while (offset < copy.size()) {
                uint32_t page = load_le32(&copy[offset]);
                uint32_t block = load_le32(&copy[offset + 4]);
                for (size_t e = offset + 8; e < offset + block; e += 2) {
                        uint16_t entry = load_le16(&copy[e]);
                        uint64_t target = (uint64_t) page + (entry & 0xfff);
                        switch (entry >> 12) {
                        case load::kRelHighLow:
                                store_le32(image + target, load_le32(image + target) + (uint32_t) delta);
                                break;
                        case load::kRelDir64:
                                store_le64(image + target, load_le64(image + target) + delta);
                                break;
                        }
                }
                offset += block;
        }
}

void check_plan(const pe::View &file, const load::Plan &p) {
        FUZZ_CHECK(p.image_size % limits::kPageSize == 0 && p.image_size >= file.size_of_image());
        FUZZ_CHECK(p.image_size - file.size_of_image() < limits::kPageSize);
        FUZZ_CHECK(is_power_of_two(p.alignment) && p.alignment >= limits::kPageSize);
        FUZZ_CHECK(p.headers_size == file.size_of_headers() && p.machine == file.machine());
        if (p.relocations.size)
                FUZZ_CHECK((uint64_t) p.relocations.address + p.relocations.size <= p.image_size);
        bool entry_ok = false, in_place = true;
        for (size_t i = 0; i < file.section_count(); i++) {
                pe::Section s = file.section(i);
                if (s.executable() && p.entry_rva >= s.virtual_address &&
                    (uint64_t) p.entry_rva < (uint64_t) s.virtual_address + s.memory_size())
                        entry_ok = true;
                if (s.data_size() && s.raw_offset != s.virtual_address)
                        in_place = false;
        }
        FUZZ_CHECK(entry_ok);
        FUZZ_CHECK(in_place == p.in_place);
}

// dest holds the loaded image: headers, each section's data at its RVA, zeros elsewhere.
void check_loaded(const pe::View &file, const load::Plan &p, const uint8_t *dest) {
        std::vector<uint8_t> expect(p.image_size, 0);
        memcpy(expect.data(), file.image().data(), p.headers_size);
        for (size_t i = 0; i < file.section_count(); i++) {
                pe::Section s = file.section(i);
                if (s.memory_size() == 0)
                        continue;
                Bytes data = file.data(s);
                if (!data.empty())
                        memcpy(expect.data() + s.virtual_address, data.data(), data.size());
        }
        FUZZ_CHECK(memcmp(expect.data(), dest, p.image_size) == 0, "materialized image differs");
}

void run_load(const pe::View &file, Bytes input, uint64_t delta, uint64_t probe_offset, uint64_t probe_length) {
        Result<load::Plan> plan = load::plan(file);
        if (!plan)
                return;
        check_plan(file, *plan);
        if (plan->image_size > fuzz::kMaxMaterialize)
                return;

        // Too small a destination is refused without writing.
        if (plan->image_size > 0) {
                Buffer small(plan->image_size - 1);
                FUZZ_CHECK(load::materialize(file, *plan, small.bytes()).error() == Error::NoSpace);
        }

        // Copying load into a buffer pre-filled with garbage.
        Buffer dest(plan->image_size);
        memset(dest.data, 0xa5, dest.size);
        Status m = load::materialize(file, *plan, dest.bytes());
        FUZZ_CHECK(m.ok(), "materialize: %s", describe(m.error()));
        check_loaded(file, *plan, dest.data);

        // In-place load: the file bytes padded to image_size become the image. Must give the
        // same bytes; a plan that is not in place refuses to alias.
        {
                Buffer alias(input.size() > plan->image_size ? input.size() : plan->image_size);
                memcpy(alias.data, input.data(), input.size());
                Result<pe::View> aliased_view = pe::View::parse(Bytes(alias.data, input.size()), pe::Layout::File);
                FUZZ_CHECK(aliased_view.ok());
                Status a = load::materialize(*aliased_view, *plan, alias.bytes());
                if (plan->in_place) {
                        FUZZ_CHECK(a.ok());
                        FUZZ_CHECK(memcmp(alias.data, dest.data, plan->image_size) == 0, "in-place load differs");
                } else {
                        FUZZ_CHECK(a.error() == Error::BadImageSize);
                        FUZZ_CHECK(memcmp(alias.data, input.data(), input.size()) == 0);
                }
        }

        // The loaded image parses as Layout::Loaded with the same geometry.
        Result<pe::View> loaded = pe::View::parse(Bytes(dest.data, plan->image_size), pe::Layout::Loaded);
        FUZZ_CHECK(loaded.ok(), "loaded image does not parse: %s", describe(loaded.error()));
        fuzz::check_view(*loaded, Bytes(dest.data, plan->image_size));
        FUZZ_CHECK(loaded->section_count() == file.section_count());
        FUZZ_CHECK(loaded->size_of_image() == file.size_of_image());

        // A file range maps to an RVA where the loaded image holds the same bytes.
        auto probe = [&](uint64_t offset, uint64_t length) {
                fuzz::check_rva(file, offset, length);
                Result<uint32_t> rva = file.file_range_to_rva(offset, length);
                Result<uint32_t> lrva = loaded->file_range_to_rva(offset, length);
                FUZZ_CHECK(rva.ok() == lrva.ok() && (!rva.ok() || *rva == *lrva));
                if (rva && length)
                        FUZZ_CHECK(memcmp(input.data() + offset, dest.data + *rva, length) == 0);
        };
        probe(probe_offset, probe_length);
        for (size_t i = 0; i < file.section_count(); i++) {
                pe::Section s = file.section(i);
                probe(s.raw_offset, s.data_size());
                probe((uint64_t) s.raw_offset + s.data_size() / 2, s.data_size() - s.data_size() / 2);
                probe((uint64_t) s.raw_offset + 1, s.data_size());
        }

        // Relocation: a destination smaller than the image is refused untouched.
        {
                std::vector<uint8_t> before(dest.data, dest.data + dest.size);
                Status r = load::relocate(MutableBytes(dest.data, plan->image_size - 1), *plan,
                                          plan->preferred_base + delta);
                FUZZ_CHECK(r.error() == Error::NoSpace);
                FUZZ_CHECK(memcmp(before.data(), dest.data, dest.size) == 0);
        }

        // Validation first: an error leaves the image unchanged, success matches the reference.
        std::vector<uint8_t> before(dest.data, dest.data + dest.size);
        const std::vector<uint8_t> original = before;
        Status zero = load::relocate(dest.bytes(), *plan, plan->preferred_base);
        FUZZ_CHECK(memcmp(before.data(), dest.data, dest.size) == 0, "relocate by 0 changed the image");
        Status r = load::relocate(dest.bytes(), *plan, plan->preferred_base + delta);
        FUZZ_CHECK(r.ok() == zero.ok() && r.error() == zero.error(), "validity depends on the delta");
        if (!r) {
                FUZZ_CHECK(r.error() == Error::BadRelocations);
                FUZZ_CHECK(memcmp(before.data(), dest.data, dest.size) == 0, "failed relocate changed the image");
                return;
        }
        if (plan->relocations.size == 0 || delta == 0) {
                FUZZ_CHECK(memcmp(before.data(), dest.data, dest.size) == 0);
                return;
        }
        reference_relocate(before.data(), *plan, delta);
        FUZZ_CHECK(memcmp(before.data(), dest.data, dest.size) == 0, "relocate differs from the reference");
        // The table itself is never a target.
        FUZZ_CHECK(memcmp(dest.data + plan->relocations.address, original.data() + plan->relocations.address,
                          plan->relocations.size) == 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Bytes input(data, size);
        uint64_t delta = fuzz::le(data, size, 0x08, 8);
        uint64_t probe_offset = fuzz::le(data, size, 0x10, 4);
        uint64_t probe_length = fuzz::le(data, size, 0x14, 4);

        Result<pe::View> loaded = pe::View::parse(input, pe::Layout::Loaded);
        if (loaded) {
                fuzz::check_view(*loaded, input);
                fuzz::check_rva(*loaded, probe_offset, probe_length);
                // A loaded view is not a loadable file.
                FUZZ_CHECK(load::plan(*loaded).error() == Error::BadImageSize);
        }

        Result<pe::View> file = pe::View::parse(input, pe::Layout::File);
        if (!file)
                return 0;
        fuzz::check_view(*file, input);
        fuzz::check_rva(*file, probe_offset, probe_length);
        run_load(*file, input, delta, probe_offset, probe_length);
        return 0;
}
