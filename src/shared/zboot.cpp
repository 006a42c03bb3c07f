// SPDX-License-Identifier: LGPL-2.1-or-later

#include "zboot.hpp"

#include "limits.hpp"
#include "pe.hpp"

namespace zuki::zboot {

namespace {

bool codec_is(const char *name, const char *want) {
        size_t i = 0;
        for (; want[i]; i++)
                if (name[i] != want[i])
                        return false;
        return name[i] == 0;
}

Codec classify(const char *name) {
        // Linux before v6.13 wrote "zstd22" for the same format.
        if (codec_is(name, "zstd") || codec_is(name, "zstd22"))
                return Codec::Zstd;
        if (codec_is(name, "gzip"))
                return Codec::Gzip;
        return Codec::Other;
}

} // namespace

Result<uint64_t> zstd_frame_size(Bytes data) {
        // RFC 8878, 3.1.1: magic, frame header, blocks up to the last one, optional checksum.
        if (data.size() < 5 || load_le32(data.data()) != kZstdFrameMagic)
                return Error::NotZstdFrame;
        uint8_t descriptor = data[4];
        if (descriptor & 0x08) // reserved bit
                return Error::NotZstdFrame;
        bool single_segment = descriptor & 0x20;
        static constexpr uint8_t kDictionaryIdSize[4] = {0, 1, 2, 4};
        static constexpr uint8_t kContentSizeSize[4] = {0, 2, 4, 8};
        uint64_t at = 5 + (single_segment ? 0 : 1) + kDictionaryIdSize[descriptor & 3];
        uint8_t fcs = descriptor >> 6;
        at += fcs == 0 && single_segment ? 1 : kContentSizeSize[fcs];
        for (;;) {
                if (data.size() < at + 3)
                        return Error::Truncated;
                uint32_t block = data[at] | data[at + 1] << 8 | data[at + 2] << 16;
                uint32_t type = (block >> 1) & 3, size = block >> 3;
                if (type == 3)
                        return Error::NotZstdFrame;
                at += 3 + (type == 1 ? 1 : size);
                if (at > data.size())
                        return Error::Truncated;
                if (block & 1)
                        break;
        }
        if (descriptor & 0x04)
                at += 4;
        if (at > data.size())
                return Error::Truncated;
        return at;
}

bool has_header(Bytes image) {
        return image.size() >= pe::kDosHeaderSize && image[0] == 'M' && image[1] == 'Z' &&
               bytes_equal(image.data() + kImageTypeOffset, "zimg", 4);
}

Result<Header> parse_header(Bytes image) {
        if (image.size() < pe::kDosHeaderSize)
                return Error::Truncated;
        if (!has_header(image))
                return Error::NotZboot;
        const uint8_t *p = image.data();
        if (load_le32(p + kLinuxMagicOffset) != kLinuxPeMagic)
                return Error::BadZbootHeader;

        Header h;
        h.payload_offset = load_le32(p + kPayloadOffsetOffset);
        h.payload_size = load_le32(p + kPayloadSizeOffset);

        // The codec name must be NUL-terminated inside its field and printable.
        size_t n = 0;
        for (; n < kCodecFieldSize && p[kCodecOffset + n]; n++) {
                uint8_t c = p[kCodecOffset + n];
                if (c < 0x21 || c > 0x7e)
                        return Error::BadZbootHeader;
                h.codec_name[n] = (char) c;
        }
        if (n == 0 || n == kCodecFieldSize)
                return Error::BadZbootHeader;
        h.codec = classify(h.codec_name);

        if (h.payload_size == 0 || h.payload_offset < pe::kDosHeaderSize)
                return Error::BadZbootHeader;
        if (h.payload_size > limits::kMaxCompressedSize)
                return Error::SizeLimit;
        return h;
}

Result<Header> find_header(const pe::View &image, bool *rewritten) {
        if (rewritten)
                *rewritten = false;
        if (has_header(image.image()))
                return parse_header(image.image());
        pe::Section s;
        if (!image.find(kPayloadSectionName, &s))
                return Error::NotZboot;
        // Only a zstd frame makes it ours; anything else is some other image's section.
        Bytes data = image.data(s);
        if (data.size() < 4 + kSizeTrailerSize || load_le32(data.data()) != kZstdFrameMagic)
                return Error::NotZboot;
        // The section may be longer than frame and trailer (its VirtualSize covers the padding of
        // its raw data, as systemd-stub 258+ requires): the frame says where it ends.
        uint64_t frame = ZUKI_TRY(zstd_frame_size(data));
        if (data.size() - frame < kSizeTrailerSize)
                return Error::PayloadOutOfBounds;
        Header h;
        h.payload_offset = s.raw_offset;
        h.payload_size = (uint32_t) frame;
        __builtin_memcpy(h.codec_name, "zstd", 5);
        h.codec = Codec::Zstd;
        if (h.payload_offset < pe::kDosHeaderSize)
                return Error::BadZbootHeader;
        if (h.payload_size > limits::kMaxCompressedSize)
                return Error::SizeLimit;
        if (rewritten)
                *rewritten = true;
        return h;
}

Result<ZstdPayload> split_zstd_payload(const Header &header, Bytes stored) {
        if (header.codec != Codec::Zstd)
                return Error::UnsupportedCodec;
        if (stored.size() != header.stored_size())
                return Error::PayloadOutOfBounds;
        ZstdPayload payload;
        payload.frame = Bytes(stored.data(), header.payload_size);
        payload.decompressed_size = load_le32(stored.data() + header.payload_size);
        if (payload.decompressed_size == 0)
                return Error::BadZbootHeader;
        if (payload.decompressed_size > limits::kMaxDecompressedSize)
                return Error::SizeLimit;
        return payload;
}

Result<Bytes> locate_stored_payload(const pe::View &image, const Header &header) {
        Bytes stored;
        if (image.layout() == pe::Layout::File) {
                if (!image.image().sub(header.payload_offset, header.stored_size(), &stored))
                        return Error::PayloadOutOfBounds;
                return stored;
        }
        uint32_t rva = ZUKI_TRY(image.file_range_to_rva(header.payload_offset, header.stored_size()));
        return Bytes(image.image().data() + rva, header.stored_size());
}

Result<ZstdPayload> locate_zstd_payload(const pe::View &image, const Header &header) {
        Bytes stored = ZUKI_TRY(locate_stored_payload(image, header));
        return split_zstd_payload(header, stored);
}

Status write_header(MutableBytes image, uint32_t payload_offset, uint32_t payload_size,
                    const char *codec_name) {
        if (image.size() < pe::kDosHeaderSize)
                return Error::NoSpace;
        size_t n = string_length(codec_name);
        if (n == 0 || n >= kCodecFieldSize)
                return Error::BadZbootHeader;
        uint8_t *p = image.data();
        for (uint32_t i = kImageTypeOffset; i < kHeaderEnd; i++)
                p[i] = 0;
        p[kImageTypeOffset + 0] = 'z';
        p[kImageTypeOffset + 1] = 'i';
        p[kImageTypeOffset + 2] = 'm';
        p[kImageTypeOffset + 3] = 'g';
        store_le32(p + kPayloadOffsetOffset, payload_offset);
        store_le32(p + kPayloadSizeOffset, payload_size);
        for (size_t i = 0; i < n; i++)
                p[kCodecOffset + i] = (uint8_t) codec_name[i];
        store_le32(p + kLinuxMagicOffset, kLinuxPeMagic);
        return ok_status();
}

} // namespace zuki::zboot
