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

} // namespace zuki::boot
