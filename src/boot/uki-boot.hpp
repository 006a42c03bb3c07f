// SPDX-License-Identifier: LGPL-2.1-or-later
//
// UKI mode: the stub's own image carries .linux and the other UKI sections. Selects the profile,
// measures like systemd-stub, settles the command line, offers the initrd and boots .linux.

#pragma once

#include "../shared/pe.hpp"
#include "efi/loaded-image.hpp"
#include "efi/system-table.hpp"

namespace zuki::boot {

efi::Status boot_uki(efi::Handle image, efi::SystemTable *st, const efi::LoadedImageProtocol *loaded,
                     const pe::View &self);

// The kernel inside a .linux section (or a zboot image's own payload): decompresses a zstd zboot
// image, or loads a plain PE as it is, then starts it with `options` as its command line.
efi::Status boot_kernel_image(Bytes linux_image, efi::Handle image, efi::SystemTable *st,
                              const efi::LoadedImageProtocol *loaded, Span<const char16_t> options);

} // namespace zuki::boot
