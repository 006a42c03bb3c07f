// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Loading the kernel's EFI PE image ourselves and starting it. The steps are separate functions
// so that placement (KASLR), memory protection (W^X) and measurement slot in between them:
//   decompress_kernel()  payload -> pages holding the kernel PE file
//   place_kernel()       PE file  -> pages holding the loaded image (in place when possible)
//   start_kernel()       loaded image -> LoadedImage handle -> entry point

#pragma once

#include "../shared/load-plan.hpp"
#include "../shared/zboot.hpp"
#include "efi/loaded-image.hpp"
#include "firmware/memory-protection.hpp"
#include "firmware/pages.hpp"
#include "firmware/placement.hpp"

namespace zuki::boot {

// A kernel PE image in memory: the file as decompressed, and once placed, the loaded image.
struct KernelImage {
        Bytes file;         // the kernel's PE file: in file_pages, or a UKI's .linux section
        Pages file_pages;   // holds a decompressed PE file (and, in place, the loaded image)
        Pages image_pages;  // the loaded image when it could not be placed in place
        load::Plan plan;
        uint8_t *base = nullptr; // start of the loaded image
        Placement placement;
        bool randomized = false; // placed at a random slot (then the kernel is told to stay there)
        // Declared after the pages: destroyed first, so permissions are undone before freeing.
        WxProtection protection;

        MutableBytes image() const { return MutableBytes(base, plan.image_size); }
};

// Decompresses a zstd zboot payload into fresh pages placed as `placement` says (random or
// fixed), so the image can stay where it was decompressed if its SectionAlignment allows.
efi::Status decompress_kernel(const zboot::ZstdPayload &payload, const Placement &placement, KernelImage *out);

// Uses an uncompressed PE kernel in place as the file to load (it is copied by place_kernel()
// into pages placed as `placement` says).
void use_plain_kernel(Bytes pe_file, const Placement &placement, KernelImage *out);

// Parses the decompressed (or embedded plain) PE file and produces the loaded image: copies and
// zeroes sections, applies relocations, maps it W^X. Refuses kernels for another architecture.
efi::Status place_kernel(KernelImage *kernel, efi::SystemTable *st);

// Starts the loaded kernel with a LoadedImage of its own (ImageBase/ImageSize of the loaded
// image, the parent's device, file path and load options). Returns only if the kernel does.
// `options` (UTF-16 with its NUL, may be empty) become the kernel's load options: its command line.
efi::Status start_kernel(KernelImage *kernel, efi::Handle parent, const efi::LoadedImageProtocol *parent_image,
                         Span<const char16_t> options, efi::SystemTable *st);

// place_kernel() then start_kernel(): what every mode does once it has the kernel's PE file.
efi::Status place_and_start_kernel(KernelImage *kernel, efi::Handle parent, const efi::LoadedImageProtocol *parent_image,
                                   Span<const char16_t> options, efi::SystemTable *st);

// Sets StubZukiPlacement ("kaslr=… wx=…", words only) for `zuki status`.
void report_placement(const Placement &placement, bool randomized, const char *wx_state);

// The architecture this stub runs (and therefore can start kernels for).
uint16_t native_machine();

efi::Status status_from(Error error);

} // namespace zuki::boot
