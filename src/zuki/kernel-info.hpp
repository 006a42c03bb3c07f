// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Recognising Linux kernels with an EFI stub: an x86_64 bzImage (the real-mode "HdrS" setup
// header, Documentation/arch/x86/boot.rst) or an arm64 Image (the "ARM\x64" magic of the Image
// header, Documentation/arch/arm64/booting.rst), each a PE32+ EFI application.

#pragma once

#include <string>

#include "file-io.hpp"
#include "pe.hpp"

namespace zuki {

struct KernelInfo {
        uint16_t machine = 0;
        std::string release; // "6.1.0-50-amd64", empty when not found
        std::string banner;  // "Linux version 6.1.0-50-amd64 (…) #1 SMP …", when found
        uint32_t size_of_image = 0;
        uint64_t file_size = 0;
};

inline constexpr uint32_t kX86SetupMagicOffset = 0x202;     // "HdrS"
inline constexpr uint32_t kX86KernelVersionOffset = 0x20e;  // le16, relative to 0x200
inline constexpr uint32_t kArm64ImageMagicOffset = 0x38;    // "ARM\x64"
// Linux riscv Image header (Documentation/arch/riscv/boot-image-header.rst): "RSC\x05" at 0x38
// (magic2; magic "RISCV\0\0\0" at 0x30 is deprecated but still written).
inline constexpr uint32_t kRiscvImageMagicOffset = 0x38;

// True for a zboot image: one with the zboot header, or a zuki one whose MS-DOS header a tool
// rewrote (zboot::find_header). Nothing is validated beyond finding it.
bool is_zboot_image(Bytes image);

// Identifies a kernel PE; throws Failure naming `what` when it is not one we can wrap.
KernelInfo identify_kernel(Bytes image, const std::string &what);

// Identifies the payload of a zboot image: a kernel PE, or for x86 direct-boot images (those
// with a .x86boot section) the flat vmlinux image, whose release comes from its banner.
KernelInfo identify_zboot_payload(Bytes payload, bool x86_direct, const std::string &what);

} // namespace zuki
