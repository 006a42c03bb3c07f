// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The measurement plan: which events a UKI boot extends into which PCR, in which order, over which
// bytes — exactly as systemd-stub does, so that PCR policies signed for systemd-stub UKIs (and
// systemd-measure's predictions) hold for zuki. The stub walks the plan through the TPM; the host
// predictor walks the same plan with software hashes. Neither computes the order on its own.
//
// PCR 11 (systemd-stub's TPM2_PCR_KERNEL_BOOT): for every present section in canonical order
// except .pcrsig, one EV_IPL event over the section name with its NUL, then one over the
// section's VirtualSize bytes. PCR 12 (TPM2_PCR_KERNEL_CONFIG): for a profile other than 0 an
// EV_EVENT_TAG event over the profile number as UTF-16 decimal with its NUL, then a command line
// taken from the load options as UTF-16 with its NUL.

#pragma once

#include "base.hpp"
#include "uki.hpp"

namespace zuki::measure {

inline constexpr uint32_t kPcrPlatformConfig = 1;
inline constexpr uint32_t kPcrKernelBoot = 11;
inline constexpr uint32_t kPcrKernelConfig = 12;
inline constexpr uint32_t kPcrSysexts = 13;

// TCG PC Client PFP, section 10.4.1 "Event Types".
inline constexpr uint32_t kEvEventTag = 0x00000006;
inline constexpr uint32_t kEvIpl = 0x0000000d;
// systemd's tag for the profile event (UKI_PROFILE_EVENT_TAG_ID).
inline constexpr uint32_t kProfileEventTag = 0x13aed6db;

// Which of systemd-stub's "measured" flags (and so which Stub* variable) an event counts for.
enum class Claim : uint8_t {
        KernelImage,      // StubPcrKernelImage
        KernelParameters, // StubPcrKernelParameters
        InitrdSysexts,    // StubPcrInitRDSysExts
        InitrdConfexts,   // StubPcrInitRDConfExts
        Platform,         // LoaderPcrSMBIOS (PCR 1)
};
inline constexpr size_t kClaimCount = 5;

struct Event {
        uint32_t pcr = 0;
        Claim claim = Claim::KernelParameters;
        uint32_t type = 0;
        uint32_t tag = 0;                  // for kEvEventTag
        Bytes data;                        // the bytes hashed into the PCR
        const char *ascii_description = nullptr;  // for section events: the section name
        Span<const char16_t> description;  // otherwise: UTF-16 text with its NUL
        Bytes raw_description;             // or bytes logged as they are (Linux's tagged events)
};

struct Plan {
        // Sections, profile and command lines, six ESP archives, three events per addon, SMBIOS.
        static constexpr size_t kCapacity = 2 * uki::kSectionCount + 4 + 6 + 3 * 32 + 8;
        Event events[kCapacity];
        size_t count = 0;

        Status add(const Event &e) {
                if (count == kCapacity)
                        return Error::NoSpace;
                events[count++] = e;
                return ok_status();
        }
};

// The profile tag event (profile != 0 only; `text` is the decimal number as UTF-16 with NUL).
Status add_profile(Plan *plan, Span<const char16_t> text);

// The bytes of each UKI section to measure, by SectionId (from an image, or from files).
struct SectionContents {
        bool present[uki::kSectionCount] = {};
        Bytes data[uki::kSectionCount] = {};
};

// The contents of the selected sections of `view`. Sections whose VirtualSize exceeds their raw
// data are refused (systemd would measure the padding; systemd issue #35851).
Result<SectionContents> contents_of(const pe::View &view, const uki::SectionSet &set);

// The PCR 11 events for `contents`, in canonical order, .pcrsig excluded.
Status add_sections(Plan *plan, const SectionContents &contents);

// A command line from the load options or from addons (UTF-16 including its NUL).
Status add_command_line(Plan *plan, Span<const char16_t> text);

// A tagged event (EV_EVENT_TAG) into `pcr` over `data`, described by `text` (UTF-16 with NUL).
Status add_tagged(Plan *plan, uint32_t tag, Bytes data, Span<const char16_t> text, uint32_t pcr = kPcrKernelConfig);


// systemd's tags for addon contents (src/fundamental/tpm2-pcr.h).
inline constexpr uint32_t kDevicetreeAddonEventTag = 0x6c46f751;
inline constexpr uint32_t kInitrdAddonEventTag = 0x49dffe0f;
inline constexpr uint32_t kUcodeAddonEventTag = 0xdac08e1a;

// Writes `value` as UTF-16 decimal with a terminating NUL into `out` (at least 11 units).
Span<const char16_t> format_decimal(uint32_t value, char16_t (&out)[11]);

} // namespace zuki::measure
