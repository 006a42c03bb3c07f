// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The x86_64 direct boot path (src/shared/x86-boot.hpp, docs/zuki-stub.7): the stub does the
// job of both the kernel's EFI stub and its decompressor. It decompresses the flat vmlinux once
// into its final place (a random physical slot), applies the relocations for a random virtual
// offset, maps the kernel W^X, measures the command line and initrd into PCR 9 as the kernel's EFI
// stub would, builds boot_params, exits boot services and enters startup_64.

#pragma once

#include "../shared/base.hpp"
#include "../shared/kernel-payload.hpp"
#include "efi/system-table.hpp"
#include "firmware/placement.hpp"

namespace zuki::boot {

// Boots an x86 direct-boot payload that kernel::check_kernel_payload() accepted (kind X86Direct).
// Returns only on failure, after one log line.
efi::Status boot_x86_direct(const kernel::Payload &payload, const Placement &placement, Span<const char16_t> cmdline,
                            Bytes load_options, Bytes initrd, efi::Handle image, efi::SystemTable *st);

} // namespace zuki::boot
