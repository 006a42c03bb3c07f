// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Test-only UKIs: a list of named sections with their contents becomes a PE32+ file (through
// pe-fixture.hpp) whose sections follow one another in the given order, so a test states the
// section table it means, including its order, duplicates and .profile groups.

#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "pe-fixture.hpp"
#include "pe.hpp"

namespace zuki::test {

struct UkiSection {
        std::string name;
        std::string content;
        // VirtualSize to write instead of content.size() (for VirtualSize/SizeOfRawData tests).
        int64_t virtual_size = -1;
};

inline constexpr uint32_t kUkiFileAlignment = 0x200;
inline constexpr uint32_t kUkiSectionAlignment = 0x1000;

// Headers fill the first page; section i gets its own pages and FileAlignment-rounded raw data.
inline ImageSpec uki_spec(const std::vector<UkiSection> &sections) {
        ImageSpec spec;
        spec.size_of_headers = kUkiSectionAlignment;
        uint32_t rva = kUkiSectionAlignment;
        uint32_t file_offset = kUkiSectionAlignment;
        for (const UkiSection &u : sections) {
                uint32_t vsize = u.virtual_size >= 0 ? (uint32_t) u.virtual_size : (uint32_t) u.content.size();
                uint32_t raw = (uint32_t) align_up(u.content.size(), kUkiFileAlignment);
                SectionSpec s;
                s.name = u.name;
                s.virtual_address = rva;
                s.virtual_size = vsize;
                s.raw_offset = raw ? file_offset : 0;
                s.raw_size = raw;
                s.characteristics = kData;
                s.content.assign(u.content.begin(), u.content.end());
                spec.sections.push_back(s);
                rva += (uint32_t) align_up(std::max<uint32_t>({vsize, raw, 1}), kUkiSectionAlignment);
                file_offset += raw;
        }
        spec.size_of_image = rva;
        return spec;
}

// Keeps the file alive next to the view that points into it.
struct Uki {
        std::vector<uint8_t> file;
        pe::View view;
};

inline Uki make_uki(const std::vector<UkiSection> &sections) {
        Uki u;
        u.file = build(uki_spec(sections));
        Result<pe::View> v = pe::View::parse(Bytes(u.file.data(), u.file.size()), pe::Layout::File);
        EXPECT_TRUE(v.ok()) << describe(v.error());
        if (v)
                u.view = *v;
        return u;
}

inline std::string as_string(Bytes b) { return std::string(reinterpret_cast<const char *>(b.data()), b.size()); }

} // namespace zuki::test
