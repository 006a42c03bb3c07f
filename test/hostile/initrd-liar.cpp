// SPDX-License-Identifier: LGPL-2.1-or-later
//
// initrd-liar.efi — a test-only EFI application (never installed) that plays a hostile or broken
// boot loader. For each case it registers an initrd the way systemd-boot does (LoadFile2 on a
// handle whose device path is the LINUX_EFI_INITRD_MEDIA vendor node), but one whose declared
// size is absurd or which changes its size between calls, then LoadImage()s and StartImage()s
// \EFI\zuki\uki.efi from its own device and prints what came back:
//
//   initrd-liar: case NAME declared 0x… StartImage returned 0x… (reads 0x…)
//
// "reads" counts LoadFile calls that passed a buffer (the stub trying to fetch the data).
// After the last case it prints "initrd-liar: done" and returns an error, so the firmware moves
// on to its next boot option.

#include "../../src/boot/efi/load-file.hpp"
#include "../../src/boot/efi/loaded-image.hpp"
#include "../../src/boot/efi/simple-text-output.hpp"
#include "../../src/boot/efi/system-table.hpp"

namespace {

using LoadImageFn = efi::Status (*)(uint8_t boot_policy, efi::Handle parent, efi::DevicePath *path, void *source,
                                    uintptr_t source_size, efi::Handle *image);
using StartImageFn = efi::Status (*)(efi::Handle image, uintptr_t *exit_data_size, efi::Char16 **exit_data);

struct Case {
        const char *name;
        uint64_t declared;  // what the first (size) call reports
        uint64_t on_read;   // what a call with a buffer reports (BUFFER_TOO_SMALL), 0: fill it
};

// 2 GiB is zuki's kMaxInitrdSize (src/shared/limits.hpp); 1.75 GiB is within it but more than the
// guest's 1 GiB of memory.
constexpr Case kCases[] = {
        {"all-ones", ~uint64_t(0), 0},
        {"page-wrap", ~uint64_t(0) - 4094, 0},  // (size + 4095) / 4096 wraps to 0 pages
        {"over-limit", (uint64_t(2) << 30) + 1, 0},
        {"beyond-memory", uint64_t(7) << 28, 0},
        {"grows", 4096, uint64_t(1) << 40},     // a small size first, then a huge one
};

constinit uint64_t g_declared = 0;
constinit uint64_t g_on_read = 0;
constinit uint64_t g_reads = 0;

efi::Status liar_load_file(efi::LoadFile2Protocol *, efi::DevicePath *, uint8_t boot_policy, uintptr_t *buffer_size,
                           void *buffer) {
        if (!buffer_size || boot_policy)
                return efi::kInvalidParameter;
        if (!buffer || *buffer_size == 0) {
                *buffer_size = (uintptr_t) g_declared;
                return efi::kBufferTooSmall;
        }
        g_reads++;
        if (g_on_read) {
                *buffer_size = (uintptr_t) g_on_read;
                return efi::kBufferTooSmall;
        }
        // Never write: a declared size this stub accepted would be a bug the test reports anyway.
        return efi::kDeviceError;
}

constinit efi::LoadFile2Protocol g_protocol = {liar_load_file};
constinit efi::InitrdDevicePath g_initrd_path = efi::make_initrd_device_path();

efi::SystemTable *g_st = nullptr;

void print(const char *s) {
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

void print_hex(uint64_t v) {
        char buf[19] = "0x";
        for (int i = 0; i < 16; i++)
                buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
        buf[18] = 0;
        print(buf);
}

size_t device_path_size(const efi::DevicePath *dp) {
        const uint8_t *p = reinterpret_cast<const uint8_t *>(dp);
        size_t size = 0;
        for (;;) {
                const efi::DevicePath *node = reinterpret_cast<const efi::DevicePath *>(p + size);
                size_t len = node->Length[0] | (size_t) node->Length[1] << 8;
                if (node->Type == efi::kEndDevicePath && node->SubType == efi::kEndEntireDevicePath)
                        return size;
                if (len < sizeof(efi::DevicePath))
                        return size;
                size += len;
        }
}

constexpr char16_t kUkiPath[] = u"\\EFI\\zuki\\uki.efi";

// The device path of `device` followed by a file path node for kUkiPath, in pool memory.
efi::DevicePath *uki_device_path(efi::BootServices *bs, efi::Handle device) {
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
        end->Type = efi::kEndDevicePath;
        end->SubType = efi::kEndEntireDevicePath;
        end->Length[0] = sizeof(efi::DevicePath);
        end->Length[1] = 0;
        return static_cast<efi::DevicePath *>(mem);
}

} // namespace

extern "C" efi::Status efi_main(efi::Handle image, efi::SystemTable *st) {
        g_st = st;
        efi::BootServices *bs = st->BootServices;
        print("initrd-liar: start\n");
        efi::LoadedImageProtocol *loaded = nullptr;
        if (efi::is_error(bs->HandleProtocol(image, &efi::LoadedImageProtocol::kGuid, reinterpret_cast<void **>(&loaded)))) {
                print("initrd-liar: no LoadedImage\n");
                return efi::kLoadError;
        }
        efi::DevicePath *path = uki_device_path(bs, loaded->DeviceHandle);
        if (!path) {
                print("initrd-liar: no device path\n");
                return efi::kLoadError;
        }
        auto load_image = reinterpret_cast<LoadImageFn>(bs->LoadImage);
        auto start_image = reinterpret_cast<StartImageFn>(bs->StartImage);

        for (const Case &c : kCases) {
                g_declared = c.declared;
                g_on_read = c.on_read;
                g_reads = 0;
                efi::Handle handle = nullptr;
                efi::Status s = bs->InstallMultipleProtocolInterfaces(&handle, &efi::DevicePath::kGuid, &g_initrd_path,
                                                                      &efi::LoadFile2Protocol::kGuid, &g_protocol,
                                                                      nullptr);
                if (efi::is_error(s)) {
                        print("initrd-liar: cannot register the initrd\n");
                        return s;
                }
                efi::Handle child = nullptr;
                s = load_image(0, image, path, nullptr, 0, &child);
                if (efi::is_error(s)) {
                        print("initrd-liar: LoadImage failed ");
                        print_hex((uint64_t) s);
                        print("\n");
                } else {
                        s = start_image(child, nullptr, nullptr);
                        print("initrd-liar: case ");
                        print(c.name);
                        print(" declared ");
                        print_hex(c.declared);
                        print(" StartImage returned ");
                        print_hex((uint64_t) s);
                        print(" (reads ");
                        print_hex(g_reads);
                        print(")\n");
                }
                bs->UninstallMultipleProtocolInterfaces(handle, &efi::DevicePath::kGuid, &g_initrd_path,
                                                        &efi::LoadFile2Protocol::kGuid, &g_protocol, nullptr);
        }
        print("initrd-liar: done\n");
        return efi::kAborted;
}
