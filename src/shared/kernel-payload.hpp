// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What the stub checks about a kernel before it consumes it: the `.linux` section of a UKI, or
// the stub's own image in zboot mode. One rule for both sides (docs/limits.md, "what the stub
// refuses, the host refuses first"): the stub calls these at the point it decides, and the host
// tool (zuki build, zboot, inspect; zuki-ukify through them) calls the same functions first.
//
// Three stages, by what they need:
//   check_kernel_payload()   the image only, no decompression: zboot header, codec, payload
//                            framing (one zstd frame, no skippable frame in front), size trailer,
//                            the .x86boot description (segments, entry, setup header) and its
//                            agreement with the trailer. The stub runs it before allocating.
//   check_command_line()     the command line against the kernel's setup-header cmdline_size
//                            (x86 direct boot only). The stub runs it when it writes boot_params,
//                            the host for every profile's .cmdline.
//   check_decompressed()     the decompressed payload: the x86 relocation table against the
//                            image. The stub meets it when it relocates; the host runs it after
//                            decompressing with libzstd.

#pragma once

#include "base.hpp"
#include "load-plan.hpp"
#include "pe.hpp"
#include "x86-boot.hpp"
#include "zboot.hpp"

namespace zuki::kernel {

// How the stub starts the kernel.
enum class Kind : uint8_t {
        PlainPe,       // an uncompressed PE kernel: loaded and started as it is
        SelfDecompressing, // a zboot image with another codec in .linux: its own EFI stub decompresses
        Zstd,          // a zstd zboot payload the stub decompresses and loads as a PE
        X86Direct,     // a zstd zboot payload with .x86boot: the stub enters the kernel itself
};

struct Payload {
        Kind kind = Kind::PlainPe;
        zboot::Header header;       // Zstd, X86Direct, SelfDecompressing
        zboot::ZstdPayload zstd;    // Zstd, X86Direct
        x86::Info x86;              // X86Direct
        bool header_rewritten = false; // no zboot header: found through the .payload section
};

// zstd's frame magic (RFC 8878, 3.1.1) and the range of skippable-frame magics (3.1.2).
inline constexpr uint32_t kZstdFrameMagic = zboot::kZstdFrameMagic;
inline constexpr uint32_t kZstdSkippableMagic = 0x184d2a50;
inline constexpr uint32_t kZstdSkippableMagicMask = 0xfffffff0;

// Where the image came from, which decides what a zboot image without zstd means.
enum class Origin : uint8_t {
        LinuxSection, // a UKI's .linux: a zboot image with another codec has its own stub
        SelfImage,    // the stub's own image in zboot mode: only zstd is ours to decompress
};

// The checks that need no decompression. `image` is a PE view of the kernel (a file view for a
// .linux section, a loaded view of the stub itself in zboot mode).
Result<Payload> check_kernel_payload(const pe::View &image, Origin origin);

// The command line (UTF-16, as the kernel gets it) fits the kernel's cmdline_size. Always true
// for kernels that read their command line through their own EFI stub.
Status check_command_line(const Payload &payload, Span<const char16_t> cmdline);
// The same for UTF-8 text (a .cmdline section up to its first NUL).
Status check_command_line_utf8(const Payload &payload, size_t utf8_length);

// A kernel PE the stub loads itself (a decompressed zstd payload, a plain PE in .linux): built
// for `machine` and loadable (load::plan). The stub's place_kernel() decides with it.
Result<load::Plan> check_loadable(const pe::View &file, uint16_t machine);

// The checks that need the decompressed payload (payload.zstd.decompressed_size bytes): a zstd
// payload is a PE kernel for `machine` the stub can load; an x86 direct-boot payload's size and
// relocation table agree with its .x86boot description.
Status check_decompressed(const Payload &payload, Bytes decompressed, uint16_t machine);

} // namespace zuki::kernel
