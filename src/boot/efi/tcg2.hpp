// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI_TCG2_PROTOCOL (TCG EFI Protocol Specification, family "2.0", rev. 00.13, section 6). The
// event structures are byte-packed.

#pragma once

#include "types.hpp"

namespace efi {

struct Tcg2Version {
        uint8_t Major;
        uint8_t Minor;
};

// Naturally aligned, as EDK2 and systemd declare it (36 bytes); the 1.0 layout was packed.
struct Tcg2BootServiceCapability {
        uint8_t Size;
        Tcg2Version StructureVersion;
        Tcg2Version ProtocolVersion;
        uint32_t HashAlgorithmBitmap;
        uint32_t SupportedEventLogs;
        uint8_t TPMPresentFlag;
        uint16_t MaxCommandSize;
        uint16_t MaxResponseSize;
        uint32_t ManufacturerID;
        uint32_t NumberOfPCRBanks;
        uint32_t ActivePcrBanks;
};
static_assert(sizeof(Tcg2BootServiceCapability) == 36);

#pragma pack(push, 1)

struct Tcg2EventHeader {
        uint32_t HeaderSize;
        uint16_t HeaderVersion;
        uint32_t PCRIndex;
        uint32_t EventType;
};
static_assert(sizeof(Tcg2EventHeader) == 14);

struct Tcg2Event {
        uint32_t Size;
        Tcg2EventHeader Header;
        // uint8_t Event[];
};
static_assert(sizeof(Tcg2Event) == 18);

// TCG_PCClientTaggedEvent (PC Client PFP, 10.4.2.1), the event data of EV_EVENT_TAG.
struct Tcg2TaggedEvent {
        uint32_t EventId;
        uint32_t EventSize;
        // uint8_t Event[];
};
static_assert(sizeof(Tcg2TaggedEvent) == 8);

#pragma pack(pop)

struct Tcg2Protocol {
        static constexpr Guid kGuid = {0x607f766c, 0x7455, 0x42be, {0x93, 0x0b, 0xe4, 0xd7, 0x6d, 0xb2, 0x72, 0x0f}};
        static constexpr uint16_t kEventHeaderVersion = 1;

        Status (*GetCapability)(Tcg2Protocol *self, Tcg2BootServiceCapability *capability);
        void *GetEventLog;
        Status (*HashLogExtendEvent)(Tcg2Protocol *self, uint64_t flags, PhysicalAddress data, uint64_t data_size,
                                     Tcg2Event *event);
        void *SubmitCommand;
        void *GetActivePcrBanks;
        void *SetActivePcrBanks;
        void *GetResultOfSetActivePcrBanks;
};

} // namespace efi
