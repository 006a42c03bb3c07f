// SPDX-License-Identifier: LGPL-2.1-or-later

#include "initrd.hpp"

#include "../../shared/limits.hpp"
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

efi::Status InitrdService::read_existing(efi::BootServices *bs) {
        bs_ = bs;
        // LocateDevicePath advances the pointer it is given, so probe with a copy.
        efi::InitrdDevicePath probe = efi::make_initrd_device_path();
        efi::DevicePath *dp = &probe.vendor;
        efi::Handle handle = nullptr;
        if (efi::is_error(bs->LocateDevicePath(&efi::LoadFile2Protocol::kGuid, &dp, &handle)))
                return efi::kSuccess; // none registered
        efi::LoadFile2Protocol *lf2 = nullptr;
        efi::Status s = bs->HandleProtocol(handle, &efi::LoadFile2Protocol::kGuid, reinterpret_cast<void **>(&lf2));
        if (efi::is_error(s))
                return log_error(s, "Failed to open the boot loader's initrd");

        efi::InitrdDevicePath file_path = efi::make_initrd_device_path();
        uintptr_t size = 0;
        s = lf2->LoadFile(lf2, &file_path.vendor, false, &size, nullptr);
        if (s != efi::kBufferTooSmall && efi::is_error(s))
                return log_error(s, "Failed to get the size of the boot loader's initrd");
        // The size is the loader's word: bound it before it becomes an allocation (a page count
        // computed from a size near 2^64 wraps).
        if (size > limits::kMaxInitrdSize)
                return log_error(efi::kBadBufferSize, "The boot loader's initrd declares {} bytes, the limit is {}",
                                 (uint64_t) size, limits::kMaxInitrdSize);
        if (size > 0) {
                s = allocate_aligned(size, efi::kPageSize, efi::MemoryType::LoaderData, &existing_pages_);
                if (efi::is_error(s))
                        return s;
                uintptr_t got = size;
                s = lf2->LoadFile(lf2, &file_path.vendor, false, &got, existing_pages_.data());
                if (efi::is_error(s) || got != size)
                        return log_error(efi::is_error(s) ? s : efi::kLoadError,
                                         "Failed to read the boot loader's initrd");
                existing_ = Bytes(existing_pages_.data(), size);
        }
        loader_handle_ = handle;
        loader_interface_ = lf2;
        return efi::kSuccess;
}

efi::Status InitrdService::serve(efi::BootServices *bs, Bytes data) {
        bs_ = bs;
        g_loader.data = data.data();
        g_loader.size = data.size();
        if (loader_handle_) {
                efi::Status s = bs->ReinstallProtocolInterface(loader_handle_, &efi::LoadFile2Protocol::kGuid,
                                                               loader_interface_, &g_loader.protocol);
                if (efi::is_error(s))
                        return log_error(s, "Failed to take over the boot loader's initrd registration");
                swapped_ = true;
                return efi::kSuccess;
        }
        efi::Handle handle = nullptr;
        efi::Status s = bs->InstallMultipleProtocolInterfaces(&handle, &efi::DevicePath::kGuid, &g_device_path,
                                                              &efi::LoadFile2Protocol::kGuid, &g_loader.protocol,
                                                              nullptr);
        if (efi::is_error(s))
                return log_error(s, "Failed to register the initrd");
        own_handle_ = handle;
        return efi::kSuccess;
}

void InitrdService::stop() {
        efi::Status s = efi::kSuccess;
        if (swapped_)
                s = bs_->ReinstallProtocolInterface(loader_handle_, &efi::LoadFile2Protocol::kGuid, &g_loader.protocol,
                                                    loader_interface_);
        else if (own_handle_)
                s = bs_->UninstallMultipleProtocolInterfaces(own_handle_, &efi::DevicePath::kGuid, &g_device_path,
                                                             &efi::LoadFile2Protocol::kGuid, &g_loader.protocol, nullptr);
        if (efi::is_error(s))
                log_warning("Failed to unregister the initrd: {}, ignoring", s);
        swapped_ = false;
        own_handle_ = nullptr;
        g_loader.data = nullptr;
        g_loader.size = 0;
}

} // namespace zuki::boot
