// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A hand-made x86 setup header for the tests of the direct-boot description and of the kernel
// checks built on it.

#pragma once

#include <cstdint>
#include <vector>

#include "x86-boot.hpp"

namespace zuki::x86 {

inline constexpr uint64_t M = 1ull << 20;

// A setup header as Debian's 6.1 kernel has it (the fields parse() reads), from offset 0x1f1.
inline std::vector<uint8_t> setup_header(uint32_t init_size = 0x3f97000) {
        std::vector<uint8_t> h(0x26c - kSetupHeaderStart, 0);
        auto at = [&](uint32_t off) { return h.data() + off - kSetupHeaderStart; };
        at(kJumpOffset)[0] = 0xeb;
        at(kJumpOffset)[1] = 0x6a; // header ends at 0x202 + 0x6a = 0x26c
        store_le32(at(kHeaderMagicOffset), kHeaderMagic);
        store_le16(at(kVersionOffset), 0x020f);
        store_le32(at(kKernelAlignmentOffset), 2 * M);
        *at(kRelocatableOffset) = 1;
        store_le16(at(kXLoadFlagsOffset), 0x7f);
        store_le32(at(kCmdlineSizeOffset), 2047);
        store_le64(at(kPrefAddressOffset), 16 * M);
        store_le32(at(kInitSizeOffset), init_size);
        return h;
}

} // namespace zuki::x86
