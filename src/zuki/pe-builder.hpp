// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Appending sections to a PE image (the stub) to make zboot images and UKIs. The result keeps
// the PE rules the stub and firmware rely on: sections in ascending, SectionAlignment-aligned
// addresses, raw data FileAlignment-aligned, VirtualSize equal to the real data length, and
// SizeOfImage, SizeOfInitializedData and CheckSum updated.

#pragma once

#include <string>

#include "file-io.hpp"
#include "pe.hpp"

namespace zuki {

struct NewSection {
        std::string name;  // at most 8 bytes
        Buffer data;
        uint32_t characteristics = pe::kScnCntInitializedData | pe::kScnMemRead;
};

struct AddedSection {
        std::string name;
        uint32_t virtual_address = 0;
        uint32_t raw_offset = 0;
        uint32_t size = 0;
};

// Returns `base` with `sections` appended. Refuses a signed base image, a name that already
// exists (unless `allow_repeats`, for multi-profile UKIs whose profiles repeat section names), and
// more section headers than the stub has room for (naming the image `kind` in that refusal).
Buffer append_sections(Bytes base, const std::vector<NewSection> &sections, std::vector<AddedSection> *added = nullptr,
                       bool allow_repeats = false, const char *kind = "image");

// Refuses a stub that carries an Authenticode signature: appending sections would invalidate it
// (and leave the certificate table in the middle of the file).
void refuse_signed_stub(const pe::View &stub);

// Recomputes the CheckSum field after the image was modified.
void update_pe_checksum(Buffer *image);

// Raises each section's VirtualSize to its SizeOfRawData where that is larger (the padding up to
// FileAlignment): systemd-stub 258+ refuses to load a .linux PE whose sections have more raw
// data than memory. Sections are aligned alike in memory and file, so nothing moves.
void cover_raw_data(Buffer *image);

// The PE image checksum (the algorithm of imagehlp's CheckSumMappedFile).
uint32_t pe_checksum(Bytes image, uint32_t checksum_offset);

} // namespace zuki
