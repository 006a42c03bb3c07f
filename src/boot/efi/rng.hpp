// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI_RNG_PROTOCOL (UEFI 2.10, 37.5).

#pragma once

#include "types.hpp"

namespace efi {

struct RngProtocol {
        static constexpr Guid kGuid = {0x3152bca5, 0xeade, 0x433d, {0x86, 0x2e, 0xc0, 0x1c, 0xdc, 0x29, 0x1f, 0x44}};

        void *GetInfo;
        // A null algorithm means the driver's default.
        Status (*GetRNG)(RngProtocol *self, const Guid *algorithm, uintptr_t value_length, uint8_t *value);
};

// Linux: install on an image handle to tell the kernel's EFI stub to keep the placement it was
// loaded at (include/linux/efi.h, LINUX_EFI_LOADED_IMAGE_FIXED_GUID).
inline constexpr Guid kLinuxLoadedImageFixedGuid = {0xf5a37b6d, 0x3344, 0x42a5, {0xb6, 0xbb, 0x97, 0x86, 0x48, 0xc1, 0x89, 0x0a}};

} // namespace efi
