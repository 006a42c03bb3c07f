// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The Linux EFI zboot header: compression metadata stored in the unused fields of the PE image's
// MS-DOS header so that tools that do not run the image can find and decompress the payload
// (ukify does for zstd; see docs/formats.md for which loaders do not). Layout as in Linux
// drivers/firmware/efi/libstub/zboot-header.S; see docs/formats.md.

#pragma once

#include "base.hpp"
#include "pe.hpp"

namespace zuki::zboot {

inline constexpr uint32_t kImageTypeOffset = 0x04;     // "zimg"
inline constexpr uint32_t kPayloadOffsetOffset = 0x08; // le32 file offset of the payload
inline constexpr uint32_t kPayloadSizeOffset = 0x0c;   // le32 size of the compressed data
inline constexpr uint32_t kReservedOffset = 0x10;      // 8 bytes, zero
inline constexpr uint32_t kCodecOffset = 0x18;         // NUL-terminated compression type
inline constexpr uint32_t kCodecFieldSize = 32;
inline constexpr uint32_t kLinuxMagicOffset = 0x38;    // le32 LINUX_PE_MAGIC
inline constexpr uint32_t kHeaderEnd = 0x3c;           // e_lfanew follows; not ours
inline constexpr uint32_t kLinuxPeMagic = 0x818223cd;
// zstd's frame magic (RFC 8878, 3.1.1).
inline constexpr uint32_t kZstdFrameMagic = 0xfd2fb528;
// zstd payloads are followed by the uncompressed size as le32, outside the counted size.
inline constexpr uint32_t kSizeTrailerSize = 4;

enum class Codec : uint8_t { Zstd, Gzip, Other };

struct Header {
        uint32_t payload_offset = 0;
        uint32_t payload_size = 0;
        char codec_name[kCodecFieldSize + 1] = {};
        Codec codec = Codec::Other;

        // Bytes of the payload including the size trailer, where the codec has one.
        uint64_t stored_size() const {
                return (uint64_t) payload_size + (codec == Codec::Zstd ? kSizeTrailerSize : 0);
        }
};

// The section a zuki zboot image keeps its stored payload in (zstd frame + size trailer).
inline constexpr char kPayloadSectionName[] = ".payload";

// True when the image starts with "MZ" and carries "zimg" (without validating the rest).
bool has_header(Bytes image);

// Reads and validates the zboot header at the start of `image` (a file or a loaded image; only
// the first 64 bytes are read).
Result<Header> parse_header(Bytes image);

// The zboot header of a PE image; when the MS-DOS header holds none (objcopy and other PE
// rewriters replace it), the header a zuki `.payload` section implies: its data is a zstd frame
// followed by the size trailer. *rewritten (if given) says which. NotZboot when neither is there.
Result<Header> find_header(const pe::View &image, bool *rewritten = nullptr);

// The length of the zstd frame `data` starts with, from its frame and block headers (nothing is
// decompressed). Fails on a malformed header or a frame that runs past `data`.
Result<uint64_t> zstd_frame_size(Bytes data);

struct ZstdPayload {
        Bytes frame;                 // the compressed bytes (payload_size long)
        uint64_t decompressed_size = 0;
};

// Splits a zstd payload (frame followed by the le32 size trailer, `header.stored_size()` bytes)
// and checks the declared sizes against the limits.
Result<ZstdPayload> split_zstd_payload(const Header &header, Bytes stored);

// The stored payload (frame + trailer) of a zboot image: by file offset in a file view, through
// the section table in a loaded view (firmware loaded only the sections).
Result<Bytes> locate_stored_payload(const pe::View &image, const Header &header);

// The zstd payload of a zboot image: locate_stored_payload() then split_zstd_payload().
Result<ZstdPayload> locate_zstd_payload(const pe::View &image, const Header &header);

// Writes the zboot fields into the MS-DOS header of `image` (at least 64 bytes; "MZ" and
// e_lfanew stay as they are).
Status write_header(MutableBytes image, uint32_t payload_offset, uint32_t payload_size,
                    const char *codec_name);

} // namespace zuki::zboot
