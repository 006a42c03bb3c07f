// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI_PARTITION_INFO_PROTOCOL (UEFI 2.10, 13.18): the partition table entry of a partition handle.

#pragma once

#include "types.hpp"

namespace efi {

struct PartitionInfoProtocol {
        static constexpr Guid kGuid = {0x8cf2f62c, 0xbc9b, 0x4821, {0x80, 0x8d, 0xec, 0x9e, 0xc4, 0x21, 0xa1, 0xa0}};
        static constexpr uint32_t kTypeMbr = 1;
        static constexpr uint32_t kTypeGpt = 2;
        // Offsets into Info: the MBR record's OSIndicator, the GPT entry's PartitionTypeGUID.
        static constexpr size_t kMbrOsIndicator = 4;
        static constexpr size_t kGptTypeGuid = 0;

        uint32_t Revision;
        uint32_t Type;
        uint8_t System; // 1: an EFI system partition (MBR type 0xEF or the GPT ESP type)
        uint8_t Reserved[7];
        uint8_t Info[128]; // MBR_PARTITION_RECORD or EFI_PARTITION_ENTRY
};
static_assert(__builtin_offsetof(PartitionInfoProtocol, Info) == 16);

} // namespace efi
