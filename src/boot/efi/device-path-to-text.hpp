// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI_DEVICE_PATH_TO_TEXT_PROTOCOL (UEFI 2.10, 10.6.3).

#pragma once

#include "device-path.hpp"
#include "types.hpp"

namespace efi {

struct DevicePathToTextProtocol {
        static constexpr Guid kGuid = {0x8b843e20, 0x8132, 0x4852, {0x90, 0xcc, 0x55, 0x1a, 0x4e, 0x4a, 0x7f, 0x1c}};

        void *ConvertDeviceNodeToText;
        // Returns a pool allocation the caller frees, or null.
        Char16 *(*ConvertDevicePathToText)(const DevicePath *path, uint8_t display_only, uint8_t allow_shortcuts);
};

} // namespace efi
