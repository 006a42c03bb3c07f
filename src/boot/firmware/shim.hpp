// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Loading an image (an addon) so that shim's Machine Owner Keys count, as systemd-stub 262 does.
// shim 16 replaces LoadImage() with its own verifying loader, so a plain LoadImage() checks db,
// MokList and shim's vendor certificate. shim 15.x only offers SHIM_LOCK's Verify(): there,
// under Secure Boot, the firmware's security hooks are pointed at Verify() for the length of one
// LoadImage() and fall back to the firmware's own verdict when shim says no.

#pragma once

#include "../efi/system-table.hpp"
#include "pages.hpp"

namespace zuki::boot {

// Reads the whole image being loaded, for a security hook the firmware calls with a path only.
struct ImageReader {
        efi::Status (*read)(void *context, PoolArray<uint8_t> *out);
        void *context;
};

// LoadImage() of `path` from `parent`'s point of view (boot policy false, no source buffer).
// `secure_boot`: the SecureBoot variable is 1 (without it shim's Verify() is not consulted).
efi::Status load_image_through_shim(efi::Handle parent, efi::DevicePath *path, bool secure_boot,
                                    const ImageReader &reader, efi::Handle *image);

} // namespace zuki::boot
