// SPDX-License-Identifier: LGPL-2.1-or-later

#include "self-reloc.hpp"

#include "load-plan.hpp"
#include "pe.hpp"

namespace zuki::self_reloc {
namespace {

bool is_magic(const uint8_t *p) {
        for (size_t i = 0; i < sizeof(kMagic); i++)
                if (p[i] != (uint8_t) kMagic[i])
                        return false;
        return true;
}

// The one record in the image's sections, as a file offset; 0 when there is none.
Result<uint64_t> find_record(const pe::View &view, pe::Section *holder) {
        uint64_t found = 0;
        for (size_t i = 0; i < view.section_count(); i++) {
                pe::Section s = view.section(i);
                // The record is written at run time: it is in a writable section (a compiler may
                // keep a copy of its initial bytes in read-only data, as UBSan builds do).
                if (!s.writable() || s.executable())
                        continue;
                Bytes data = view.data(s);
                // The record is 8-byte aligned in .data; look at aligned positions only.
                for (uint64_t at = 0; at + kRecordSize <= data.size(); at += 8) {
                        if (!is_magic(data.data() + at))
                                continue;
                        if (found)
                                return Error::BadRelocations; // two records: which one would the stub use?
                        found = s.raw_offset + at;
                        *holder = s;
                }
        }
        return found;
}

// Stubs have a handful of sections; relocations spread over more are not ours.
constexpr size_t kMaxTargetSections = 16;

// The section holding an RVA range; false when none holds all of it.
bool section_of(const pe::View &view, uint64_t rva, uint64_t width, pe::Section *out) {
        for (size_t i = 0; i < view.section_count(); i++) {
                pe::Section s = view.section(i);
                if (rva >= s.virtual_address && rva + width <= (uint64_t) s.virtual_address + s.memory_size()) {
                        *out = s;
                        return true;
                }
        }
        return false;
}

// Checks every entry the stub will apply: DIR64 (or padding) only, each inside one section that
// is not executable (patching code at run time would need it writable and executable) and clear
// of the table itself and of the record except its `self` pointer. Collects the header offsets of target sections that are
// not writable yet: the stub writes there at run time, so they must be (writable, never executable).
Status check_table(const pe::View &view, Bytes table, pe::DataDirectory dir, uint32_t record_rva,
                   bool *covers_self, uint32_t *writable_headers, size_t *writable_count, size_t writable_max) {
        return load::for_each_relocation(table, [&](uint16_t type, uint64_t target) -> Status {
                if (type == load::kRelAbsolute)
                        return ok_status();
                if (type != load::kRelDir64)
                        return Error::BadRelocations;
                pe::Section s;
                if (!section_of(view, target, 8, &s) || s.executable())
                        return Error::BadRelocations;
                if (target < (uint64_t) dir.address + dir.size && dir.address < target + 8)
                        return Error::BadRelocations;
                if (target == (uint64_t) record_rva + kSelfOffset)
                        *covers_self = true;
                else if (target < (uint64_t) record_rva + kRecordSize && record_rva < target + 8)
                        return Error::BadRelocations;
                if (s.writable())
                        return ok_status();
                for (size_t i = 0; i < *writable_count; i++)
                        if (writable_headers[i] == s.header_offset)
                                return ok_status();
                if (*writable_count == writable_max)
                        return Error::BadRelocations;
                writable_headers[(*writable_count)++] = s.header_offset;
                return ok_status();
        });
}

} // namespace

Result<Detached> detach(MutableBytes image) {
        pe::View view = ZUKI_TRY(pe::View::parse(Bytes(image.data(), image.size()), pe::Layout::File));
        pe::Section holder;
        uint64_t record_offset = ZUKI_TRY(find_record(view, &holder));
        Detached result;
        if (record_offset == 0)
                return result;
        uint8_t *record = image.data() + record_offset;
        result.has_record = true;
        result.record_rva = (uint32_t) (holder.virtual_address + (record_offset - holder.raw_offset));
        if (load_le32(record + 32) != 0)
                return Error::BadRelocations; // already detached
        if (load_le64(record + kSelfOffset) != view.image_base() + result.record_rva)
                return Error::BadRelocations; // `self` must be the record's linked address

        pe::DataDirectory dir = view.directory(pe::kDirBaseReloc);
        if (dir.size == 0)
                return Error::BadRelocations; // `self` at least needs relocating
        pe::Section table_section;
        if (!section_of(view, dir.address, dir.size, &table_section))
                return Error::BadRelocations;
        uint64_t table_offset = table_section.raw_offset + (dir.address - table_section.virtual_address);
        if (dir.address + (uint64_t) dir.size > (uint64_t) table_section.virtual_address + table_section.data_size())
                return Error::BadRelocations; // the table must be file-backed: the stub reads it from memory
        Bytes table(image.data() + table_offset, dir.size);

        uint32_t writable[kMaxTargetSections] = {};
        size_t writable_count = 0;
        bool covers_self = false;
        ZUKI_TRY(check_table(view, table, dir, result.record_rva, &covers_self, writable, &writable_count,
                             kMaxTargetSections));
        if (!covers_self)
                return Error::BadRelocations;

        // binutils' objcopy points the directory at the whole .reloc section again, padding
        // included, which loaders then read as blocks (EDK2 refuses a block of size 0). So the
        // last block is extended over the zero padding up to the end of the section's raw data:
        // zero entries are padding entries (kRelAbsolute at offset 0) to every loader.
        uint64_t table_end = table_offset + dir.size;
        uint64_t section_end = (uint64_t) table_section.raw_offset + table_section.raw_size;
        if (section_end > image.size())
                return Error::BadRelocations;
        for (uint64_t at = table_end; at < section_end; at++)
                if (image[at] != 0)
                        return Error::BadRelocations;
        uint64_t last_block = 0;
        ZUKI_TRY(load::for_each_relocation(table, [&](uint16_t, uint64_t) -> Status { return ok_status(); }));
        for (uint64_t at = 0; at < table.size(); at += load_le32(table.data() + at + 4))
                last_block = at;
        uint64_t tail = section_end - table_end;
        if (tail % 2 != 0)
                return Error::BadRelocations;

        // Everything checked: now write.
        uint8_t *last_size = image.data() + table_offset + last_block + 4;
        store_le32(last_size, (uint32_t) (load_le32(last_size) + tail));
        for (size_t i = 0; i < writable_count; i++) {
                uint8_t *characteristics = image.data() + writable[i] + 36;
                store_le32(characteristics, load_le32(characteristics) | pe::kScnMemWrite);
        }
        store_le32(record + 24, result.record_rva);
        store_le32(record + 28, dir.address);
        store_le32(record + 32, (uint32_t) (dir.size + tail));
        store_le32(record + 36, view.size_of_image());
        store_le64(record + 40, 0);
        uint8_t *entry = image.data() + view.optional_header_offset() + pe::kOptDataDirectories + 8 * pe::kDirBaseReloc;
        store_le32(entry, 0);
        store_le32(entry + 4, 0);
        result.table_size = (uint32_t) (dir.size + tail);
        return result;
}

bool is_detached(Bytes image) {
        Result<pe::View> view = pe::View::parse(image, pe::Layout::File);
        if (!view)
                return false;
        pe::Section holder;
        Result<uint64_t> at = find_record(*view, &holder);
        return at && *at != 0 && load_le32(image.data() + *at + 32) != 0;
}

Status clear_restored_directory(MutableBytes image, bool *changed) {
        *changed = false;
        pe::View view = ZUKI_TRY(pe::View::parse(Bytes(image.data(), image.size()), pe::Layout::File));
        pe::DataDirectory dir = view.directory(pe::kDirBaseReloc);
        if (dir.size == 0 || !is_detached(Bytes(image.data(), image.size())))
                return ok_status();
        pe::Section holder;
        uint64_t at = ZUKI_TRY(find_record(view, &holder));
        if (dir.address != load_le32(image.data() + at + 28))
                return Error::BadRelocations; // some other table: not ours to drop
        uint8_t *entry = image.data() + view.optional_header_offset() + pe::kOptDataDirectories + 8 * pe::kDirBaseReloc;
        store_le32(entry, 0);
        store_le32(entry + 4, 0);
        *changed = true;
        return ok_status();
}

} // namespace zuki::self_reloc
