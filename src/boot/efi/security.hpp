// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The firmware's image-verification hooks (PI 1.8, Vol. 2, 12.8-12.9: EFI_SECURITY_ARCH_PROTOCOL
// and EFI_SECURITY2_ARCH_PROTOCOL, which the DXE core's LoadImage() consults), and the protocols
// shim installs for the image it starts: SHIM_LOCK (its Verify() checks a PE image in memory
// against db, dbx, MokList, MokListX and shim's vendor certificate) and, from shim 16 on,
// SHIM_IMAGE_LOADER (shim then verifies every LoadImage() itself).

#pragma once

#include "device-path.hpp"
#include "types.hpp"

// shim's protocol functions are built without EFIAPI, so on x86_64 they use the System V ABI.
#if defined(__x86_64__)
#define ZUKI_SHIM_ABI __attribute__((sysv_abi))
#else
#define ZUKI_SHIM_ABI
#endif

namespace efi {

struct SecurityArchProtocol {
        static constexpr Guid kGuid = {0xa46423e3, 0x4617, 0x49f1, {0xb9, 0xff, 0xd1, 0xbf, 0xa9, 0x11, 0x58, 0x39}};

        // Judges the file at `file` (the firmware has not handed over its contents).
        Status (*FileAuthenticationState)(const SecurityArchProtocol *self, uint32_t authentication_status,
                                          const DevicePath *file);
};

struct Security2ArchProtocol {
        static constexpr Guid kGuid = {0x94ab2f58, 0x1438, 0x4ef1, {0x91, 0x52, 0x18, 0x94, 0x1a, 0x3a, 0x0e, 0x68}};

        // Judges an image given by path and, usually, contents (`buffer` may be null).
        Status (*FileAuthentication)(const Security2ArchProtocol *self, const DevicePath *path, void *buffer,
                                     uintptr_t size, uint8_t boot_policy);
};

struct ShimLockProtocol {
        static constexpr Guid kGuid = {0x605dab50, 0xe046, 0x4300, {0xab, 0xb6, 0x3d, 0xd8, 0x10, 0xdd, 0x8b, 0x23}};

        ZUKI_SHIM_ABI Status (*Verify)(const void *buffer, uint32_t size);
        void *Hash;
        void *ReadHeader;
};

// Only its presence matters here.
inline constexpr Guid kShimImageLoaderGuid = {0x1f492041, 0xfadb, 0x4e59, {0x9e, 0x57, 0x7c, 0xaf, 0xe7, 0x3a, 0x55, 0xab}};

} // namespace efi
