// SPDX-License-Identifier: LGPL-2.1-or-later
//
// `zuki build`: assembling a UKI from the zuki stub and the UKI sections. Each section's
// VirtualSize is its data length, so the stub measures exactly the data (systemd issue #35851).

#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "compress.hpp"
#include "pe-builder.hpp"

namespace zuki {

// One profile of a multi-profile UKI: its .profile text and the sections it overrides.
struct ProfileInputs {
        Buffer profile;                 // .profile contents, e.g. "ID=debug\nTITLE=Debug\n"
        std::optional<Buffer> cmdline;
};

struct UkiInputs {
        // An addon (zuki build --addon): no kernel, only the sections a UKI's stub takes from an
        // addon (.cmdline, .dtb, .dtbauto, .hwids, .initrd, .ucode, .uname), on the addon stub.
        bool addon = false;
        Buffer linux_image;             // a kernel PE (bzImage/Image) or a zboot image
        bool compress = true;           // wrap a plain kernel into a zuki zboot image first
        std::vector<Buffer> initrds;    // concatenated, each padded to 4 bytes
        std::optional<Buffer> cmdline;
        std::optional<Buffer> osrel;
        std::optional<std::string> uname; // detected from the kernel when absent
        std::optional<Buffer> splash;
        std::optional<Buffer> devicetree;
        std::vector<Buffer> devicetree_auto; // .dtbauto sections, in order (ukify --devicetree-auto)
        std::optional<Buffer> hwids;         // the .hwids section (hwids-build.hpp)
        std::optional<Buffer> microcode;
        std::optional<Buffer> pcrpkey;
        std::optional<Buffer> sbat;     // extra .sbat lines, merged into the stub's .sbat
        std::vector<ProfileInputs> profiles; // after the base sections, in order (profile 0, 1, ...)
        std::vector<std::pair<std::string, Buffer>> extra_sections; // --section NAME:DATA, in the base
        // Makes the .pcrsig for a profile of the finished image (its measured sections do not
        // change when .pcrsig is added, since .pcrsig is not measured). Single-profile UKIs get
        // one .pcrsig in the base, multi-profile UKIs one per profile.
        std::function<Buffer(Bytes image, uint32_t profile)> sign_pcr_policy;
};

// Checks a section name given by the user: '.', then 1 to 7 of [a-z0-9_-] (PE names are at most
// 8 bytes; UKI section names are lower-case by convention).
void validate_section_name(const std::string &name);

struct UkiResult {
        Buffer image;
        std::string uname;
        std::vector<AddedSection> sections;
};

// `stub` is the zuki stub (or any UKI stub) for the kernel's architecture.
UkiResult build_uki(Bytes stub, const UkiInputs &inputs, const CompressOptions &compress);

// Merges SBAT CSV texts: the "sbat," header line once, then every other line in order, each
// ending in a newline.
Buffer merge_sbat(const std::vector<Bytes> &parts);

} // namespace zuki
