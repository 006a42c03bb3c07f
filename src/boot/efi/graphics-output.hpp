// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI_GRAPHICS_OUTPUT_PROTOCOL (UEFI 2.10, 12.9): only the mode information a kernel needs to
// keep using the firmware's framebuffer.

#pragma once

#include "types.hpp"

namespace efi {

enum class PixelFormat : uint32_t {
        RedGreenBlueReserved8 = 0,
        BlueGreenRedReserved8 = 1,
        BitMask = 2,
        BltOnly = 3,
};

struct PixelBitmask {
        uint32_t RedMask, GreenMask, BlueMask, ReservedMask;
};

struct GraphicsOutputModeInformation {
        uint32_t Version;
        uint32_t HorizontalResolution;
        uint32_t VerticalResolution;
        PixelFormat PixelFormat;
        PixelBitmask PixelInformation;
        uint32_t PixelsPerScanLine;
};

struct GraphicsOutputMode {
        uint32_t MaxMode;
        uint32_t Mode;
        GraphicsOutputModeInformation *Info;
        uintptr_t SizeOfInfo;
        PhysicalAddress FrameBufferBase;
        uintptr_t FrameBufferSize;
};

struct GraphicsOutputProtocol {
        static constexpr Guid kGuid = {0x9042a9de, 0x23dc, 0x4a38, {0x96, 0xfb, 0x7a, 0xde, 0xd0, 0x80, 0x51, 0x6a}};

        void *QueryMode;
        void *SetMode;
        void *Blt;
        GraphicsOutputMode *Mode;
};

// Linux: the random seed a boot loader hands to the kernel (include/linux/efi.h,
// LINUX_EFI_RANDOM_SEED_TABLE_GUID): a le32 size followed by that many bytes.
inline constexpr Guid kLinuxRandomSeedTableGuid = {0x1ce1e5bc, 0x7ceb, 0x42f2, {0x81, 0xe5, 0x8a, 0xad, 0xf1, 0x80, 0xf5, 0x7b}};

} // namespace efi
