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

// shim 15.x hooks ExitBootServices and halts ("Bootloader has not verified loaded image. System
// is compromised. halting.") unless the image it started took part in verification: called
// SHIM_LOCK's Verify(), or started an image through LoadImage()/StartImage(). The kernel the stub
// starts is a section of the image shim verified, so under Secure Boot with shim 15.x (SHIM_LOCK,
// no SHIM_IMAGE_LOADER) this calls Verify() on an empty buffer: shim counts the call and, before
// reading a PE header, neither checks nor measures anything. (systemd-stub 262 gets the same
// effect by starting its kernel through LoadImage()/StartImage() under a security override that
// accepts its own buffer; neither adds a PCR 4 event.) True when it told shim.
bool tell_old_shim_we_take_part(bool secure_boot);

} // namespace zuki::boot
