// SPDX-License-Identifier: LGPL-2.1-or-later
// The stub's kernel checks (kernel-payload.hpp), which the host runs first: hand-made zboot images
// with one thing wrong each, and the reason each one is refused for.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernel-payload.hpp"
#include "pe-fixture.hpp"
#include "x86-fixture.hpp"
#include "zboot.hpp"

namespace zuki::kernel {
namespace {

using test::ImageSpec;
using test::SectionSpec;
using x86::M;

constexpr uint32_t kPayloadOffset = 0x600;
constexpr uint32_t kFrameSize = 0x1fc; // + the 4-byte trailer = one 0x200 raw section

// The x86 description of a tiny kernel: code page, two data pages, a 12-byte relocation table.
struct Direct {
        std::vector<uint8_t> header = x86::setup_header(0x4000);
        x86::Info info;
        std::vector<uint8_t> bytes;
        Direct() {
                info.load_address = 16 * M;
                info.image_size = 0x3000;
                info.file_size = 0x3000;
                info.relocs_size = 12;
                info.entry_offset = 0x10;
                info.segments[0] = {0, 0x1000, x86::kSegmentExecutable};
                info.segments[1] = {0x1000, 0x2000, x86::kSegmentWritable};
                info.segment_count = 2;
                info.setup_header = Bytes(header.data(), header.size());
        }
        std::vector<uint8_t> serialized() {
                bytes.assign(x86::serialized_size(info), 0);
                EXPECT_TRUE(x86::serialize(info, MutableBytes(bytes.data(), bytes.size())).ok());
                return bytes;
        }
};

// A zboot image: .text, the .payload section holding a frame that starts with `magic` and the
// size trailer `decompressed`, and an .x86boot section when `x86boot` is not empty.
struct Zboot {
        std::string codec = "zstd";
        uint32_t magic = kZstdFrameMagic;
        uint32_t decompressed = 0x300c;
        uint32_t payload_size = kFrameSize;
        std::vector<uint8_t> x86boot;
        bool zimg = true;
        const char *payload_name = ".payload";

        std::vector<uint8_t> build() const {
                ImageSpec spec;
                spec.entry_point = 0x1000;
                spec.sections.push_back(SectionSpec{".text", 0x1000, 0x200, 0x400, 0x200, test::kText, {}});
                // A well-formed frame of kFrameSize bytes: single segment, a one-byte content
                // size, then one last raw block filling the rest.
                std::vector<uint8_t> payload(kFrameSize + 4, 0x11);
                store_le32(payload.data(), magic);
                payload[4] = 0x20;
                uint32_t block = kFrameSize - 9;
                payload[6] = (uint8_t) (block << 3 | 1);
                payload[7] = (uint8_t) (block >> 5);
                payload[8] = (uint8_t) (block >> 13);
                store_le32(payload.data() + kFrameSize, decompressed);
                spec.sections.push_back(SectionSpec{payload_name, 0x2000, 0x200, kPayloadOffset, 0x200, test::kData, payload});
                uint32_t next_va = 0x3000, next_raw = 0x800;
                if (!x86boot.empty()) {
                        uint32_t raw = (uint32_t) ((x86boot.size() + 0x1ff) & ~0x1ffu);
                        spec.sections.push_back(SectionSpec{".x86boot", next_va, (uint32_t) x86boot.size(), next_raw, raw,
                                                            pe::kScnCntInitializedData | pe::kScnMemRead, x86boot});
                        next_va += 0x1000;
                }
                spec.size_of_image = next_va;
                std::vector<uint8_t> f = test::build(spec);
                if (zimg)
                        EXPECT_TRUE(zboot::write_header(MutableBytes(f.data(), f.size()), kPayloadOffset, payload_size,
                                                        codec.c_str())
                                            .ok());
                return f;
        }
};

Result<Payload> check(const std::vector<uint8_t> &image, Origin origin = Origin::LinuxSection) {
        Result<pe::View> view = pe::View::parse(Bytes(image.data(), image.size()), pe::Layout::File);
        if (!view)
                return view.error();
        return check_kernel_payload(*view, origin);
}

TEST(KernelPayload, PlainPeIsBootedAsItIsInLinuxButIsNoZbootPayloadOfOurOwn) {
        Zboot z;
        z.zimg = false;
        z.payload_name = ".data";
        ASSERT_TRUE(check(z.build()));
        EXPECT_EQ(check(z.build())->kind, Kind::PlainPe);
        EXPECT_EQ(check(z.build(), Origin::SelfImage).error(), Error::NotZboot);
        // A .payload section that holds no zstd frame is some other image's section.
        z.payload_name = ".payload";
        z.magic = 0x12345678;
        EXPECT_EQ(check(z.build())->kind, Kind::PlainPe);
        EXPECT_EQ(check(z.build(), Origin::SelfImage).error(), Error::NotZboot);
}

// objcopy rewrites the MS-DOS header: without the zboot header, a .payload section holding a
// zstd frame and the size trailer is the payload, found the same in both views.
TEST(KernelPayload, RewrittenHeaderIsFoundThroughThePayloadSection) {
        Zboot z;
        z.zimg = false;
        std::vector<uint8_t> image = z.build();
        for (Origin origin : {Origin::LinuxSection, Origin::SelfImage}) {
                Result<Payload> p = check(image, origin);
                ASSERT_TRUE(p) << describe(p.error());
                EXPECT_EQ(p->kind, Kind::Zstd);
                EXPECT_TRUE(p->header_rewritten);
                EXPECT_EQ(p->header.payload_offset, kPayloadOffset);
                EXPECT_EQ(p->header.payload_size, kFrameSize);
                EXPECT_EQ(p->zstd.frame.data(), image.data() + kPayloadOffset);
                EXPECT_EQ(p->zstd.decompressed_size, 0x300cu);
        }
        // With the header, the same payload and no rewrite.
        Result<Payload> with_header = check(Zboot{}.build());
        ASSERT_TRUE(with_header);
        EXPECT_FALSE(with_header->header_rewritten);
        EXPECT_EQ(with_header->header.payload_size, kFrameSize);
}

// systemd-stub 258+ needs VirtualSize >= SizeOfRawData, so the .payload section's memory covers
// its padding: the frame's own headers say where it ends, not the section's size.
TEST(KernelPayload, RewrittenHeaderFindsTheFrameEndInAPaddedSection) {
        Zboot z;
        z.zimg = false;
        std::vector<uint8_t> image = z.build();
        // The test image's .payload section is 0x200 bytes in memory and file; a frame of
        // kFrameSize - 0x100 bytes leaves 0x100 bytes of padding after its trailer.
        uint8_t *frame = image.data() + kPayloadOffset;
        uint32_t block = kFrameSize - 0x100 - 9;
        frame[6] = (uint8_t) (block << 3 | 1);
        frame[7] = (uint8_t) (block >> 5);
        frame[8] = (uint8_t) (block >> 13);
        store_le32(frame + kFrameSize - 0x100, 0x300c);
        __builtin_memset(frame + kFrameSize - 0x100 + 4, 0, 0x100);
        Result<Payload> p = check(image, Origin::SelfImage);
        ASSERT_TRUE(p) << describe(p.error());
        EXPECT_EQ(p->header.payload_size, kFrameSize - 0x100);
        EXPECT_EQ(p->zstd.decompressed_size, 0x300cu);
        // A block that claims to run past the section is a truncated frame, not a payload.
        frame[8] = 0x7f;
        EXPECT_FALSE(check(image, Origin::SelfImage));
}

TEST(KernelPayload, ZstdPayloadIsDecompressedByTheStub) {
        Result<Payload> p = check(Zboot{}.build());
        ASSERT_TRUE(p);
        EXPECT_EQ(p->kind, Kind::Zstd);
        EXPECT_EQ(p->zstd.frame.size(), kFrameSize);
        EXPECT_EQ(p->zstd.decompressed_size, 0x300cu);
}

TEST(KernelPayload, BrokenZbootHeaderIsRefusedNotStartedAsAPlainPe) {
        Zboot z;
        z.payload_size = 0;
        EXPECT_EQ(check(z.build()).error(), Error::BadZbootHeader);
        EXPECT_EQ(check(z.build(), Origin::SelfImage).error(), Error::BadZbootHeader);
}

TEST(KernelPayload, OnlyOneZstdFrameFromTheFirstByte) {
        Zboot z;
        z.magic = kZstdSkippableMagic | 0x7;
        EXPECT_EQ(check(z.build()).error(), Error::ZstdSkippableFrame);
        z.magic = 0x12345678;
        EXPECT_EQ(check(z.build()).error(), Error::NotZstdFrame);
}

TEST(KernelPayload, OtherCodecsRunTheirOwnStubButNeverWithX86Boot) {
        Zboot z;
        z.codec = "gzip";
        ASSERT_TRUE(check(z.build()));
        EXPECT_EQ(check(z.build())->kind, Kind::SelfDecompressing);
        EXPECT_EQ(check(z.build(), Origin::SelfImage).error(), Error::UnsupportedCodec);
        z.x86boot = Direct().serialized();
        EXPECT_EQ(check(z.build()).error(), Error::X86NeedsZstd);
}

TEST(KernelPayload, X86DescriptionMustParseAndAgreeWithTheTrailer) {
        Zboot z;
        z.x86boot = Direct().serialized();
        Result<Payload> p = check(z.build());
        ASSERT_TRUE(p);
        EXPECT_EQ(p->kind, Kind::X86Direct);
        EXPECT_EQ(p->x86.cmdline_size, 2047u);

        z.decompressed = 0x3010;
        EXPECT_EQ(check(z.build()).error(), Error::X86PayloadSizeMismatch);

        Direct d;
        d.info.entry_offset = 0x3000; // beyond the image
        z = Zboot{};
        z.x86boot = d.serialized();
        EXPECT_EQ(check(z.build()).error(), Error::X86EntryOutsideCode);

        Direct overlap;
        overlap.info.segments[1].offset = 0; // over the code segment
        z.x86boot = overlap.serialized();
        EXPECT_EQ(check(z.build()).error(), Error::BadX86Segments);

        Direct huge;
        store_le32(huge.header.data() + x86::kCmdlineSizeOffset - x86::kSetupHeaderStart, 0xffffffff);
        z.x86boot = huge.serialized();
        EXPECT_EQ(check(z.build()).error(), Error::BadX86CmdlineSize);
}

TEST(KernelPayload, CommandLineMustFitTheKernelsCmdlineSize) {
        Zboot z;
        z.x86boot = Direct().serialized();
        Result<Payload> p = check(z.build());
        ASSERT_TRUE(p);
        std::u16string fits(2047, u'a'), over(2048, u'a'), wide(1024, u'\u00e9'); // é is 2 bytes in UTF-8
        EXPECT_TRUE(check_command_line(*p, Span<const char16_t>(fits.data(), fits.size())).ok());
        EXPECT_EQ(check_command_line(*p, Span<const char16_t>(over.data(), over.size())).error(),
                  Error::CmdlineOverKernelLimit);
        EXPECT_EQ(check_command_line(*p, Span<const char16_t>(wide.data(), wide.size())).error(),
                  Error::CmdlineOverKernelLimit);
        EXPECT_EQ(check_command_line_utf8(*p, 3014).error(), Error::CmdlineOverKernelLimit);

        // A kernel that reads its command line through its own EFI stub has no such limit here.
        Result<Payload> plain = check(Zboot{}.build());
        ASSERT_TRUE(plain);
        EXPECT_TRUE(check_command_line(*plain, Span<const char16_t>(over.data(), over.size())).ok());
}

TEST(KernelPayload, RelocationTableIsCheckedAfterDecompression) {
        Zboot z;
        z.x86boot = Direct().serialized();
        Result<Payload> p = check(z.build());
        ASSERT_TRUE(p);
        std::vector<uint8_t> decompressed(0x300c, 0); // the image, then three empty relocation lists
        EXPECT_TRUE(check_decompressed(*p, Bytes(decompressed.data(), decompressed.size()), pe::kMachineX64).ok());
        // One 32-bit relocation (read first, from the end) below the link address: outside the image.
        store_le32(decompressed.data() + 0x3008, 0x7fff0000);
        EXPECT_EQ(check_decompressed(*p, Bytes(decompressed.data(), decompressed.size()), pe::kMachineX64).error(),
                  Error::BadX86Relocations);
        EXPECT_EQ(check_decompressed(*p, Bytes(decompressed.data(), 0x3000), pe::kMachineX64).error(), Error::X86PayloadSizeMismatch);
}

// A zstd payload is loaded as a PE by the stub (place_kernel): what it decompresses to must be a
// kernel for the stub's machine with a load plan, or the stub refuses after decompressing.
TEST(KernelPayload, DecompressedZstdKernelMustBeALoadablePeForTheStubsMachine) {
        Result<Payload> p = check(Zboot().build());
        ASSERT_TRUE(p);
        ASSERT_EQ(p->kind, Kind::Zstd);
        ImageSpec spec;
        spec.entry_point = 0x1000;
        spec.sections.push_back(SectionSpec{".text", 0x1000, 0x200, 0x400, 0x200, test::kText, {}});
        spec.size_of_image = 0x2000;
        std::vector<uint8_t> kernel = test::build(spec);
        Bytes k(kernel.data(), kernel.size());
        EXPECT_TRUE(check_decompressed(*p, k, pe::kMachineX64).ok());
        EXPECT_EQ(check_decompressed(*p, k, pe::kMachineArm64).error(), Error::UnsupportedMachine);
        std::vector<uint8_t> zeros(kernel.size(), 0);
        EXPECT_EQ(check_decompressed(*p, Bytes(zeros.data(), zeros.size()), pe::kMachineX64).error(), Error::BadDosMagic);
        spec.entry_point = 0x1800; // beyond .text
        kernel = test::build(spec);
        EXPECT_EQ(check_decompressed(*p, Bytes(kernel.data(), kernel.size()), pe::kMachineX64).error(),
                  Error::BadEntryPoint);
}

} // namespace
} // namespace zuki::kernel
