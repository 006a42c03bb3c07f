// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Making a zboot image: the zuki stub with the zstd-compressed kernel appended as a section and
// the Linux zboot header in its MS-DOS header (docs/formats.md).

#pragma once

#include "compress.hpp"
#include "kernel-info.hpp"
#include "zboot.hpp"

namespace zuki {

using zboot::kPayloadSectionName;

struct ZbootImage {
        Buffer image;
        KernelInfo kernel;
        uint64_t uncompressed_size = 0; // the trailer: padded kernel (+ banner)
        uint64_t compressed_size = 0;   // the frame
        bool x86_direct = false;        // an x86 direct-boot payload with a .x86boot section
        std::string x86_codec;          // the bzImage's own codec (direct payloads)
        bool self_relocating = false;   // base relocations detached (src/shared/self-reloc.hpp)
        bool from_cache = false;        // taken from options.cache_dir (zboot-cache.hpp)
};

// Wraps `kernel` (a bzImage or arm64 Image) into a zboot image built on `stub`, which must be for
// the kernel's architecture. With options.cache_dir, an image made before from the same inputs by
// the same zuki is reused, and a new one is kept there (zboot-cache.hpp).
ZbootImage build_zboot(Bytes stub, Bytes kernel, const CompressOptions &options);

// The uncompressed payload for a kernel: its PE file zero-padded to SizeOfImage so one
// allocation of the trailer's size holds the loaded image. x86_64 payloads are followed by the
// NUL-terminated "Linux version …" banner from the setup header, because a bzImage holds that
// text only compressed and tools such as ukify find a zboot kernel's release by searching the
// decompressed payload for it.
Buffer kernel_payload(Bytes kernel, const KernelInfo &info);

struct ZbootContents {
        zboot::Header header;
        Bytes frame;
        uint64_t uncompressed_size = 0; // 0 for codecs without a size trailer
        Bytes x86boot;                  // the .x86boot section of an x86 direct-boot image
        bool header_rewritten = false;  // no zboot header (objcopy...): found through .payload
};

// Locates the payload of a zboot image file by its header (file offsets), or through its
// .payload section when the header is gone.
ZbootContents read_zboot(Bytes image);

} // namespace zuki
