// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Preparing an x86_64 bzImage for the stub's direct boot path (src/shared/x86-boot.hpp): the
// compressed vmlinux.bin + vmlinux.relocs at the setup header's payload_offset is decompressed
// with the codec the kernel was built with (gzip, xz, lzma, lz4, zstd, through the distribution's
// libraries), its PT_LOAD segments are laid out as the flat memory image the kernel's own
// decompressor would produce, and the relocation table is checked entry by entry.

#pragma once

#include <optional>
#include <string>

#include "file-io.hpp"
#include "x86-boot.hpp"

namespace zuki {

struct X86DirectKernel {
        Buffer payload;        // the flat image (info.file_size bytes, branch-filtered) then the relocation table
        Buffer section;        // the .x86boot section
        Buffer setup_header;   // backing store of info.setup_header
        x86::Info info;
        x86::RelocationCounts relocations;
        std::string codec;     // the bzImage's own payload codec
        uint64_t vmlinux_size = 0; // the stripped ELF as decompressed
        uint64_t branch_fields = 0; // CALL/JMP displacements the branch filter converted
};

// The bzImage's compressed payload codec by its magic ("gzip", "xz", "lzma", "lz4", "zstd",
// "bzip2", "lzo", or "unknown").
std::string x86_payload_codec(Bytes payload);

// Decompresses the bzImage payload (`payload` includes the 4-byte size trailer the kernel's
// build appends). Throws Failure for corrupt data or a codec we cannot read.
Buffer x86_decompress_payload(Bytes payload);

// Prepares `bzimage` for direct boot. Returns nothing and sets *why_not when the kernel does not
// qualify (not 64-bit, not relocatable, no relocation table, old boot protocol, a codec we cannot
// read); throws Failure when the kernel claims to qualify but its contents are inconsistent.
std::optional<X86DirectKernel> prepare_x86_direct(Bytes bzimage, std::string *why_not);

} // namespace zuki
