// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The boot secret of systemd-stub 261+ (shared/boot-secret.hpp has the recipe): LoaderBootSecret
// (non-volatile, boot-services only, so the OS never sees it) and \loader\boot-secret-mixin on the
// volume we were loaded from are read, or created from the random seed table when missing; the
// derived secret goes to /.extra/boot-secret (mode 0400, not measured). Nothing is made unless
// every input is there; each reason is one debug line, as in systemd, and the boot goes on.

#pragma once

#include "../../shared/base.hpp"
#include "../../shared/boot-secret.hpp"
#include "../efi/loaded-image.hpp"
#include "../efi/system-table.hpp"

namespace zuki::boot {

// True with the secret in `out` when one could be made.
bool prepare_boot_secret(efi::SystemTable *st, const efi::LoadedImageProtocol *loaded, Bytes osrel,
                         uint8_t (&out)[secret::kSize]);

} // namespace zuki::boot
