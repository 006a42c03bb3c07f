// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI_MEMORY_ATTRIBUTE_PROTOCOL (UEFI 2.10, 37.7): page permissions of memory the caller owns.

#pragma once

#include "types.hpp"

namespace efi {

inline constexpr uint64_t kMemoryRp = 0x0000000000002000ull;
inline constexpr uint64_t kMemoryXp = 0x0000000000004000ull;
inline constexpr uint64_t kMemoryRo = 0x0000000000020000ull;

struct MemoryAttributeProtocol {
        static constexpr Guid kGuid = {0xf4560cf6, 0x40ec, 0x4b4a, {0xa1, 0x92, 0xbf, 0x1d, 0x57, 0xd0, 0xb1, 0x89}};

        Status (*GetMemoryAttributes)(MemoryAttributeProtocol *self, PhysicalAddress base, uint64_t length,
                                      uint64_t *attributes);
        Status (*SetMemoryAttributes)(MemoryAttributeProtocol *self, PhysicalAddress base, uint64_t length,
                                      uint64_t attributes);
        Status (*ClearMemoryAttributes)(MemoryAttributeProtocol *self, PhysicalAddress base, uint64_t length,
                                        uint64_t attributes);
};

} // namespace efi
