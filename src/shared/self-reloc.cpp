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
                        uint16_t type = entry >> 12;
                        uint64_t target = (uint64_t) page + (entry & 0xfff);
                        if (type == load::kRelAbsolute)
                                continue;
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
                                continue;
                        bool listed = false;
                        for (size_t i = 0; i < *writable_count; i++)
                                listed |= writable_headers[i] == s.header_offset;
                        if (!listed) {
                                if (*writable_count == writable_max)
                                        return Error::BadRelocations;
                                writable_headers[(*writable_count)++] = s.header_offset;
                        }
                }
                offset += block_size;
        }
        return ok_status();
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

        // Everything checked: now write.
        for (size_t i = 0; i < writable_count; i++) {
                uint8_t *characteristics = image.data() + writable[i] + 36;
                store_le32(characteristics, load_le32(characteristics) | pe::kScnMemWrite);
        }
        store_le32(record + 24, result.record_rva);
        store_le32(record + 28, dir.address);
        store_le32(record + 32, dir.size);
        store_le32(record + 36, view.size_of_image());
        store_le64(record + 40, 0);
        uint8_t *entry = image.data() + view.optional_header_offset() + pe::kOptDataDirectories + 8 * pe::kDirBaseReloc;
        store_le32(entry, 0);
        store_le32(entry + 4, 0);
        result.table_size = dir.size;
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
