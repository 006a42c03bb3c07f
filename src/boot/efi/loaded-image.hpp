// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI_LOADED_IMAGE_PROTOCOL (UEFI 2.10, 9.1).

#pragma once

#include "device-path.hpp"
#include "types.hpp"

namespace efi {

struct SystemTable;

struct LoadedImageProtocol {
        static constexpr Guid kGuid = {0x5b1b31a1, 0x9562, 0x11d2, {0x8e, 0x3f, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};
        static constexpr uint32_t kRevision = 0x1000;

        uint32_t Revision;
        Handle ParentHandle;
        SystemTable *SystemTable;
        Handle DeviceHandle;
        DevicePath *FilePath;
        void *Reserved;
        uint32_t LoadOptionsSize;
        void *LoadOptions;
        void *ImageBase;
        uint64_t ImageSize;
        MemoryType ImageCodeType;
        MemoryType ImageDataType;
        Status (*Unload)(Handle image);
};
static_assert(offsetof(LoadedImageProtocol, LoadOptionsSize) == 48);
static_assert(offsetof(LoadedImageProtocol, ImageBase) == 64);
static_assert(sizeof(LoadedImageProtocol) == 96);

} // namespace efi
