// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The sections of a Unified Kernel Image (UAPI group UKI specification) and how a profile picks
// them. The canonical order below is the order systemd-stub measures in (systemd
// src/fundamental/uki.h), which is not the order the UKI specification lists them in.
//
// Multi-profile UKIs: the sections before the first .profile are the base; every .profile section
// starts a profile that runs until the next .profile. Profile N uses its own sections and the base
// sections it does not override. A UKI without .profile has exactly one profile, 0 (the base).

#pragma once

#include "base.hpp"
#include "hwids.hpp"
#include "limits.hpp"
#include "pe.hpp"

namespace zuki::uki {

enum class SectionId : uint8_t {
        Linux,
        Osrel,
        Cmdline,
        Initrd,
        Ucode,
        Splash,
        Dtb,
        Uname,
        Sbat,
        Pcrsig,
        Pcrpkey,
        Profile,
        Dtbauto,
        Hwids,
        Efifw,
        Count,
};

inline constexpr size_t kSectionCount = (size_t) SectionId::Count;

// Names in canonical (measurement) order, indexed by SectionId.
inline constexpr const char *kSectionNames[kSectionCount] = {
        ".linux", ".osrel", ".cmdline", ".initrd", ".ucode", ".splash", ".dtb", ".uname",
        ".sbat", ".pcrsig", ".pcrpkey", ".profile", ".dtbauto", ".hwids", ".efifw",
};

// Sections that may occur several times in one profile (one per device tree / hardware id /
// firmware blob); all others must be unique within the base and within each profile.
constexpr bool may_repeat(SectionId id) {
        return id == SectionId::Dtbauto || id == SectionId::Hwids || id == SectionId::Efifw;
}

// Maximum number of profiles in one UKI. Each profile starts with its own .profile section and the
// base has at least .linux, so no image within limits::kMaxSections holds more: systemd's 256
// would be a limit no image reaches. What zuki build fits is smaller still, the stub's header room
// (docs/limits.md).
inline constexpr uint32_t kMaxProfiles = limits::kMaxSections - 1;

// The sections the selected profile sees: for each id, the section (from the profile or the base)
// or none. As in systemd-stub, a section with VirtualSize 0 counts as absent: it is neither
// measured nor used, and in a profile it does not replace the base's section. .hwids and .efifw
// record their first occurrence; .dtbauto the one chosen for the machine (hwids.hpp), or none.
struct SectionSet {
        bool present[kSectionCount] = {};
        pe::Section sections[kSectionCount] = {};
        uint32_t profile = 0;        // the selected profile
        uint32_t profile_count = 0;  // number of .profile sections (0: single-profile UKI)
        // Why .dtbauto sections were passed over, for the one line the stub logs: the .hwids
        // error (note HwidsFailed) or the table index of a malformed .dtbauto (BadBlob).
        hwids::Note dtbauto_note = hwids::Note::None;
        Error hwids_error = Error::None;
        size_t bad_blob_index = 0;

        bool has(SectionId id) const { return present[(size_t) id]; }
        const pe::Section &get(SectionId id) const { return sections[(size_t) id]; }
};

// The root node's "compatible" of a .dtbauto section (its data up to VirtualSize); empty when
// the tree does not parse or has none.
Bytes dtbauto_compatible(const pe::View &view, const pe::Section &dtbauto);

// Chooses among the .dtbauto sections of one range of the section table (range -1, the base: before
// the first .profile, or all of an addon; range k: from the k-th .profile up to the next) as
// systemd-stub's pe_locate_sections() does for that range (hwids.hpp). Records in `notes` why
// sections were passed over (its dtbauto_note/hwids_error/bad_blob_index; the first reason wins).
bool choose_dtbauto(const pe::View &view, int64_t range, const hwids::Machine &machine, pe::Section *out,
                    SectionSet *notes);

// True when the image has a .linux section anywhere (UKI mode).
bool is_uki(const pe::View &view);

// Picks the sections of `profile`. Fails with UnknownProfile when the UKI has no such profile,
// DuplicateSection when a non-repeatable section occurs twice in the base or in one profile.
// .dtbauto is chosen for `machine` as systemd-stub 262 does (hwids.hpp); without a machine none is.
Result<SectionSet> select_sections(const pe::View &view, uint32_t profile, const hwids::Machine *machine = nullptr);

// Parses a "@N" profile selector at the start of load options (UTF-16, as EFI passes them). On
// success returns the profile and sets *rest_offset to the index of the first character of the
// rest (after any spaces); returns 0 and rest_offset 0 when there is no selector.
uint32_t parse_profile_selector(Span<const char16_t> options, size_t *rest_offset, bool *valid);

} // namespace zuki::uki
