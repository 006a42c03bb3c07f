// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The W^X plan for a loaded kernel image: which page-aligned ranges become read-only and
// executable (the executable sections) and which become writable and non-executable (everything
// else: headers, data, BSS, gaps). A page that holds both code and writable data cannot be made
// W^X; such an image is refused rather than mapped writable and executable.

#pragma once

#include "base.hpp"
#include "limits.hpp"
#include "pe.hpp"

namespace zuki::wx {

struct Range {
        uint64_t offset = 0; // from the image base, page-aligned
        uint64_t size = 0;   // page multiple
        bool executable = false;
};

struct Plan {
        // Per section a gap before it and the section itself, plus the headers and the tail.
        static constexpr size_t kCapacity = 2 * limits::kMaxSections + 2;
        Range ranges[kCapacity];
        size_t count = 0;
};

inline constexpr uint64_t kPageSize = 4096;

// Covers [0, image_size) (a page multiple) with ranges in address order. Error::WxConflict when
// an executable section shares a page with a writable one.
Result<Plan> plan(const pe::View &image, uint64_t image_size);

} // namespace zuki::wx
