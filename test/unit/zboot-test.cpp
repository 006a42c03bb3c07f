// SPDX-License-Identifier: LGPL-2.1-or-later
// The zboot header in the MS-DOS header (Linux zboot-header.S layout) and the zstd payload with
// its le32 size trailer.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "limits.hpp"
#include "pe-fixture.hpp"
#include "pe.hpp"
#include "zboot.hpp"

namespace zuki::zboot {
namespace {

Bytes bytes(const std::vector<uint8_t> &v) { return Bytes(v.data(), v.size()); }

// A 64-byte DOS header carrying a zboot header for `codec`, written field by field at the
// documented offsets (not through write_header), so parse_header is checked against the layout.
std::vector<uint8_t> dos_header(const std::string &codec, uint32_t payload_offset = 0x1000,
                                uint32_t payload_size = 0x200) {
        std::vector<uint8_t> h(pe::kDosHeaderSize, 0);
        h[0] = 'M';
        h[1] = 'Z';
        std::memcpy(h.data() + 0x04, "zimg", 4);
        store_le32(h.data() + 0x08, payload_offset);
        store_le32(h.data() + 0x0c, payload_size);
        std::memcpy(h.data() + 0x18, codec.data(), std::min<size_t>(codec.size(), 32));
        store_le32(h.data() + 0x38, 0x818223cd);
        store_le32(h.data() + 0x3c, 0x80);
        return h;
}

Error header_error(const std::vector<uint8_t> &h) { return parse_header(bytes(h)).error(); }

TEST(ZbootHeader, ParsesTheFieldsAtTheirDocumentedOffsets) {
        Result<Header> h = parse_header(bytes(dos_header("zstd", 0x3400, 0x1234)));
        ASSERT_TRUE(h.ok()) << describe(h.error());
        EXPECT_EQ(h->payload_offset, 0x3400u);
        EXPECT_EQ(h->payload_size, 0x1234u);
        EXPECT_STREQ(h->codec_name, "zstd");
        EXPECT_EQ(h->codec, Codec::Zstd);
        EXPECT_EQ(h->stored_size(), 0x1234u + 4); // the size trailer follows the frame
}

TEST(ZbootHeader, ClassifiesCodecNamesExactly) {
        const struct {
                const char *name;
                Codec codec;
        } cases[] = {{"zstd", Codec::Zstd},   {"zstd22", Codec::Zstd}, {"gzip", Codec::Gzip},
                     {"zstd2", Codec::Other}, {"zst", Codec::Other},   {"gzip9", Codec::Other},
                     {"lzma", Codec::Other},  {"ZSTD", Codec::Other}};
        for (auto c : cases) {
                Result<Header> h = parse_header(bytes(dos_header(c.name)));
                ASSERT_TRUE(h.ok()) << c.name;
                EXPECT_EQ(h->codec, c.codec) << c.name;
                EXPECT_STREQ(h->codec_name, c.name);
        }
}

TEST(ZbootHeader, GzipPayloadsHaveNoSizeTrailer) {
        Result<Header> h = parse_header(bytes(dos_header("gzip", 0x1000, 0x300)));
        ASSERT_TRUE(h.ok());
        EXPECT_EQ(h->stored_size(), 0x300u);
}

TEST(ZbootHeader, AcceptsAThirtyOneByteCodecName) {
        std::string name(31, 'x');
        Result<Header> h = parse_header(bytes(dos_header(name)));
        ASSERT_TRUE(h.ok());
        EXPECT_EQ(std::string(h->codec_name), name);
        EXPECT_EQ(h->codec, Codec::Other);
}

TEST(ZbootHeader, HasHeaderNeedsMzAndZimgOnly) {
        EXPECT_TRUE(has_header(bytes(dos_header("zstd"))));
        std::vector<uint8_t> h = dos_header("zstd");
        store_le32(h.data() + 0x38, 0); // not validated by has_header
        EXPECT_TRUE(has_header(bytes(h)));
        h[0] = 'X';
        EXPECT_FALSE(has_header(bytes(h)));
        EXPECT_FALSE(has_header(bytes(test::build(test::copy_layout_spec()))));
        std::vector<uint8_t> short_header = dos_header("zstd");
        short_header.resize(pe::kDosHeaderSize - 1);
        EXPECT_FALSE(has_header(bytes(short_header)));
        EXPECT_FALSE(has_header(Bytes()));
}

TEST(ZbootHeaderRejects, HeaderShorterThanTheDosHeader) {
        std::vector<uint8_t> h = dos_header("zstd");
        h.resize(kHeaderEnd);
        EXPECT_EQ(header_error(h), Error::Truncated);
        EXPECT_EQ(parse_header(Bytes()).error(), Error::Truncated);
}

TEST(ZbootHeaderRejects, MissingZimgAsNotZboot) {
        std::vector<uint8_t> h = dos_header("zstd");
        h[0x04] = 'Z';
        EXPECT_EQ(header_error(h), Error::NotZboot);
        h = dos_header("zstd");
        h[1] = 'X';
        EXPECT_EQ(header_error(h), Error::NotZboot);
}

TEST(ZbootHeaderRejects, WrongLinuxPeMagic) {
        std::vector<uint8_t> h = dos_header("zstd");
        store_le32(h.data() + 0x38, 0xcd238281); // byte-swapped
        EXPECT_EQ(header_error(h), Error::BadZbootHeader);
}

TEST(ZbootHeaderRejects, CodecNameNotTerminatedEmptyOrUnprintable) {
        EXPECT_EQ(header_error(dos_header(std::string(32, 'z'))), Error::BadZbootHeader);
        EXPECT_EQ(header_error(dos_header("")), Error::BadZbootHeader);
        EXPECT_EQ(header_error(dos_header("zs d")), Error::BadZbootHeader);
        EXPECT_EQ(header_error(dos_header("zst\x7f")), Error::BadZbootHeader);
}

TEST(ZbootHeaderRejects, ZeroPayloadSizeOrPayloadInsideTheDosHeader) {
        EXPECT_EQ(header_error(dos_header("zstd", 0x1000, 0)), Error::BadZbootHeader);
        EXPECT_EQ(header_error(dos_header("zstd", 0x20, 0x100)), Error::BadZbootHeader);
}

TEST(ZbootHeaderRejects, PayloadSizeOverTheCompressedLimit) {
        const uint32_t max = (uint32_t) limits::kMaxCompressedSize;
        EXPECT_TRUE(parse_header(bytes(dos_header("zstd", 0x1000, max))).ok());
        EXPECT_EQ(header_error(dos_header("zstd", 0x1000, max + 1)), Error::SizeLimit);
}

// A stored zstd payload: `frame_size` frame bytes, then the le32 uncompressed size.
std::vector<uint8_t> stored_payload(uint32_t frame_size, uint32_t trailer) {
        std::vector<uint8_t> v(frame_size + kSizeTrailerSize, 0x28);
        store_le32(v.data() + frame_size, trailer);
        return v;
}

TEST(ZstdPayload, SplitsTheFrameFromTheSizeTrailer) {
        Header h = *parse_header(bytes(dos_header("zstd", 0x1000, 0x20)));
        std::vector<uint8_t> stored = stored_payload(0x20, 0x50000);
        Result<ZstdPayload> p = split_zstd_payload(h, bytes(stored));
        ASSERT_TRUE(p.ok()) << describe(p.error());
        EXPECT_EQ(p->frame.data(), stored.data());
        EXPECT_EQ(p->frame.size(), 0x20u);
        EXPECT_EQ(p->decompressed_size, 0x50000u);
}

TEST(ZstdPayloadRejects, StoredBytesOfTheWrongLength) {
        Header h = *parse_header(bytes(dos_header("zstd", 0x1000, 0x20)));
        std::vector<uint8_t> stored = stored_payload(0x20, 0x50000);
        EXPECT_EQ(split_zstd_payload(h, Bytes(stored.data(), stored.size() - 1)).error(), Error::PayloadOutOfBounds);
        stored.push_back(0);
        EXPECT_EQ(split_zstd_payload(h, bytes(stored)).error(), Error::PayloadOutOfBounds);
        EXPECT_EQ(split_zstd_payload(h, Bytes()).error(), Error::PayloadOutOfBounds);
}

TEST(ZstdPayloadRejects, ZeroOrOversizedUncompressedSize) {
        Header h = *parse_header(bytes(dos_header("zstd", 0x1000, 0x20)));
        EXPECT_EQ(split_zstd_payload(h, bytes(stored_payload(0x20, 0))).error(), Error::BadZbootHeader);
        const uint32_t max = (uint32_t) limits::kMaxDecompressedSize;
        EXPECT_TRUE(split_zstd_payload(h, bytes(stored_payload(0x20, max))).ok());
        EXPECT_EQ(split_zstd_payload(h, bytes(stored_payload(0x20, max + 1))).error(), Error::SizeLimit);
        EXPECT_EQ(split_zstd_payload(h, bytes(stored_payload(0x20, 0xffffffff))).error(), Error::SizeLimit);
}

TEST(ZstdPayloadRejects, PayloadsOfOtherCodecs) {
        Header h = *parse_header(bytes(dos_header("gzip", 0x1000, 0x20)));
        EXPECT_EQ(split_zstd_payload(h, bytes(stored_payload(0x20, 0x100))).error(), Error::UnsupportedCodec);
}

TEST(ZbootWrite, RoundTripsAndKeepsTheImageAValidPe) {
        std::vector<uint8_t> file = test::build(test::copy_layout_spec());
        std::fill(file.begin() + 0x04, file.begin() + kHeaderEnd, 0xff); // stale bytes
        ASSERT_TRUE(write_header(MutableBytes(file.data(), file.size()), 0xc10, 0x3c, "zstd").ok());

        // The raw layout other loaders (QEMU, kexec-tools, ukify) read.
        EXPECT_EQ(std::memcmp(file.data(), "MZ", 2), 0);
        EXPECT_EQ(std::memcmp(file.data() + 0x04, "zimg", 4), 0);
        EXPECT_EQ(load_le32(file.data() + 0x08), 0xc10u);
        EXPECT_EQ(load_le32(file.data() + 0x0c), 0x3cu);
        EXPECT_EQ(load_le64(file.data() + 0x10), 0u);
        EXPECT_EQ(std::memcmp(file.data() + 0x18, "zstd", 5), 0);
        for (uint32_t i = 0x18 + 4; i < 0x38; i++)
                EXPECT_EQ(file[i], 0) << "codec field byte " << i;
        EXPECT_EQ(load_le32(file.data() + 0x38), kLinuxPeMagic);
        EXPECT_EQ(load_le32(file.data() + pe::kDosLfanewOffset), 0x80u);

        Result<Header> h = parse_header(bytes(file));
        ASSERT_TRUE(h.ok()) << describe(h.error());
        EXPECT_EQ(h->payload_offset, 0xc10u);
        EXPECT_EQ(h->payload_size, 0x3cu);
        EXPECT_EQ(h->codec, Codec::Zstd);

        // The payload sits in .data's raw data; a loader finds it through the section table.
        Result<pe::View> v = pe::View::parse(bytes(file), pe::Layout::File);
        ASSERT_TRUE(v.ok()) << describe(v.error());
        Result<uint32_t> rva = v->file_range_to_rva(h->payload_offset, h->stored_size());
        ASSERT_TRUE(rva.ok());
        EXPECT_EQ(*rva, 0x2010u);
}

TEST(ZbootWriteRejects, ShortImagesAndUnstorableCodecNames) {
        std::vector<uint8_t> small(pe::kDosHeaderSize - 1, 0);
        EXPECT_EQ(write_header(MutableBytes(small.data(), small.size()), 0x1000, 1, "zstd").error(), Error::NoSpace);
        std::vector<uint8_t> file = dos_header("zstd");
        const std::vector<uint8_t> before = file;
        MutableBytes m(file.data(), file.size());
        EXPECT_EQ(write_header(m, 0x1000, 1, "").error(), Error::BadZbootHeader);
        EXPECT_EQ(write_header(m, 0x1000, 1, std::string(32, 'z').c_str()).error(), Error::BadZbootHeader);
        EXPECT_EQ(file, before);
        EXPECT_TRUE(write_header(m, 0x1000, 1, std::string(31, 'z').c_str()).ok());
}

} // namespace
} // namespace zuki::zboot
