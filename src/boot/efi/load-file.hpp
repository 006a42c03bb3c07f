// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI_LOAD_FILE2_PROTOCOL (UEFI 2.10, 13.2) and the Linux initrd media device path: Linux's EFI
// stub asks for its initrd through LoadFile2 on a handle whose device path is a vendor media
// node with LINUX_EFI_INITRD_MEDIA_GUID (Linux drivers/firmware/efi/libstub/efi-stub-helper.c).

#pragma once

#include "device-path.hpp"
#include "types.hpp"

namespace efi {

struct LoadFile2Protocol {
        static constexpr Guid kGuid = {0x4006c0c1, 0xfcb3, 0x403e, {0x99, 0x6d, 0x4a, 0x6c, 0x87, 0x24, 0xe0, 0x6d}};

        Status (*LoadFile)(LoadFile2Protocol *self, DevicePath *file_path, uint8_t boot_policy, uintptr_t *buffer_size,
                           void *buffer);
};

inline constexpr Guid kLinuxInitrdMediaGuid = {0x5568e427, 0x68fc, 0x4f3d, {0xac, 0x74, 0xca, 0x55, 0x52, 0x31, 0xcc, 0x68}};

inline constexpr uint8_t kMediaVendorDp = 0x03;
inline constexpr uint8_t kEndDevicePath = kEndDevicePathType;

#pragma pack(push, 1)
// VENDOR_DEVICE_PATH followed by the end node.
struct InitrdDevicePath {
        DevicePath vendor;
        Guid vendor_guid;
        DevicePath end;
};
#pragma pack(pop)
static_assert(sizeof(InitrdDevicePath) == 24);

constexpr InitrdDevicePath make_initrd_device_path() {
        return InitrdDevicePath{
                {kMediaDevicePath, kMediaVendorDp, {sizeof(DevicePath) + sizeof(Guid), 0}},
                kLinuxInitrdMediaGuid,
                {kEndDevicePath, kEndEntireDevicePath, {sizeof(DevicePath), 0}},
        };
}

} // namespace efi
