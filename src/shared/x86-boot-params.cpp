// SPDX-License-Identifier: LGPL-2.1-or-later

#include "x86-boot-params.hpp"

namespace zuki::x86 {

namespace {

// screen_info.lfb_depth: GOP's fixed formats and the bit-mask ones we accept are 32 bits a pixel.
constexpr uint16_t kBitsPerPixel = 32;

void store_e820(uint8_t *p, const E820Entry &e) {
        store_le64(p + kE820AddrOffset, e.address);
        store_le64(p + kE820SizeOffset, e.size);
        store_le32(p + kE820TypeOffset, e.type);
}

void store_channel(uint8_t *size_and_position, uint32_t mask) {
        Channel c = channel_of(mask);
        size_and_position[0] = c.size;
        size_and_position[1] = c.position;
}

} // namespace

Result<BootParams> BootParams::over(MutableBytes page) {
        if (page.size() < kBootParamsSize)
                return Error::NoSpace;
        return BootParams(MutableBytes(page.data(), kBootParamsSize));
}

Status BootParams::set_setup_header(Bytes header, KernelKaslr kaslr, SecureBootMode secure_boot) {
        if (header.size() < kMinSetupHeaderEnd - kSetupHeaderStart || header.size() > kMaxSetupHeaderEnd - kSetupHeaderStart)
                return Error::BadX86Boot;
        uint8_t *p = page_.data();
        __builtin_memcpy(p + kSetupHeaderStart, header.data(), header.size());
        p[kTypeOfLoaderOffset] = kTypeOfLoaderUndefined;
        p[kLoadFlagsOffset] |= kLoadedHigh;
        if (kaslr == KernelKaslr::On)
                p[kLoadFlagsOffset] |= kKaslrFlag;
        else
                p[kLoadFlagsOffset] &= (uint8_t) ~kKaslrFlag;
        p[kSecureBootOffset] = (uint8_t) secure_boot;
        return ok_status();
}

void BootParams::set_command_line(uint64_t address) {
        store_le32(page_.data() + kCmdLinePtrOffset, (uint32_t) address);
        store_le32(page_.data() + kExtCmdLinePtrOffset, (uint32_t) (address >> 32));
}

void BootParams::set_initrd(uint64_t address, uint64_t size) {
        if (size == 0)
                return;
        uint8_t *p = page_.data();
        store_le32(p + kRamdiskImageOffset, (uint32_t) address);
        store_le32(p + kExtRamdiskImageOffset, (uint32_t) (address >> 32));
        store_le32(p + kRamdiskSizeOffset, (uint32_t) size);
        store_le32(p + kExtRamdiskSizeOffset, (uint32_t) (size >> 32));
}

void BootParams::set_framebuffer(const Framebuffer &fb) {
        uint8_t *si = page_.data() + kScreenInfoOffset;
        si[kScreenOrigVideoIsVgaOffset] = kVideoTypeEfi;
        store_le16(si + kScreenLfbWidthOffset, (uint16_t) fb.width);
        store_le16(si + kScreenLfbHeightOffset, (uint16_t) fb.height);
        store_le16(si + kScreenLfbDepthOffset, kBitsPerPixel);
        store_le32(si + kScreenLfbBaseOffset, (uint32_t) fb.base);
        store_le32(si + kScreenLfbSizeOffset, (uint32_t) fb.size);
        store_le16(si + kScreenLfbLineLengthOffset, (uint16_t) (fb.pixels_per_scan_line * (kBitsPerPixel / 8)));
        store_channel(si + kScreenRedSizeOffset, fb.masks.red);
        store_channel(si + kScreenGreenSizeOffset, fb.masks.green);
        store_channel(si + kScreenBlueSizeOffset, fb.masks.blue);
        store_channel(si + kScreenRsvdSizeOffset, fb.masks.reserved);
        if (fb.base >> 32) {
                store_le32(si + kScreenCapabilitiesOffset, kVideoCapability64BitBase);
                store_le32(si + kScreenExtLfbBaseOffset, (uint32_t) (fb.base >> 32));
        }
}

void BootParams::set_efi_info(const EfiInfo &efi) {
        uint8_t *e = page_.data() + kEfiInfoOffset;
        store_le32(e + kEfiLoaderSignatureOffset, kEfiLoaderSignature64);
        store_le32(e + kEfiSystabOffset, (uint32_t) efi.system_table);
        store_le32(e + kEfiMemdescSizeOffset, efi.descriptor_size);
        store_le32(e + kEfiMemdescVersionOffset, efi.descriptor_version);
        store_le32(e + kEfiMemmapOffset, (uint32_t) efi.memory_map);
        store_le32(e + kEfiMemmapSizeOffset, efi.memory_map_size);
        store_le32(e + kEfiSystabHiOffset, (uint32_t) (efi.system_table >> 32));
        store_le32(e + kEfiMemmapHiOffset, (uint32_t) (efi.memory_map >> 32));
}

size_t e820_extension_size(size_t entries) {
        size_t extra = entries > kE820TableCapacity ? entries - kE820TableCapacity : 0;
        return kSetupDataHeaderSize + extra * kE820EntrySize;
}

Status BootParams::set_memory_map(Span<const E820Entry> entries, MutableBytes extension, uint64_t extension_address) {
        size_t in_params = entries.size() < kE820TableCapacity ? entries.size() : kE820TableCapacity;
        size_t extra = entries.size() - in_params;
        if (extra && extension.size() < e820_extension_size(entries.size()))
                return Error::NoSpace;
        uint8_t *p = page_.data();
        for (size_t i = 0; i < in_params; i++)
                store_e820(p + kE820TableOffset + i * kE820EntrySize, entries[i]);
        p[kE820EntriesOffset] = (uint8_t) in_params;
        uint64_t setup_data = 0;
        if (extra) {
                uint8_t *x = extension.data();
                store_le64(x + kSetupDataNextOffset, 0);
                store_le32(x + kSetupDataTypeOffset, kSetupE820Ext);
                store_le32(x + kSetupDataLenOffset, (uint32_t) (extra * kE820EntrySize));
                for (size_t i = 0; i < extra; i++)
                        store_e820(x + kSetupDataHeaderSize + i * kE820EntrySize, entries[in_params + i]);
                setup_data = extension_address;
        }
        store_le64(p + kSetupDataOffset, setup_data);
        return ok_status();
}

Channel channel_of(uint32_t mask) {
        Channel c;
        if (!mask)
                return c;
        while (!(mask & 1)) {
                mask >>= 1;
                c.position++;
        }
        while (mask & 1) {
                mask >>= 1;
                c.size++;
        }
        return c;
}

namespace {

// Encodes `text` as command_line_utf8() describes into `out` as far as it fits (its NUL not
// included) and returns the full length.
size_t encode_command_line(Span<const char16_t> text, MutableBytes out) {
        size_t n = 0;
        auto put = [&](uint32_t byte) {
                if (n + 1 < out.size())
                        out[n] = (uint8_t) byte;
                n++;
        };
        for (size_t i = 0; i < text.size() && text[i]; i++) {
                uint32_t c = text[i];
                if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.size() && text[i + 1] >= 0xdc00 && text[i + 1] < 0xe000)
                        c = 0x10000 + ((c - 0xd800) << 10) + (text[++i] - 0xdc00);
                else if (c >= 0xd800 && c < 0xe000)
                        c = 0xfffd; // a lone surrogate
                if (c < 0x80) {
                        put(c);
                } else if (c < 0x800) {
                        put(0xc0 | c >> 6);
                        put(0x80 | (c & 0x3f));
                } else if (c < 0x10000) {
                        put(0xe0 | c >> 12);
                        put(0x80 | ((c >> 6) & 0x3f));
                        put(0x80 | (c & 0x3f));
                } else {
                        put(0xf0 | c >> 18);
                        put(0x80 | ((c >> 12) & 0x3f));
                        put(0x80 | ((c >> 6) & 0x3f));
                        put(0x80 | (c & 0x3f));
                }
        }
        return n;
}

} // namespace

size_t command_line_utf8_length(Span<const char16_t> text) { return encode_command_line(text, MutableBytes()); }

Result<size_t> command_line_utf8(Span<const char16_t> text, MutableBytes out) {
        size_t n = encode_command_line(text, out);
        if (n + 1 > out.size())
                return Error::SizeLimit;
        out[n] = 0;
        return n;
}

} // namespace zuki::x86
