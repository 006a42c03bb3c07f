// SPDX-License-Identifier: LGPL-2.1-or-later
// boot_params as the stub writes it, read back at offsets written out here by hand from the
// kernel's Documentation/arch/x86/zero-page.rst and boot.rst (struct screen_info,
// struct efi_info, struct boot_e820_entry, struct setup_data), never from x86-boot.hpp.

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "x86-boot-params.hpp"

namespace zuki::x86 {
namespace {

struct Page {
        std::vector<uint8_t> bytes = std::vector<uint8_t>(4096, 0);
        BootParams params;

        Page() {
                Result<BootParams> p = BootParams::over(MutableBytes(bytes.data(), bytes.size()));
                EXPECT_TRUE(p.ok());
                params = *p;
        }
        uint8_t u8(size_t off) const { return bytes[off]; }
        uint16_t u16(size_t off) const { return load_le16(bytes.data() + off); }
        uint32_t u32(size_t off) const { return load_le32(bytes.data() + off); }
        uint64_t u64(size_t off) const { return load_le64(bytes.data() + off); }
        // Bytes other than those in [from, to) are still zero.
        bool zero_outside(std::vector<std::pair<size_t, size_t>> written) const {
                for (size_t i = 0; i < bytes.size(); i++) {
                        bool inside = false;
                        for (auto [from, to] : written)
                                inside |= i >= from && i < to;
                        if (!inside && bytes[i])
                                return false;
                }
                return true;
        }
};

// A setup header from 0x1f1 up to 0x26c (boot protocol 2.15), with loadflags as given.
std::vector<uint8_t> setup_header(uint8_t loadflags) {
        std::vector<uint8_t> h(0x26c - 0x1f1, 0);
        for (size_t i = 0; i < h.size(); i++)
                h[i] = (uint8_t) (i * 7 + 1);
        h[0x210 - 0x1f1] = 0x00; // type_of_loader as a bzImage holds it
        h[0x211 - 0x1f1] = loadflags;
        return h;
}

TEST(BootParams, RefusesASmallPage) {
        std::vector<uint8_t> small(4095);
        EXPECT_EQ(BootParams::over(MutableBytes(small.data(), small.size())).error(), Error::NoSpace);
}

TEST(BootParams, SetupHeaderAndLoaderFields) {
        Page p;
        std::vector<uint8_t> h = setup_header(0x02); // KASLR_FLAG set in the image, LOADED_HIGH not
        ASSERT_TRUE(p.params.set_setup_header(Bytes(h.data(), h.size()), KernelKaslr::On, SecureBootMode::Enabled).ok());
        EXPECT_EQ(std::memcmp(p.bytes.data() + 0x1f1, h.data(), 0x210 - 0x1f1), 0);    // copied up to type_of_loader
        EXPECT_EQ(std::memcmp(p.bytes.data() + 0x212, h.data() + 0x21, 0x26c - 0x212), 0); // and after loadflags
        EXPECT_EQ(p.u8(0x210), 0xff);              // type_of_loader: undefined
        EXPECT_EQ(p.u8(0x211), 0x01 | 0x02);       // LOADED_HIGH | KASLR_FLAG
        EXPECT_EQ(p.u8(0x1ec), 3);                 // secure_boot: efi_secureboot_mode_enabled
        EXPECT_TRUE(p.zero_outside({{0x1ec, 0x1ed}, {0x1f1, 0x26c}}));

        Page off;
        ASSERT_TRUE(off.params.set_setup_header(Bytes(h.data(), h.size()), KernelKaslr::Off, SecureBootMode::Disabled).ok());
        EXPECT_EQ(off.u8(0x211), 0x01);            // nokaslr clears the image's KASLR_FLAG
        EXPECT_EQ(off.u8(0x1ec), 2);
}

TEST(BootParams, RefusesHeadersOutsideTheHeaderArea) {
        Page p;
        std::vector<uint8_t> short_header(0x263 - 0x1f1), long_header(0x291 - 0x1f1), longest(0x290 - 0x1f1);
        EXPECT_EQ(p.params.set_setup_header(Bytes(short_header.data(), short_header.size()), KernelKaslr::On,
                                            SecureBootMode::Unset).error(), Error::BadX86Boot); // ends before init_size
        EXPECT_EQ(p.params.set_setup_header(Bytes(long_header.data(), long_header.size()), KernelKaslr::On,
                                            SecureBootMode::Unset).error(), Error::BadX86Boot); // into edd_mbr_sig_buffer
        EXPECT_TRUE(p.zero_outside({}));
        EXPECT_TRUE(p.params.set_setup_header(Bytes(longest.data(), longest.size()), KernelKaslr::On,
                                              SecureBootMode::Unset).ok());
}

TEST(BootParams, CommandLineAndInitrdAddresses) {
        Page p;
        p.params.set_command_line(0x1'2345'6000);
        p.params.set_initrd(0x2'8000'0000, 0x1'0000'0400);
        EXPECT_EQ(p.u32(0x228), 0x23456000u); // hdr.cmd_line_ptr
        EXPECT_EQ(p.u32(0x0c8), 0x1u);        // ext_cmd_line_ptr
        EXPECT_EQ(p.u32(0x218), 0x80000000u); // hdr.ramdisk_image
        EXPECT_EQ(p.u32(0x0c0), 0x2u);        // ext_ramdisk_image
        EXPECT_EQ(p.u32(0x21c), 0x400u);      // hdr.ramdisk_size
        EXPECT_EQ(p.u32(0x0c4), 0x1u);        // ext_ramdisk_size
        EXPECT_TRUE(p.zero_outside({{0x0c0, 0x0cc}, {0x218, 0x220}, {0x228, 0x22c}}));

        Page none;
        none.params.set_initrd(0x1000, 0); // no initrd: nothing written
        EXPECT_TRUE(none.zero_outside({}));
}

TEST(BootParams, FramebufferBelow4GiB) {
        Page p;
        Framebuffer fb{.base = 0x8000'0000, .size = 0x30'0000, .width = 1280, .height = 800, .pixels_per_scan_line = 1344,
                       .masks = kBgrReserved8};
        p.params.set_framebuffer(fb);
        EXPECT_EQ(p.u8(0x0f), 0x70);          // orig_video_isVGA = VIDEO_TYPE_EFI
        EXPECT_EQ(p.u16(0x12), 1280);         // lfb_width
        EXPECT_EQ(p.u16(0x14), 800);          // lfb_height
        EXPECT_EQ(p.u16(0x16), 32);           // lfb_depth
        EXPECT_EQ(p.u32(0x18), 0x80000000u);  // lfb_base
        EXPECT_EQ(p.u32(0x1c), 0x300000u);    // lfb_size
        EXPECT_EQ(p.u16(0x24), 1344 * 4);     // lfb_linelength
        // red, green, blue, reserved: size then position (BGRX: blue in the lowest byte).
        const uint8_t channels[] = {8, 16, 8, 8, 8, 0, 8, 24};
        EXPECT_EQ(std::memcmp(p.bytes.data() + 0x26, channels, sizeof(channels)), 0);
        EXPECT_EQ(p.u32(0x36), 0u);           // capabilities: no 64-bit base
        EXPECT_TRUE(p.zero_outside({{0x0f, 0x10}, {0x12, 0x20}, {0x24, 0x2e}}));
}

TEST(BootParams, FramebufferAbove4GiB) {
        Page p;
        Framebuffer fb{.base = 0x38'0000'0000, .size = 0x40'0000, .width = 1024, .height = 768, .pixels_per_scan_line = 1024,
                       .masks = {0xf800, 0x07e0, 0x001f, 0}}; // a bit-mask format: RGB 5:6:5
        p.params.set_framebuffer(fb);
        EXPECT_EQ(p.u32(0x18), 0u);           // lfb_base bits 31:0
        EXPECT_EQ(p.u32(0x36), 2u);           // VIDEO_CAPABILITY_64BIT_BASE
        EXPECT_EQ(p.u32(0x3a), 0x38u);        // ext_lfb_base
        const uint8_t channels[] = {5, 11, 6, 5, 5, 0, 0, 0};
        EXPECT_EQ(std::memcmp(p.bytes.data() + 0x26, channels, sizeof(channels)), 0);
}

TEST(BootParams, EfiInfo) {
        Page p;
        p.params.set_efi_info({.system_table = 0x1'7fe0'0018, .memory_map = 0x2'0000'1000, .memory_map_size = 0x1b00,
                               .descriptor_size = 48, .descriptor_version = 1});
        EXPECT_EQ(std::memcmp(p.bytes.data() + 0x1c0, "EL64", 4), 0); // efi_loader_signature
        EXPECT_EQ(p.u32(0x1c4), 0x7fe00018u); // efi_systab
        EXPECT_EQ(p.u32(0x1c8), 48u);         // efi_memdesc_size
        EXPECT_EQ(p.u32(0x1cc), 1u);          // efi_memdesc_version
        EXPECT_EQ(p.u32(0x1d0), 0x1000u);     // efi_memmap
        EXPECT_EQ(p.u32(0x1d4), 0x1b00u);     // efi_memmap_size
        EXPECT_EQ(p.u32(0x1d8), 0x1u);        // efi_systab_hi
        EXPECT_EQ(p.u32(0x1dc), 0x2u);        // efi_memmap_hi
        EXPECT_TRUE(p.zero_outside({{0x1c0, 0x1e0}}));
}

std::vector<E820Entry> entries(size_t n) {
        std::vector<E820Entry> v;
        for (size_t i = 0; i < n; i++)
                v.push_back({0x10'0000'0000ull * i + 0x1000, 0x2000 + i, (uint32_t) (i % 5 + 1)});
        return v;
}

TEST(BootParams, MemoryMapInBootParams) {
        Page p;
        std::vector<E820Entry> e = entries(128);
        std::vector<uint8_t> extension(16, 0xaa);
        ASSERT_TRUE(p.params.set_memory_map(Span<const E820Entry>(e.data(), e.size()),
                                            MutableBytes(extension.data(), extension.size()), 0x5000).ok());
        EXPECT_EQ(p.u8(0x1e8), 128);          // e820_entries
        for (size_t i : {0, 1, 127}) {
                size_t at = 0x2d0 + 20 * i;    // e820_table[i]: addr, size, type
                EXPECT_EQ(p.u64(at), e[i].address);
                EXPECT_EQ(p.u64(at + 8), e[i].size);
                EXPECT_EQ(p.u32(at + 16), e[i].type);
        }
        EXPECT_EQ(p.u64(0x250), 0u);          // hdr.setup_data: no extension needed
        EXPECT_EQ(extension, std::vector<uint8_t>(16, 0xaa));
        EXPECT_TRUE(p.zero_outside({{0x1e8, 0x1e9}, {0x2d0, 0x2d0 + 20 * 128}}));
}

TEST(BootParams, MemoryMapBeyond128Entries) {
        Page p;
        std::vector<E820Entry> e = entries(130);
        ASSERT_EQ(e820_extension_size(130), 16u + 2 * 20);
        ASSERT_EQ(e820_extension_size(3), 16u);
        std::vector<uint8_t> extension(56, 0xaa);
        ASSERT_TRUE(p.params.set_memory_map(Span<const E820Entry>(e.data(), e.size()),
                                            MutableBytes(extension.data(), extension.size()), 0x1'0000'5000).ok());
        EXPECT_EQ(p.u8(0x1e8), 128);
        EXPECT_EQ(p.u64(0x250), 0x100005000u); // hdr.setup_data points at the SETUP_E820_EXT node
        const uint8_t *x = extension.data();
        EXPECT_EQ(load_le64(x), 0u);          // next
        EXPECT_EQ(load_le32(x + 8), 1u);      // type SETUP_E820_EXT
        EXPECT_EQ(load_le32(x + 12), 40u);    // len: two entries
        EXPECT_EQ(load_le64(x + 16), e[128].address);
        EXPECT_EQ(load_le64(x + 24), e[128].size);
        EXPECT_EQ(load_le32(x + 32), e[128].type);
        EXPECT_EQ(load_le64(x + 36), e[129].address);
        EXPECT_EQ(load_le32(x + 52), e[129].type);

        Page small;
        std::vector<uint8_t> too_small(55);
        EXPECT_EQ(small.params.set_memory_map(Span<const E820Entry>(e.data(), e.size()),
                                              MutableBytes(too_small.data(), too_small.size()), 0x5000).error(),
                  Error::NoSpace);
        EXPECT_TRUE(small.zero_outside({}));
}

TEST(BootParams, ChannelOfAMask) {
        EXPECT_EQ(channel_of(0x00ff0000).size, 8);
        EXPECT_EQ(channel_of(0x00ff0000).position, 16);
        EXPECT_EQ(channel_of(0x07e0).size, 6);
        EXPECT_EQ(channel_of(0x07e0).position, 5);
        EXPECT_EQ(channel_of(0).size, 0);
        EXPECT_EQ(channel_of(0).position, 0);
}

TEST(BootParams, CommandLineAsUtf8) {
        // "a é € 😀" then a lone high surrogate, then a NUL that ends the text early.
        const char16_t text[] = {u'a', 0x00e9, 0x20ac, 0xd83d, 0xde00, 0xd800, u'b', 0, u'c'};
        const uint8_t expected[] = {'a', 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xef, 0xbf, 0xbd, 'b', 0};
        std::vector<uint8_t> out(sizeof(expected), 0x55);
        Result<size_t> n = command_line_utf8(Span<const char16_t>(text, 9), MutableBytes(out.data(), out.size()));
        ASSERT_TRUE(n.ok());
        EXPECT_EQ(*n, sizeof(expected) - 1);
        EXPECT_EQ(std::memcmp(out.data(), expected, sizeof(expected)), 0);

        std::vector<uint8_t> short_out(sizeof(expected) - 1);
        EXPECT_EQ(command_line_utf8(Span<const char16_t>(text, 9), MutableBytes(short_out.data(), short_out.size())).error(),
                  Error::SizeLimit); // no room for the NUL

        uint8_t empty[1] = {0x55};
        ASSERT_TRUE(command_line_utf8(Span<const char16_t>(), MutableBytes(empty, 1)).ok());
        EXPECT_EQ(empty[0], 0);
}

} // namespace
} // namespace zuki::x86
