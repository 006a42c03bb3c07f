// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The x86_64 direct boot path (src/shared/x86-boot.hpp, docs/zuki-stub.7): the stub does the
// job of both the kernel's EFI stub and its decompressor. It decompresses the flat vmlinux once
// into its final place (a random physical slot), applies the relocations for a random virtual
// offset, maps the kernel W^X, measures the command line and initrd into PCR 9 as the kernel's EFI
// stub would, builds boot_params, exits boot services and enters startup_64.

#pragma once

#include "../shared/base.hpp"
#include "../shared/pe.hpp"
#include "../shared/zboot.hpp"
#include "efi/system-table.hpp"
#include "firmware/placement.hpp"

namespace zuki::boot {

// The .x86boot section of a zboot image (a loaded view of ourselves, or a UKI's .linux file
// view), if it has one.
bool find_x86_direct(const pe::View &zboot_image, Bytes *section);

// Boots the kernel described by `section` from `payload`. `cmdline` is the command line as UTF-16
// (a NUL ends it early), `load_options` the bytes the kernel's EFI stub would have measured as its
// LoadOptions, `initrd` the initrd (may be empty). Returns only on failure, with one line logged.
efi::Status boot_x86_direct(Bytes section, const zboot::ZstdPayload &payload, const Placement &placement,
                            Span<const char16_t> cmdline, Bytes load_options, Bytes initrd, efi::Handle image,
                            efi::SystemTable *st);

} // namespace zuki::boot
