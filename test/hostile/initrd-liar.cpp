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
#include "../lib/efi-test-app.hpp"

namespace {

using namespace test_app;

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

} // namespace

extern "C" efi::Status efi_main(efi::Handle image, efi::SystemTable *st) {
        g_st = st;
        efi::BootServices *bs = st->BootServices;
        print("initrd-liar: start\n");
        efi::DevicePath *path = uki_path_of(image, "initrd-liar");
        if (!path)
                return efi::kLoadError;
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
