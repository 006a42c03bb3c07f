// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Taking a zuki image apart again (zuki extract): the kernel in the form other tools take it
// (ukify --linux, kexec, objcopy-made UKIs), and a UKI's sections as `objcopy --dump-section`
// gives them. What cannot be given back in such a form is refused, never approximated.

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "file-io.hpp"
#include "kernel-info.hpp"

namespace zuki {

// Where the kernel came from.
enum class KernelSource : uint8_t {
        ZbootPayload,      // decompressed from a zstd zboot image (the file, or a UKI's .linux)
        LinuxSection,      // a UKI's .linux holding an uncompressed kernel, copied as it is
};

struct ExtractedKernel {
        Buffer kernel;                  // the kernel file: an x86_64 bzImage or an arm64 Image
        KernelInfo info;                // its machine and release
        KernelSource source = KernelSource::ZbootPayload;
        uint64_t payload_size = 0;      // the decompressed payload (padding and banner included)
        bool from_uki = false;
};

// The kernel of a zboot image, or of the .linux section profile `profile` of a UKI boots, as the
// kernel file `zuki zboot` (or ukify) was given: byte for byte the same when that was a PE kernel
// (the zero padding to SizeOfImage and the x86 banner are dropped again). Throws Failure with one
// line for anything else: not a zboot image or UKI, a codec other than zstd, an x86 direct-boot
// payload (a flat vmlinux with its relocations, which no other loader takes and from which no
// bzImage can be rebuilt), a payload that is not a kernel PE or has data past its PE image.
// `what` names the input in messages.
ExtractedKernel extract_kernel(Bytes image, uint32_t profile, const std::string &what);

struct ExtractedSection {
        std::string name;  // ".cmdline"
        Bytes data;        // the raw data up to VirtualSize, as objcopy --dump-section writes it
};

// The UKI sections profile `profile` of `image` consists of (its own and the base's it does not
// override), in section-table order; for .dtbauto, .hwids and .efifw the first of each. Throws
// Failure when `image` is not a UKI or has no such profile.
std::vector<ExtractedSection> extract_uki_sections(Bytes image, uint32_t profile, const std::string &what);

// The UKI section a user names, with or without its dot ("cmdline", ".cmdline"); empty when it is
// not a UKI section name.
std::string uki_section_name(const std::string &name);

// How a zuki image can be kexec'd, as measured in test/qemu/kexec (docs/kexec.md): kexec-tools
// 2.0.32 reads no zstd zboot image (nor a UKI whose .linux is one); `zuki extract` gives the
// kernel, initrd and command line for `kexec -l`/`-s`, except from an x86 direct payload. Empty
// `summary` for anything that is no zstd zboot image or UKI holding one.
struct KexecSupport {
        bool extractable = false;  // zuki extract gives a kernel file kexec takes
        bool systemd262 = false;   // systemd 262's systemctl kexec was seen to load it unaided (x86_64)
        std::string summary;       // one line for zuki inspect
};
KexecSupport kexec_support(Bytes image);

// What a kernel file of `machine` is called: "bzImage" (x86_64) or "Image" (arm64).
const char *kernel_file_kind(uint16_t machine);

// The file name a section gets in a --sections directory: its name without the leading dot
// ("cmdline"), so that `ls` shows it.
std::string section_file_name(const std::string &section);

} // namespace zuki
