// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Where the stub was loaded from, as the boot loader interface reports it: the GPT partition
// UUID of the device (…DevicePartUUID), the URL it was network-booted from (…DeviceURL) and the
// image's file path as text (…ImageIdentifier); and
// the firmware's keyboard layout language (LoaderKeyboardLayout, systemd 262).

#pragma once

#include "../../shared/hii-keyboard.hpp"
#include "pages.hpp"
#include "../efi/loaded-image.hpp"
#include "../efi/system-table.hpp"

namespace zuki::boot {

// "5A554B49-0000-4000-8000-000000000001" (upper case, as systemd writes it) when the image was
// loaded from a GPT partition; false otherwise (e.g. QEMU's -kernel).
bool partition_uuid(efi::BootServices *bs, efi::Handle device, char16_t (&out)[37]);

// The URI of the device path of `device` (HTTP boot: "http://host/path/uki.efi"), as UTF-16 with a
// NUL, in `out`; false when the device has no path, no URI node or an empty one.
bool device_url(efi::BootServices *bs, efi::Handle device, PoolArray<char16_t> *out);

// The image's file path as text, a pool allocation to FreePool, or null.
char16_t *image_identifier(efi::BootServices *bs, const efi::LoadedImageProtocol *loaded);

// The language tag of the HII database's current keyboard layout (e.g. "en-US"); false, with a
// debug line, when the firmware has no HII database, no current layout or a malformed one.
bool keyboard_layout_language(efi::BootServices *bs, hii::KeyboardLanguage *out);

} // namespace zuki::boot
