// SPDX-License-Identifier: LGPL-2.1-or-later

#include "pe-builder.hpp"

#include <algorithm>
#include <cstring>
#include <set>

#include "failure.hpp"
#include "limits.hpp"
#include "stub-acceptance.hpp"

namespace zuki {

uint32_t pe_checksum(Bytes image, uint32_t checksum_offset) {
        uint64_t sum = 0;
        for (size_t i = 0; i < image.size(); i += 2) {
                if (i == checksum_offset || i == checksum_offset + 2)
                        continue;
                uint32_t word = image[i] | (i + 1 < image.size() ? image[i + 1] << 8 : 0);
                sum += word;
                sum = (sum & 0xffff) + (sum >> 16);
        }
        sum = (sum & 0xffff) + (sum >> 16);
        return (uint32_t) (sum + image.size());
}

void update_pe_checksum(Buffer *image) {
        Result<pe::View> view = pe::View::parse(Bytes(image->data(), image->size()), pe::Layout::File);
        if (!view)
                fail("Internal error: image does not parse", view.error());
        uint32_t offset = view->optional_header_offset() + pe::kOptCheckSum;
        store_le32(image->data() + offset, pe_checksum(Bytes(image->data(), image->size()), offset));
}

void cover_raw_data(Buffer *image) {
        Result<pe::View> view = pe::View::parse(Bytes(image->data(), image->size()), pe::Layout::File);
        if (!view)
                fail("Internal error: image does not parse", view.error());
        std::vector<pe::Section> sections;
        for (size_t i = 0; i < view->section_count(); i++)
                sections.push_back(view->section(i));
        for (const pe::Section &s : sections) {
                if (s.raw_size <= s.virtual_size)
                        continue;
                uint64_t end = (uint64_t) s.virtual_address + s.raw_size;
                for (const pe::Section &other : sections)
                        if (other.virtual_address > s.virtual_address && other.virtual_address < end)
                                fail(std::string("Internal error: section ") + s.name + "'s raw data would overlap " +
                                     other.name + " in memory");
                if (end > view->size_of_image())
                        fail(std::string("Internal error: section ") + s.name + "'s raw data ends past SizeOfImage");
                store_le32(image->data() + s.header_offset + 8, s.raw_size);
        }
}

void refuse_signed_stub(const pe::View &stub) {
        if (stub.directory(pe::kDirSecurity).size != 0)
                fail("Stub image is signed (Authenticode); adding sections would break the signature: "
                     "use the unsigned stub and sign the result with zuki sign");
}

Buffer append_sections(Bytes base, const std::vector<NewSection> &sections, std::vector<AddedSection> *added,
                       bool allow_repeats, const char *kind) {
        Result<pe::View> parsed = pe::View::parse(base, pe::Layout::File);
        if (!parsed)
                fail("Stub image is not a usable PE", parsed.error());
        const pe::View &view = *parsed;
        refuse_signed_stub(view);

        uint64_t raw_end = std::max<uint64_t>(view.raw_data_end(), view.size_of_headers());
        if (base.size() > raw_end)
                fail("Stub image has data after its last section");

        // New headers go after the existing table, in the headers area the stub has.
        check_section_header_room(base, (uint32_t) sections.size(), kind);
        std::set<std::string> names;
        uint64_t next_va = 0;
        for (size_t i = 0; i < view.section_count(); i++) {
                pe::Section s = view.section(i);
                names.insert(s.name);
                next_va = std::max<uint64_t>(next_va, (uint64_t) s.virtual_address + s.memory_size());
        }

        const uint32_t fa = view.file_alignment(), sa = view.section_alignment();
        Buffer out(base.begin(), base.end());
        out.resize(align_up(raw_end, fa), 0);
        next_va = align_up(next_va, sa);

        uint32_t table_offset = view.section_table_end();
        uint32_t init_data_added = 0;
        for (const NewSection &ns : sections) {
                if (ns.name.empty() || ns.name.size() > 8)
                        fail("Section name \"" + ns.name + "\" must be 1 to 8 bytes");
                if (!names.insert(ns.name).second && !allow_repeats)
                        fail("Duplicate section " + ns.name);
                if (ns.data.empty())
                        fail("Section " + ns.name + " would be empty");
                uint64_t raw_offset = out.size();
                uint64_t raw_size = align_up(ns.data.size(), fa);
                uint64_t end_va = next_va + ns.data.size();
                if (raw_offset + raw_size > UINT32_MAX || align_up(end_va, sa) > UINT32_MAX)
                        fail("Image would exceed 4 GiB");
                out.resize(raw_offset + raw_size, 0);
                std::memcpy(out.data() + raw_offset, ns.data.data(), ns.data.size());

                uint8_t *h = out.data() + table_offset;
                std::memset(h, 0, pe::kSectionHeaderSize);
                std::memcpy(h, ns.name.data(), ns.name.size());
                store_le32(h + pe::kSecVirtualSize, (uint32_t) ns.data.size());
                store_le32(h + pe::kSecVirtualAddress, (uint32_t) next_va);
                store_le32(h + pe::kSecSizeOfRawData, (uint32_t) raw_size);
                store_le32(h + pe::kSecPointerToRawData, (uint32_t) raw_offset);
                store_le32(h + pe::kSecCharacteristics, ns.characteristics);
                if (added)
                        added->push_back({ns.name, (uint32_t) next_va, (uint32_t) raw_offset, (uint32_t) ns.data.size()});

                table_offset += pe::kSectionHeaderSize;
                init_data_added += (uint32_t) raw_size;
                next_va = align_up(end_va, sa);
        }

        uint8_t *coff = out.data() + view.pe_offset() + 4;
        store_le16(coff + 2, (uint16_t) (view.section_count() + sections.size()));
        uint8_t *opt = out.data() + view.optional_header_offset();
        store_le32(opt + pe::kOptSizeOfImage, (uint32_t) next_va);
        store_le32(opt + pe::kOptSizeOfInitializedData,
                   load_le32(opt + pe::kOptSizeOfInitializedData) + init_data_added);
        update_pe_checksum(&out);

        Result<pe::View> check = pe::View::parse(Bytes(out.data(), out.size()), pe::Layout::File);
        if (!check)
                fail("Internal error: assembled image does not parse", check.error());
        return out;
}

} // namespace zuki
