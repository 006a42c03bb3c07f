// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What the test-only EFI applications (initrd-liar.efi, edid-chain.efi; never installed) share:
// printing to the console, and the device path of \EFI\zuki\uki.efi on their own device, the UKI
// they start after preparing the firmware for it. Built like the stub (freestanding, no runtime).

#pragma once

#include "../../src/boot/efi/device-path.hpp"
#include "../../src/boot/efi/loaded-image.hpp"
#include "../../src/boot/efi/simple-text-output.hpp"
#include "../../src/boot/efi/system-table.hpp"

namespace test_app {

using LoadImageFn = efi::Status (*)(uint8_t boot_policy, efi::Handle parent, efi::DevicePath *path, void *source,
                                    uintptr_t source_size, efi::Handle *image);
using StartImageFn = efi::Status (*)(efi::Handle image, uintptr_t *exit_data_size, efi::Char16 **exit_data);

inline efi::SystemTable *g_st = nullptr;

inline void print(const char *s) {
        efi::Char16 buf[160];
        size_t n = 0;
        for (; *s && n + 3 < sizeof(buf) / sizeof(buf[0]); s++) {
                if (*s == '\n')
                        buf[n++] = u'\r';
                buf[n++] = (efi::Char16) (uint8_t) *s;
        }
        buf[n] = 0;
        g_st->ConOut->OutputString(g_st->ConOut, buf);
}

inline void print_hex(uint64_t v) {
        char buf[19] = "0x";
        for (int i = 0; i < 16; i++)
                buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
        buf[18] = 0;
        print(buf);
}

inline size_t device_path_size(const efi::DevicePath *dp) {
        const uint8_t *p = reinterpret_cast<const uint8_t *>(dp);
        size_t size = 0;
        for (;;) {
                const efi::DevicePath *node = reinterpret_cast<const efi::DevicePath *>(p + size);
                size_t len = node->Length[0] | (size_t) node->Length[1] << 8;
                if (node->Type == efi::kEndDevicePathType && node->SubType == efi::kEndEntireDevicePath)
                        return size;
                if (len < sizeof(efi::DevicePath))
                        return size;
                size += len;
        }
}

inline constexpr char16_t kUkiPath[] = u"\\EFI\\zuki\\uki.efi";

// The device path of `device` followed by a file path node for kUkiPath, in pool memory.
inline efi::DevicePath *uki_device_path(efi::BootServices *bs, efi::Handle device) {
        efi::DevicePath *dp = nullptr;
        if (efi::is_error(bs->HandleProtocol(device, &efi::DevicePath::kGuid, reinterpret_cast<void **>(&dp))))
                return nullptr;
        size_t prefix = device_path_size(dp);
        size_t file_node = sizeof(efi::DevicePath) + sizeof(kUkiPath);
        size_t total = prefix + file_node + sizeof(efi::DevicePath);
        void *mem = nullptr;
        if (efi::is_error(bs->AllocatePool(efi::MemoryType::LoaderData, total, &mem)))
                return nullptr;
        uint8_t *p = static_cast<uint8_t *>(mem);
        __builtin_memcpy(p, dp, prefix);
        efi::DevicePath *file = reinterpret_cast<efi::DevicePath *>(p + prefix);
        file->Type = efi::kMediaDevicePath;
        file->SubType = 0x04; // MEDIA_FILEPATH_DP
        file->Length[0] = (uint8_t) file_node;
        file->Length[1] = (uint8_t) (file_node >> 8);
        __builtin_memcpy(p + prefix + sizeof(efi::DevicePath), kUkiPath, sizeof(kUkiPath));
        efi::DevicePath *end = reinterpret_cast<efi::DevicePath *>(p + prefix + file_node);
        end->Type = efi::kEndDevicePathType;
        end->SubType = efi::kEndEntireDevicePath;
        end->Length[0] = sizeof(efi::DevicePath);
        end->Length[1] = 0;
        return static_cast<efi::DevicePath *>(mem);
}

// The UKI's path on the device `image` was loaded from; prints NAME: why, and null, when not found.
inline efi::DevicePath *uki_path_of(efi::Handle image, const char *name) {
        efi::BootServices *bs = g_st->BootServices;
        efi::LoadedImageProtocol *loaded = nullptr;
        if (efi::is_error(bs->HandleProtocol(image, &efi::LoadedImageProtocol::kGuid, reinterpret_cast<void **>(&loaded)))) {
                print(name);
                print(": no LoadedImage\n");
                return nullptr;
        }
        efi::DevicePath *path = uki_device_path(bs, loaded->DeviceHandle);
        if (!path) {
                print(name);
                print(": no device path\n");
        }
        return path;
}

} // namespace test_app
