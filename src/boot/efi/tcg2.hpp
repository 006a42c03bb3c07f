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
        // Format 1: SHA-1 only (TCG 1.2 events), 2: crypto-agile (TCG_PCR_EVENT2).
        Status (*GetEventLog)(Tcg2Protocol *self, uint32_t format, PhysicalAddress *location, PhysicalAddress *last_entry,
                              uint8_t *truncated);
        Status (*HashLogExtendEvent)(Tcg2Protocol *self, uint64_t flags, PhysicalAddress data, uint64_t data_size,
                                     Tcg2Event *event);
        void *SubmitCommand;
        void *GetActivePcrBanks;
        void *SetActivePcrBanks;
        void *GetResultOfSetActivePcrBanks;
};

inline constexpr uint32_t kTcg2EventLogFormatTcg12 = 1;
inline constexpr uint32_t kTcg2EventLogFormatTcg2 = 2;
// EFI_TCG2_FINAL_EVENTS_TABLE: le64 version, le64 number of events, then the events.
inline constexpr Guid kTcg2FinalEventsTableGuid = {0x1e2ed096, 0x30e2, 0x4254, {0xbd, 0x89, 0x86, 0x3b, 0xbe, 0xf8, 0x23, 0x25}};
// Linux: the copy of the event log its EFI stub leaves for the kernel (include/linux/efi.h,
// LINUX_EFI_TPM_EVENT_LOG_GUID; struct linux_efi_tpm_eventlog).
inline constexpr Guid kLinuxTpmEventLogGuid = {0xb7799cb0, 0xeca2, 0x4943, {0x96, 0x67, 0x1f, 0xae, 0x07, 0xb7, 0x47, 0xfa}};

} // namespace efi
