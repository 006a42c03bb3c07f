// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Domain errors of the shared parsers. The stub maps them to an EFI status at its boundary, the
// host tool to a message; describe() gives the one-line text both print.

#pragma once

#include <stdint.h>

namespace zuki {

enum class Error : uint16_t {
        None = 0,
        Truncated,            // data ends before a structure or range it declares
        BadDosMagic,          // no "MZ"
        BadPeMagic,           // no "PE\0\0" at e_lfanew
        BadOptionalHeader,    // not PE32+, or optional header smaller than its fields
        UnsupportedMachine,   // not x86_64, arm64 or riscv64
        TooManySections,      // more than kMaxSections
        SectionOutOfBounds,   // a section's data lies outside the image
        SectionsOverlap,      // two sections overlap in memory
        BadAlignment,         // alignment not a power of two, or out of range
        BadImageSize,         // SizeOfImage/SizeOfHeaders inconsistent or over the limit
        BadEntryPoint,        // entry point outside the image or not in executable code
        BadRelocations,       // base relocation table malformed or pointing outside the image
        NotZboot,             // no zboot header
        BadZbootHeader,       // zboot header fields inconsistent
        UnsupportedCodec,     // compression type other than zstd
        PayloadOutOfBounds,   // payload or its size trailer outside the file/section
        SizeLimit,            // a declared size is beyond a documented limit
        DecompressFailed,     // the codec reported corrupt data
        SizeMismatch,         // decoded length differs from the declared one
        NotLinuxKernel,       // a PE without a Linux EFI stub
        NoSpace,              // an output buffer is too small
        UnknownProfile,       // the UKI has no profile with that number
        DuplicateSection,     // a UKI section occurs twice in the base or in one profile
        NotUki,               // no .linux section
        VirtualSizeExceedsData, // a UKI section's VirtualSize is larger than its raw data
        WxConflict,           // code and writable data share a page
        BadX86Boot,           // the .x86boot description of a direct-boot payload is inconsistent
        X86NotDirect,         // an x86 kernel that cannot be entered directly (not 64-bit/relocatable)
        BadTcgLog,            // a TPM event log the firmware handed out does not parse
        LoadOptionsTooLong,   // load options that would be the command line are over kMaxCommandLine
        CmdlineTooLong,       // the .cmdline section (up to its first NUL) is over kMaxCommandLine
        BadCommandLine,       // the .cmdline section is not valid UTF-8
        ZstdSkippableFrame,   // a skippable zstd frame precedes the zboot payload's frame
        NotZstdFrame,         // the zboot payload does not start with a zstd frame
        X86NeedsZstd,         // an .x86boot payload compressed with another codec than zstd
        BadX86Segments,       // .x86boot segments unaligned, out of order, overlapping or outside the image
        X86EntryOutsideCode,  // the .x86boot entry point is not inside an executable segment
        BadX86SetupHeader,    // the setup header in .x86boot is missing, oversized or malformed
        BadX86CmdlineSize,    // the setup header's cmdline_size is 0 or beyond kMaxCommandLine
        X86PayloadSizeMismatch, // the zboot size trailer disagrees with the .x86boot sizes
        BadX86Relocations,    // the x86 relocation table is malformed or points outside the image
        CmdlineOverKernelLimit, // the command line is longer than the kernel's cmdline_size
        BadName,              // a file name for an initrd archive is not ASCII or contains a NUL
        TooManyAddons,        // more addons than kMaxAddons
        UnsupportedHwids,     // a .hwids entry of a type other than devicetree or UEFI firmware
        BadHwids,             // a .hwids string offset outside the section or without its NUL
        NoHwidsEntries,       // a .hwids section without entries
        NoHwidsMatch,         // no .hwids devicetree entry carries one of the machine's CHIDs
};

constexpr const char *describe(Error e) {
        switch (e) {
        case Error::None: return "success";
        case Error::Truncated: return "data is truncated";
        case Error::BadDosMagic: return "not a PE image (no MZ header)";
        case Error::BadPeMagic: return "not a PE image (no PE signature)";
        case Error::BadOptionalHeader: return "unsupported PE optional header (PE32+ required)";
        case Error::UnsupportedMachine: return "unsupported machine type (x86_64, arm64 or riscv64 required)";
        case Error::TooManySections: return "too many PE sections";
        case Error::SectionOutOfBounds: return "a PE section lies outside the image";
        case Error::SectionsOverlap: return "PE sections overlap";
        case Error::BadAlignment: return "invalid PE alignment";
        case Error::BadImageSize: return "invalid PE image or header size";
        case Error::BadEntryPoint: return "PE entry point is not in executable code";
        case Error::BadRelocations: return "malformed PE base relocations";
        case Error::NotZboot: return "not a zboot image";
        case Error::BadZbootHeader: return "malformed zboot header";
        case Error::UnsupportedCodec: return "unsupported zboot compression type";
        case Error::PayloadOutOfBounds: return "zboot payload lies outside the image";
        case Error::SizeLimit: return "declared size exceeds the limit";
        case Error::DecompressFailed: return "compressed payload is corrupt";
        case Error::SizeMismatch: return "decompressed size differs from the declared size";
        case Error::NotLinuxKernel: return "PE image has no Linux EFI stub";
        case Error::NoSpace: return "output buffer too small";
        case Error::UnknownProfile: return "the UKI has no such profile";
        case Error::DuplicateSection: return "a UKI section occurs twice";
        case Error::NotUki: return "not a UKI (no .linux section)";
        case Error::VirtualSizeExceedsData:
                return "a UKI section's VirtualSize exceeds its raw data (the padding would be measured)";
        case Error::WxConflict: return "code and writable data share a page, W^X is impossible";
        case Error::BadX86Boot: return "malformed x86 direct-boot description (.x86boot)";
        case Error::BadTcgLog: return "malformed TPM event log";
        case Error::LoadOptionsTooLong: return "the load options are longer than the command-line limit";
        case Error::CmdlineTooLong: return "the .cmdline section is longer than the command-line limit";
        case Error::BadCommandLine: return "the .cmdline section is not valid UTF-8";
        case Error::ZstdSkippableFrame:
                return "the zboot payload starts with a skippable zstd frame, not the kernel's frame";
        case Error::NotZstdFrame: return "the zboot payload does not start with a zstd frame";
        case Error::X86NeedsZstd:
                return "an x86 direct-boot payload (.x86boot) must be zstd-compressed";
        case Error::BadX86Segments:
                return "the .x86boot segments are unaligned, out of order, overlapping or outside the image";
        case Error::X86EntryOutsideCode:
                return "the .x86boot entry point is not inside an executable segment";
        case Error::BadX86SetupHeader:
                return "the setup header in .x86boot is malformed (magic, size or header length)";
        case Error::BadX86CmdlineSize:
                return "the kernel's setup header declares an impossible cmdline_size";
        case Error::X86PayloadSizeMismatch:
                return "the zboot size trailer disagrees with the sizes .x86boot describes";
        case Error::BadX86Relocations:
                return "the x86 relocation table is malformed or points outside the kernel image";
        case Error::CmdlineOverKernelLimit:
                return "the command line is longer than the kernel's cmdline_size";
        case Error::BadName: return "file name is not ASCII";
        case Error::TooManyAddons: return "too many addons";
        case Error::UnsupportedHwids: return ".hwids has an entry of an unsupported type";
        case Error::BadHwids: return ".hwids has a string outside the section or without its NUL";
        case Error::NoHwidsEntries: return ".hwids has no entries";
        case Error::NoHwidsMatch: return "no .hwids entry matches this machine's CHIDs";
        case Error::X86NotDirect: return "the kernel cannot be entered directly (needs a 64-bit relocatable kernel, boot protocol 2.12+)";
        }
        return "unknown error";
}

} // namespace zuki
