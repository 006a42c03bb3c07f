// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI_DEVICE_PATH_PROTOCOL node header (UEFI 2.10, 10.2). Only the generic node is needed here.

#pragma once

#include "types.hpp"

namespace efi {

struct DevicePath {
        static constexpr Guid kGuid = {0x09576e91, 0x6d3f, 0x11d2, {0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};

        uint8_t Type;
        uint8_t SubType;
        uint8_t Length[2];
};
static_assert(sizeof(DevicePath) == 4);

// Node types and subtypes (UEFI 2.10, 10.3).
inline constexpr uint8_t kHardwareDevicePath = 0x01;
inline constexpr uint8_t kHwMemoryMappedDp = 0x03; // MemoryType u32 at 4, start u64 at 8, end u64 at 16
inline constexpr uint16_t kMemoryMappedDpSize = 24;
inline constexpr uint8_t kMediaDevicePath = 0x04;
inline constexpr uint8_t kMediaHardDriveDp = 0x01;
inline constexpr uint8_t kMediaFilePathDp = 0x04;
inline constexpr uint8_t kEndDevicePathType = 0x7f;
inline constexpr uint8_t kEndEntireDevicePath = 0xff;

} // namespace efi
