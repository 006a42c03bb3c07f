// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The .hwids section and how systemd-stub 262 picks a .dtbauto section with it (src/boot/chid.h,
// chid.c, devicetree.c, pe.c).
//
// .hwids: a run of 28-byte device entries, little-endian, ended by an entry whose descriptor is 0
// (or by the section's end), followed by NUL-terminated strings:
//   0  u32  descriptor: type << 28 | entry size (28); type 1 = devicetree, 2 = UEFI firmware
//   4  16   CHID, EFI_GUID byte order
//   20 u32  name offset (from the section start; 0: none)
//   24 u32  devicetree: compatible offset; firmware: fwid offset (0: none)
//
// .dtbauto choice, per profile (the base and the selected profile each choose among their own
// .dtbauto sections, with their own first .hwids): the first .dtbauto, in section-table order,
//   - when the firmware installed a devicetree: whose first root "compatible" string equals the
//     firmware tree's (its .hwids is not consulted at all);
//   - otherwise: whose first root "compatible" string equals the compatible string of the .hwids
//     entry that the machine's CHIDs select (kMatchPriority order; the first entry per type).
// A chosen .dtbauto is measured into PCR 11 and installed in place of .dtb; when none is chosen,
// no .dtbauto is measured and .dtb (if any) applies.

#pragma once

#include "base.hpp"
#include "chid.hpp"

namespace zuki::hwids {

inline constexpr size_t kEntrySize = 28;
inline constexpr uint32_t kTypeDevicetree = 1;
inline constexpr uint32_t kTypeUefiFirmware = 2;

struct Entry {
        uint32_t type = 0;
        chid::Chid chid;
        Bytes name;       // without NUL; empty when absent
        Bytes compatible; // devicetree: without NUL; firmware: the fwid
};

// Validates a .hwids section as systemd-stub does before matching: each entry's type is 1 or 2
// (else UnsupportedHwids), each nonzero offset points inside the section at a NUL-terminated
// string (else BadHwids). Returns the number of entries (0: NoHwidsEntries).
Result<size_t> count_entries(Bytes section);
// Entry `i` of a section count_entries accepted.
Entry entry(Bytes section, size_t i);

// The index of the devicetree entry the machine's CHIDs select (NoHwidsMatch: none). CHID types
// that are absent compare as all-zero, as systemd's do.
Result<size_t> match(Bytes section, const chid::Chid (&chids)[chid::kTypeCount]);

// The first string of the root node's "compatible" property, as systemd-stub reads it: the
// structure block is walked from its start, and only a compatible property met before any node
// other than the root (the root's name is empty) counts. Empty when there is none, or `dtb` is
// not a well-formed flattened devicetree header with its blocks inside `dtb`.
Bytes root_compatible(Bytes dtb);

// What the stub knows about the machine to choose a .dtbauto.
struct Machine {
        bool firmware_devicetree = false; // the firmware installed a devicetree table
        Bytes firmware_compatible;        // its root_compatible() (empty: unreadable)
        chid::Chid chids[chid::kTypeCount] = {};
};

// Why a profile's .dtbauto sections were not (all) considered; the stub logs one line.
enum class Note : uint8_t { None, HwidsFailed, BadBlob };

} // namespace zuki::hwids
