// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The x86_64 direct boot path (docs/formats.md, "x86 direct payload"): instead of handing a
// bzImage to the kernel's EFI stub, which would run the kernel's own decompressor after ours, the
// host re-packs the bzImage's vmlinux as a flat memory image plus its relocation table, and the
// stub places it, relocates it for a random virtual offset, builds boot_params and enters the
// kernel's 64-bit entry (startup_64) itself.
//
// This file holds what both sides need and the host can test: the `.x86boot` section that
// describes the payload, the setup-header fields (Documentation/arch/x86/boot.rst), the
// relocation table walk of arch/x86/boot/compressed/misc.c semantics, the virtual KASLR slot
// arithmetic, and the EFI memory map to E820 conversion.

#pragma once

#include "base.hpp"

namespace zuki::x86 {

// ---- The setup header, at these offsets in a bzImage and in boot_params alike ----
inline constexpr uint32_t kSetupHeaderStart = 0x1f1;
inline constexpr uint32_t kJumpOffset = 0x200;          // "jmp" whose 8-bit target ends the header
inline constexpr uint32_t kHeaderMagicOffset = 0x202;   // "HdrS"
inline constexpr uint32_t kHeaderMagic = 0x53726448;
inline constexpr uint32_t kVersionOffset = 0x206;       // le16
inline constexpr uint32_t kTypeOfLoaderOffset = 0x210;
inline constexpr uint32_t kLoadFlagsOffset = 0x211;
inline constexpr uint32_t kRamdiskImageOffset = 0x218;
inline constexpr uint32_t kRamdiskSizeOffset = 0x21c;
inline constexpr uint32_t kCmdLinePtrOffset = 0x228;
inline constexpr uint32_t kKernelAlignmentOffset = 0x230;
inline constexpr uint32_t kRelocatableOffset = 0x234;
inline constexpr uint32_t kXLoadFlagsOffset = 0x236;    // le16
inline constexpr uint32_t kCmdlineSizeOffset = 0x238;
inline constexpr uint32_t kPayloadOffsetOffset = 0x248;
inline constexpr uint32_t kPayloadLengthOffset = 0x24c;
inline constexpr uint32_t kSetupDataOffset = 0x250;     // le64
inline constexpr uint32_t kPrefAddressOffset = 0x258;   // le64
inline constexpr uint32_t kInitSizeOffset = 0x260;
inline constexpr uint32_t kMinSetupHeaderEnd = 0x264;   // through init_size
inline constexpr uint32_t kMaxSetupHeaderEnd = 0x290;   // boot_params' header area ends here
inline constexpr uint16_t kMinVersion = 0x020c;         // 2.12: xloadflags
inline constexpr uint16_t kXlfKernel64 = 1 << 0;        // has the 64-bit entry
inline constexpr uint8_t kLoadedHigh = 1 << 0;
inline constexpr uint8_t kKaslrFlag = 1 << 1;
inline constexpr uint8_t kTypeOfLoaderUndefined = 0xff;

// ---- boot_params (the "zero page", Documentation/arch/x86/zero-page.rst) ----
// Every field a boot loader writes, by its offset in boot_params (struct boot_params,
// arch/x86/include/uapi/asm/bootparam.h). The setup-header fields above sit at the same offsets.
inline constexpr uint32_t kBootParamsSize = 4096;
inline constexpr uint32_t kScreenInfoOffset = 0x000;     // struct screen_info, kScreenInfoSize bytes
inline constexpr uint32_t kScreenInfoSize = 0x40;
inline constexpr uint32_t kExtRamdiskImageOffset = 0x0c0; // le32: ramdisk_image bits 63:32
inline constexpr uint32_t kExtRamdiskSizeOffset = 0x0c4;  // le32: ramdisk_size bits 63:32
inline constexpr uint32_t kExtCmdLinePtrOffset = 0x0c8;   // le32: cmd_line_ptr bits 63:32
inline constexpr uint32_t kEfiInfoOffset = 0x1c0;         // struct efi_info, kEfiInfoSize bytes
inline constexpr uint32_t kEfiInfoSize = 0x20;
inline constexpr uint32_t kE820EntriesOffset = 0x1e8;     // u8: entries used in e820_table
inline constexpr uint32_t kSecureBootOffset = 0x1ec;      // u8: enum efi_secureboot_mode
inline constexpr uint32_t kE820TableOffset = 0x2d0;       // struct boot_e820_entry[kE820TableCapacity]
inline constexpr uint32_t kE820TableCapacity = 128;       // E820_MAX_ENTRIES_ZEROPAGE
inline constexpr uint32_t kEfiLoaderSignature64 = 0x34364c45; // "EL64"

// struct screen_info (include/uapi/linux/screen_info.h), from kScreenInfoOffset.
inline constexpr uint32_t kScreenOrigVideoIsVgaOffset = 0x0f; // u8: the video type
inline constexpr uint32_t kScreenLfbWidthOffset = 0x12;       // le16
inline constexpr uint32_t kScreenLfbHeightOffset = 0x14;      // le16
inline constexpr uint32_t kScreenLfbDepthOffset = 0x16;       // le16: bits per pixel
inline constexpr uint32_t kScreenLfbBaseOffset = 0x18;        // le32: bits 31:0
inline constexpr uint32_t kScreenLfbSizeOffset = 0x1c;        // le32
inline constexpr uint32_t kScreenLfbLineLengthOffset = 0x24;  // le16: bytes per scan line
inline constexpr uint32_t kScreenRedSizeOffset = 0x26;        // u8 size, then u8 position, per channel:
inline constexpr uint32_t kScreenGreenSizeOffset = 0x28;      //   red, green, blue, reserved
inline constexpr uint32_t kScreenBlueSizeOffset = 0x2a;
inline constexpr uint32_t kScreenRsvdSizeOffset = 0x2c;
inline constexpr uint32_t kScreenCapabilitiesOffset = 0x36;   // le32
inline constexpr uint32_t kScreenExtLfbBaseOffset = 0x3a;     // le32: lfb_base bits 63:32
inline constexpr uint8_t kVideoTypeEfi = 0x70;                 // VIDEO_TYPE_EFI
inline constexpr uint32_t kVideoCapability64BitBase = 1 << 1;  // VIDEO_CAPABILITY_64BIT_BASE
static_assert(kScreenExtLfbBaseOffset + 4 <= kScreenInfoSize);
static_assert(kScreenInfoOffset + kScreenInfoSize <= kExtRamdiskImageOffset);

// struct efi_info (arch/x86/include/uapi/asm/bootparam.h), from kEfiInfoOffset; all le32.
inline constexpr uint32_t kEfiLoaderSignatureOffset = 0x00;
inline constexpr uint32_t kEfiSystabOffset = 0x04;
inline constexpr uint32_t kEfiMemdescSizeOffset = 0x08;
inline constexpr uint32_t kEfiMemdescVersionOffset = 0x0c;
inline constexpr uint32_t kEfiMemmapOffset = 0x10;
inline constexpr uint32_t kEfiMemmapSizeOffset = 0x14;
inline constexpr uint32_t kEfiSystabHiOffset = 0x18;
inline constexpr uint32_t kEfiMemmapHiOffset = 0x1c;
static_assert(kEfiMemmapHiOffset + 4 == kEfiInfoSize);
static_assert(kEfiInfoOffset + kEfiInfoSize <= kE820EntriesOffset);

// struct boot_e820_entry: le64 addr, le64 size, le32 type, packed; in e820_table and in a
// SETUP_E820_EXT node alike.
inline constexpr uint32_t kE820AddrOffset = 0x00;
inline constexpr uint32_t kE820SizeOffset = 0x08;
inline constexpr uint32_t kE820TypeOffset = 0x10;
inline constexpr uint32_t kE820EntrySize = 20;
static_assert(kE820TypeOffset + 4 == kE820EntrySize);
static_assert(kE820TableOffset + kE820TableCapacity * kE820EntrySize <= kBootParamsSize);
static_assert(kSetupHeaderStart > kSecureBootOffset && kMaxSetupHeaderEnd <= kE820TableOffset);

// struct setup_data, a node of the list at setup_header.setup_data (kSetupDataOffset).
inline constexpr uint32_t kSetupDataNextOffset = 0x00;   // le64: the next node, 0 ends the list
inline constexpr uint32_t kSetupDataTypeOffset = 0x08;   // le32
inline constexpr uint32_t kSetupDataLenOffset = 0x0c;    // le32: bytes after the header
inline constexpr uint32_t kSetupDataHeaderSize = 0x10;
inline constexpr uint32_t kSetupE820Ext = 1;              // SETUP_E820_EXT: more boot_e820_entry

// The kernel image's virtual window on x86_64 with CONFIG_RANDOMIZE_BASE (KERNEL_IMAGE_SIZE).
// Kernels that carry relocations have that option: the relocation table is built for it.
inline constexpr uint64_t kKernelImageSize = 1ull << 30;
inline constexpr uint64_t kStartKernelMap = 0xffffffff80000000ull; // __START_KERNEL_map

// ---- The .x86boot section (written by `zuki zboot`, read by the stub) ----
inline constexpr char kSectionName[] = ".x86boot";
inline constexpr uint8_t kMagic[8] = {'z', 'u', 'k', 'i', 'x', '8', '6', 0};
inline constexpr uint32_t kVersion = 1;
// Version 2: the same layout, the relocation table's lists delta-coded (delta_decode_relocations()).
inline constexpr uint32_t kVersionDeltaRelocations = 2;
inline constexpr uint32_t kFixedSize = 64;
inline constexpr uint32_t kSegmentSize = 24;
inline constexpr uint32_t kMaxSegments = 16;
inline constexpr uint32_t kSegmentExecutable = 1; // ELF PF_X
inline constexpr uint32_t kSegmentWritable = 2;   // ELF PF_W
// The segment's stored bytes went through branch_filter::x86_encode() (at their offset in the
// flat image); only executable segments carry it. Stubs before it refuse such a section.
inline constexpr uint32_t kSegmentBranchFiltered = 4;

struct Segment {
        uint64_t offset = 0; // from the load address, page-aligned
        uint64_t size = 0;
        uint32_t flags = 0;  // kSegmentExecutable | kSegmentWritable | kSegmentBranchFiltered
};

// What the stub needs, validated.
struct Info {
        uint64_t load_address = 0;  // LOAD_PHYSICAL_ADDR: the link-time physical base (pref_address)
        uint64_t image_size = 0;    // the flat image: load address to the end of the last segment
        uint64_t file_size = 0;     // flat bytes stored in the payload (the rest are zeros)
        uint64_t relocs_size = 0;   // relocation table bytes after the flat image in the payload
        bool delta_relocations = false; // the table is stored delta-coded (section version 2)
        uint64_t entry_offset = 0;  // startup_64, from the load address
        Segment segments[kMaxSegments];
        uint32_t segment_count = 0;
        Bytes setup_header;         // from offset 0x1f1 of the bzImage
        // From the setup header:
        uint16_t version = 0;
        uint32_t kernel_alignment = 0;
        uint32_t init_size = 0;
        uint32_t cmdline_size = 0;  // the longest command line, excluding its NUL

        uint64_t payload_size() const { return file_size + relocs_size; }
        // The bytes to allocate at the load address: init_size covers the kernel's early needs
        // beyond the image, and the payload (with its relocation table) must fit as well.
        uint64_t allocation_size() const;
};

// Parses and validates the section. Every offset and size is checked against the others and
// against the limits, so the stub can use them without further checks.
Result<Info> parse(Bytes section);

// Serialises `info` (segments and setup header included) into a section; the host's writer.
// `out` must hold serialized_size(info) bytes.
size_t serialized_size(const Info &info);
Status serialize(const Info &info, MutableBytes out);

// ---- The branch filter (src/shared/branch-filter.hpp) ----
// The host filters every executable segment of the flat image and marks it; the stub undoes it
// on the decompressed flat image before anything else reads it. Both walk the segment's bytes
// that are stored (up to file_size), each from its own offset. `flat` holds file_size bytes.
// filter_branches returns the fields converted.
size_t filter_branches(Info *info, MutableBytes flat);
void unfilter_branches(const Info &info, MutableBytes flat);

// ---- Relocations ----
// The table is a sequence of le32 entries read backwards from its end: 32-bit relocations up to
// a zero, inverse 32-bit relocations up to a zero, 64-bit relocations up to a zero, which must be
// the table's first entry. Each entry is the sign-extended 32-bit virtual address of the field
// to adjust, linked for the kernel at kStartKernelMap + load_address.
struct RelocationCounts {
        uint64_t r32 = 0, inverse32 = 0, r64 = 0;
};
// Delta coding, as stored in a version 2 section: walking forward, every non-zero entry becomes
// its difference (mod 2^32) from the previous entry of its list (0 before a list's first), and
// the zeros stay, so the ascending lists the kernel's build writes turn into small, repetitive
// numbers. The encoder refuses (returns false, `table` untouched) a table in which an entry
// equals the one before it, whose difference would read as a terminator.
bool delta_encode_relocations(MutableBytes table);
void delta_decode_relocations(MutableBytes table);
// Validates the table against an image of `image_size` bytes linked at `load_address`; a `delta`
// table as it would be once decoded.
Result<RelocationCounts> check_relocations(Bytes table, uint64_t load_address, uint64_t image_size,
                                           bool delta = false);
// Adds `delta` to every relocated field of `image` (at least image_size bytes); a no-op for 0.
// The table is validated first: nothing is written when it is malformed.
Status apply_relocations(MutableBytes image, uint64_t image_size, Bytes table, uint64_t load_address,
                         uint64_t delta);

// Number of virtual KASLR positions for the image: load_address + k * kernel_alignment for
// k < slots, each leaving init_size bytes below kKernelImageSize. At least 1.
uint64_t virtual_slots(const Info &info);
// The virtual offset (delta to the link address) for a 32-bit seed: slot (slots * seed) >> 32.
uint64_t virtual_offset(const Info &info, uint32_t seed);

// ---- E820 ----
inline constexpr uint32_t kE820Ram = 1;
inline constexpr uint32_t kE820Reserved = 2;
inline constexpr uint32_t kE820Acpi = 3;
inline constexpr uint32_t kE820Nvs = 4;
inline constexpr uint32_t kE820Unusable = 5;
inline constexpr uint32_t kE820Pmem = 7;
inline constexpr uint32_t kE820SoftReserved = 0xefffffff;

struct E820Entry {
        uint64_t address = 0;
        uint64_t size = 0;
        uint32_t type = 0;
};

// The E820 type of an EFI memory descriptor (type, attribute); 0 when it is left out.
uint32_t e820_type(uint32_t efi_type, uint64_t attribute);

// Converts an EFI memory map (`map`, descriptors of `descriptor_size` bytes) into E820 entries,
// merging neighbours of the same type. Returns the number of entries; NoSpace when more than
// `capacity` would be needed (then *needed says how many).
Result<size_t> convert_memory_map(Bytes map, size_t descriptor_size, E820Entry *out, size_t capacity,
                                  size_t *needed);

// boot_params.secure_boot: Linux's enum efi_secureboot_mode (include/linux/efi.h). The kernel's
// EFI stub fills it in; the kernel reads it in setup_arch() and, when it says Enabled, turns on
// what depends on Secure Boot (lockdown where configured, IMA's policy). Unset (0) makes the
// kernel log that the state could not be determined and leaves all of that off.
enum class SecureBootMode : uint8_t { Unset = 0, Unknown = 1, Disabled = 2, Enabled = 3 };

// One read of a one-byte EFI variable.
struct VariableByte {
        enum class Read : uint8_t { Found, NotFound, Failed } read = Read::NotFound;
        uint8_t value = 0;
        uint32_t attributes = 0;
};

inline constexpr uint32_t kVariableNonVolatile = 0x1;

// What the kernel's EFI stub decides (drivers/firmware/efi/libstub/secureboot.c, Linux 6.x) from
// SecureBoot and SetupMode (EFI global variables) and shim's MokSBStateRT: no SecureBoot
// variable is Disabled, one that cannot be read Unknown; SecureBoot 0 or SetupMode 1 is Disabled
// (an unreadable SetupMode counts as 0); otherwise Enabled, unless shim was put into insecure
// mode with a volatile MokSBStateRT of 1.
SecureBootMode secure_boot_mode(VariableByte secure_boot, VariableByte setup_mode, VariableByte mok_sb_state);

} // namespace zuki::x86
