// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI_DT_FIXUP_PROTOCOL (U-Boot's, specified at github.com/U-Boot-EFI/EFI_DT_FIXUP_PROTOCOL): the
// firmware applies to a devicetree the caller brings what it applies to its own (memory nodes,
// reserved memory, MAC addresses, seeds, ...).

#pragma once

#include "types.hpp"

namespace efi {

inline constexpr uint32_t kDtApplyFixups = 0x1;   // add nodes, update properties
inline constexpr uint32_t kDtReserveMemory = 0x2; // reserve /reserved-memory and the memreserve block
inline constexpr uint32_t kDtInstallTable = 0x4;  // install the result as the configuration table

struct DtFixupProtocol {
        static constexpr Guid kGuid = {0xe617d64c, 0xfe08, 0x46da, {0xf4, 0xdc, 0xbb, 0xd5, 0x87, 0x0c, 0x73, 0x00}};

        uint64_t Revision;
        // *buffer_size: in, the bytes available at fdt; out (kBufferTooSmall), the bytes needed.
        Status (*Fixup)(DtFixupProtocol *self, void *fdt, uintptr_t *buffer_size, uint32_t flags);
};

} // namespace efi
