// SPDX-License-Identifier: LGPL-2.1-or-later

#include "initrd.hpp"

#include "../efi/load-file.hpp"
#include "log.hpp"

namespace zuki::boot {

namespace {

// The protocol instance is a global so that its LoadFile callback can find the data: firmware
// calls it with only the protocol pointer.
struct InitrdLoader {
        efi::LoadFile2Protocol protocol;
        const uint8_t *data;
        size_t size;
};

efi::Status load_initrd(efi::LoadFile2Protocol *self, efi::DevicePath *, uint8_t boot_policy, uintptr_t *buffer_size,
                        void *buffer);

constinit InitrdLoader g_loader = {{load_initrd}, nullptr, 0};
constinit efi::InitrdDevicePath g_device_path = efi::make_initrd_device_path();

efi::Status load_initrd(efi::LoadFile2Protocol *self, efi::DevicePath *, uint8_t boot_policy, uintptr_t *buffer_size,
                        void *buffer) {
        if (self != &g_loader.protocol || !buffer_size)
                return efi::kInvalidParameter;
        // LoadFile2 never serves boot-policy requests (UEFI 2.10, 13.2).
        if (boot_policy)
                return efi::kUnsupported;
        if (!buffer || *buffer_size < g_loader.size) {
                *buffer_size = g_loader.size;
                return efi::kBufferTooSmall;
        }
        __builtin_memcpy(buffer, g_loader.data, g_loader.size);
        *buffer_size = g_loader.size;
        return efi::kSuccess;
}

} // namespace

bool initrd_registered(efi::BootServices *bs) {
        // LocateDevicePath advances the pointer it is given, so probe with a copy.
        efi::InitrdDevicePath probe = efi::make_initrd_device_path();
        efi::DevicePath *dp = &probe.vendor;
        efi::Handle handle = nullptr;
        return !efi::is_error(bs->LocateDevicePath(&efi::LoadFile2Protocol::kGuid, &dp, &handle));
}

efi::Status InitrdRegistration::register_initrd(efi::BootServices *bs, Bytes data) {
        if (handle_)
                return efi::kInvalidParameter;
        g_loader.data = data.data();
        g_loader.size = data.size();
        efi::Handle handle = nullptr;
        efi::Status s = bs->InstallMultipleProtocolInterfaces(&handle, &efi::DevicePath::kGuid, &g_device_path,
                                                              &efi::LoadFile2Protocol::kGuid, &g_loader.protocol,
                                                              nullptr);
        if (efi::is_error(s))
                return s;
        bs_ = bs;
        handle_ = handle;
        return efi::kSuccess;
}

void InitrdRegistration::unregister() {
        if (!handle_)
                return;
        efi::Status s = bs_->UninstallMultipleProtocolInterfaces(handle_, &efi::DevicePath::kGuid, &g_device_path,
                                                                 &efi::LoadFile2Protocol::kGuid, &g_loader.protocol,
                                                                 nullptr);
        if (efi::is_error(s))
                log_warning("Failed to unregister the initrd: {}, ignoring", s);
        handle_ = nullptr;
        g_loader.data = nullptr;
        g_loader.size = 0;
}

} // namespace zuki::boot
