// SPDX-License-Identifier: LGPL-2.1-or-later
//
// boot_params, the "zero page" a boot loader hands the x86_64 kernel in RSI
// (Documentation/arch/x86/boot.rst, zero-page.rst): the part a boot loader fills in, written into
// a caller's page with the named offsets of x86-boot.hpp. No allocation, no firmware: the stub
// gathers the values (addresses, framebuffer, memory map) and the host tests check the bytes.

#pragma once

#include "base.hpp"
#include "x86-boot.hpp"

namespace zuki::x86 {

// Whether the kernel randomises its own memory layout (loadflags KASLR_FLAG).
enum class KernelKaslr : uint8_t { Off, On };

// A colour channel of the framebuffer, as the bit mask the firmware reports (GOP PixelBitmask).
struct PixelMasks {
        uint32_t red = 0, green = 0, blue = 0, reserved = 0;
};
// The two fixed 32-bit GOP pixel formats as masks.
inline constexpr PixelMasks kRgbReserved8 = {0x000000ff, 0x0000ff00, 0x00ff0000, 0xff000000};
inline constexpr PixelMasks kBgrReserved8 = {0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000};

// A linear framebuffer of 32-bit pixels, as screen_info describes it for efifb/simpledrm.
struct Framebuffer {
        uint64_t base = 0;
        uint64_t size = 0;
        uint32_t width = 0, height = 0;
        uint32_t pixels_per_scan_line = 0;
        PixelMasks masks;
};

// What efi_info tells the kernel: the system table and the memory map ExitBootServices took.
struct EfiInfo {
        uint64_t system_table = 0;
        uint64_t memory_map = 0;
        uint32_t memory_map_size = 0;
        uint32_t descriptor_size = 0;
        uint32_t descriptor_version = 0;
};

// A view of a boot_params page (at least kBootParamsSize bytes, zeroed by the caller) that writes
// the fields a boot loader owns. Each setter writes only its own fields.
class BootParams {
public:
        // NoSpace when `page` is smaller than boot_params.
        static Result<BootParams> over(MutableBytes page);
        BootParams() = default;

        // The kernel's setup header at 0x1f1 (as a bzImage holds it), then the loader's part of
        // it: type_of_loader "undefined", LOADED_HIGH, KASLR_FLAG as `kaslr` says, secure_boot.
        // BadX86Boot when the header does not end inside boot_params' header area.
        Status set_setup_header(Bytes header, KernelKaslr kaslr, SecureBootMode secure_boot);
        // cmd_line_ptr and ext_cmd_line_ptr: the NUL-terminated command line at `address`.
        void set_command_line(uint64_t address);
        // ramdisk_image/size and their ext_ halves; nothing for an empty initrd.
        void set_initrd(uint64_t address, uint64_t size);
        // screen_info for a 32-bit-per-pixel EFI framebuffer.
        void set_framebuffer(const Framebuffer &fb);
        // efi_info with the "EL64" signature.
        void set_efi_info(const EfiInfo &efi);
        // e820_table and e820_entries; entries beyond kE820TableCapacity go into a SETUP_E820_EXT
        // node written into `extension` (kernel-visible at `extension_address`), which becomes
        // setup_data (0 when none is needed). NoSpace when the extension cannot hold them.
        Status set_memory_map(Span<const E820Entry> entries, MutableBytes extension, uint64_t extension_address);

        MutableBytes bytes() const { return page_; }

private:
        explicit BootParams(MutableBytes page) : page_(page) {}
        MutableBytes page_;
};

// Bytes a SETUP_E820_EXT node needs for a memory map of `entries` E820 entries (header included).
size_t e820_extension_size(size_t entries);

// (size, position) of the run of ones in a colour mask, as screen_info's *_size and *_pos.
struct Channel {
        uint8_t size = 0, position = 0;
};
Channel channel_of(uint32_t mask);

// The command line as the kernel reads it at cmd_line_ptr: UTF-8 (from the UTF-16 load options;
// a NUL ends it early, a lone surrogate becomes U+FFFD), NUL-terminated, into `out`. Returns the
// length without the NUL; SizeLimit when it (with its NUL) does not fit in `out`.
Result<size_t> command_line_utf8(Span<const char16_t> text, MutableBytes out);
// Its length in bytes without the NUL, as command_line_utf8() would write it.
size_t command_line_utf8_length(Span<const char16_t> text);

} // namespace zuki::x86
