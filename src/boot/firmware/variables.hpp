// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI variables the stub reads (SecureBoot) and the ones it sets for userspace under the boot
// loader interface vendor GUID (https://systemd.io/BOOT_LOADER_INTERFACE/): volatile, boot and
// runtime access, strings as UTF-16 with their NUL.

#pragma once

#include "../efi/system-table.hpp"

namespace zuki::boot {

inline constexpr efi::Guid kLoaderVendorGuid = {0x4a67b082, 0x0a4c, 0x41cf, {0xb6, 0xc7, 0x44, 0x0b, 0x29, 0xbb, 0x8c, 0x4f}};

void set_runtime_services(efi::RuntimeServices *rs);

// True only when the SecureBoot variable exists and holds 1.
bool secure_boot_enabled();

bool loader_variable_exists(const char16_t *name);
efi::Status set_loader_string(const char16_t *name, const char16_t *value);
efi::Status set_loader_u64(const char16_t *name, uint64_t value);

// A loader-vendor variable of at most `capacity` bytes into `data`: its size and attributes.
// kBufferTooSmall (with *size the real size) when it does not fit.
efi::Status get_loader_variable(const char16_t *name, void *data, size_t capacity, size_t *size, uint32_t *attributes);
// Sets a loader-vendor variable with the given attributes (e.g. non-volatile, boot-only).
efi::Status set_loader_variable(const char16_t *name, uint32_t attributes, const void *data, size_t size);
// A little-endian u64 loader-vendor variable (LoaderFeatures); false when absent or not 8 bytes.
bool get_loader_u64(const char16_t *name, uint64_t *value);

} // namespace zuki::boot
