// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI_CC_MEASUREMENT_PROTOCOL (UEFI 2.10, 38.4): measurements into the measurement registers of
// a confidential-computing guest (Intel TDX RTMRs), next to or instead of a TPM.

#pragma once

#include "types.hpp"

namespace efi {

#pragma pack(push, 1)

struct CcEventHeader {
        uint32_t HeaderSize;
        uint16_t HeaderVersion;
        uint32_t MrIndex;
        uint32_t EventType;
};
static_assert(sizeof(CcEventHeader) == 14);

struct CcEvent {
        uint32_t Size;
        CcEventHeader Header;
        // uint8_t Event[];
};
static_assert(sizeof(CcEvent) == 18);

#pragma pack(pop)

struct CcMeasurementProtocol {
        static constexpr Guid kGuid = {0x96751a3d, 0x72f4, 0x41a6, {0xa7, 0x94, 0xed, 0x5d, 0x0e, 0x67, 0xae, 0x6b}};
        static constexpr uint16_t kEventHeaderVersion = 1;

        void *GetCapability;
        void *GetEventLog;
        Status (*HashLogExtendEvent)(CcMeasurementProtocol *self, uint64_t flags, PhysicalAddress data,
                                     uint64_t data_size, CcEvent *event);
        Status (*MapPcrToMrIndex)(CcMeasurementProtocol *self, uint32_t pcr, uint32_t *mr_index);
};

} // namespace efi
