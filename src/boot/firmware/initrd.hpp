// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Offering the initrd to the kernel the way Linux's EFI stub asks for it: EFI_LOAD_FILE2_PROTOCOL
// on a handle whose device path is the LINUX_EFI_INITRD_MEDIA vendor node. One registration at
// a time; the data must stay valid while it is registered.

#pragma once

#include "../../shared/base.hpp"
#include "../efi/system-table.hpp"
#include "pages.hpp"

namespace zuki::boot {

// Serves one initrd at a time. A boot loader (systemd-boot with "initrd" lines) may have
// registered an initrd before us: read_existing() reads it so it can be combined with ours, and
// serve() then swaps our LoadFile2 into the loader's handle instead of adding a second handle
// with the same device path (which firmware refuses). Everything is undone on destruction, in
// case the kernel returns.
class InitrdService {
public:
        InitrdService() = default;
        InitrdService(const InitrdService &) = delete;
        InitrdService &operator=(const InitrdService &) = delete;
        ~InitrdService() { stop(); }

        // Reads a previously registered initrd, if any (EFI_SUCCESS and empty existing() if none).
        efi::Status read_existing(efi::BootServices *bs);
        Bytes existing() const { return existing_; }

        // Offers `data` (which must stay valid) to the kernel.
        efi::Status serve(efi::BootServices *bs, Bytes data);
        void stop();

private:
        efi::BootServices *bs_ = nullptr;
        efi::Handle loader_handle_ = nullptr;  // the boot loader's registration, if any
        void *loader_interface_ = nullptr;
        Pages existing_pages_;
        Bytes existing_;
        efi::Handle own_handle_ = nullptr;     // our registration when there was none
        bool swapped_ = false;                 // our interface sits on the loader's handle
};

} // namespace zuki::boot
