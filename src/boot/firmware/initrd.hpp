// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Offering the initrd to the kernel the way Linux's EFI stub asks for it: EFI_LOAD_FILE2_PROTOCOL
// on a handle whose device path is the LINUX_EFI_INITRD_MEDIA vendor node. One registration at
// a time; the data must stay valid while it is registered.

#pragma once

#include "../../shared/base.hpp"
#include "../efi/system-table.hpp"

namespace zuki::boot {

class InitrdRegistration {
public:
        InitrdRegistration() = default;
        InitrdRegistration(const InitrdRegistration &) = delete;
        InitrdRegistration &operator=(const InitrdRegistration &) = delete;
        ~InitrdRegistration() { unregister(); }

        // Fails with EFI_ALREADY_STARTED when another initrd is registered already.
        efi::Status register_initrd(efi::BootServices *bs, Bytes data);
        void unregister();

private:
        efi::BootServices *bs_ = nullptr;
        efi::Handle handle_ = nullptr;
};

// True when some other component (a boot loader) registered an initrd already.
bool initrd_registered(efi::BootServices *bs);

} // namespace zuki::boot
