// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI_EDID_DISCOVERED_PROTOCOL (UEFI 2.10, 12.9.3): the EDID a graphics driver read from the
// display it found, unchanged. systemd-stub 258+ reads the first instance LocateProtocol() gives
// for its EDID CHIDs; zuki reads it the same way. EDID_ACTIVE (the one after overrides) is not
// used by either.

#pragma once

#include "types.hpp"

namespace efi {

struct EdidDiscoveredProtocol {
        static constexpr Guid kGuid = {0x1c0c34f6, 0xd380, 0x41fa, {0xa0, 0x49, 0x8a, 0xd0, 0x6c, 0x1a, 0x66, 0xaa}};

        uint32_t SizeOfEdid; // 0 when the display gave none; otherwise at least 128
        uint8_t *Edid;
};

} // namespace efi
