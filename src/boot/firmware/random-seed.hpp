// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The random seed, as systemd-stub 262 handles it when no boot loader did (refresh_random_seed):
// \loader\random-seed on the EFI system partition we were loaded from, EFI_RNG_PROTOCOL, the
// LoaderSystemToken variable, the previous LINUX_EFI_RANDOM_SEED_TABLE, the monotonic counter and
// the clock are hashed (shared/boot-secret.hpp); the file is rewritten before use and a new table
// of 32 bytes is installed for the kernel. Skipped when LoaderFeatures says a boot loader
// (systemd-boot) did it already. Every failure is one line (debug where systemd is silent too);
// the boot goes on without a new seed.

#pragma once

#include "../efi/loaded-image.hpp"
#include "../efi/system-table.hpp"

namespace zuki::boot {

void refresh_random_seed(efi::SystemTable *st, const efi::LoadedImageProtocol *loaded);

} // namespace zuki::boot
