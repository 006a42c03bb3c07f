// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Reading the firmware's SMBIOS structure table (DMTF DSP0134) the way systemd-stub 262 does, for
// two things it does with it: measuring the type 1, 2 and 11 structures into PCR 1 (as tagged
// events; once per boot, announced by LoaderPcrSMBIOS), and appending the OEM string
// "io.systemd.stub.kernel-cmdline-extra=" of the first type 11 structure to the command line.
//
// A structure is its formatted area (`length` bytes from its header) followed by its string set,
// which ends with a double NUL (or is just two NULs when it has no string). Type 127 ends the table.

#pragma once

#include "base.hpp"

namespace zuki::smbios {

inline constexpr uint8_t kTypeBios = 0;
inline constexpr uint8_t kTypeSystem = 1;
inline constexpr uint8_t kTypeBaseboard = 2;
inline constexpr uint8_t kTypeEnclosure = 3;
inline constexpr uint8_t kTypeOemStrings = 11;
inline constexpr uint8_t kTypeEnd = 127;
inline constexpr size_t kType1WakeUpTypeOffset = 0x18;

// systemd's tags for the PCR 1 events (src/fundamental/tpm2-pcr.h).
inline constexpr uint32_t kType1EventTag = 0xd5cb7cbc;
inline constexpr uint32_t kType2EventTag = 0xe0d47bc8;
inline constexpr uint32_t kType11EventTag = 0xc0b3bd23;

inline constexpr const char *kCmdlineExtraPrefix = "io.systemd.stub.kernel-cmdline-extra=";

struct Structure {
        uint8_t type;
        Bytes bytes; // formatted area and string set, its terminating NULs included
};

// Calls `f(structure, user)` for each structure in table order, until the end structure, a
// structure the table cannot hold, or `f` returning false. Returns how many were visited.
size_t for_each(Bytes table, bool (*f)(const Structure &, void *), void *user);

// The value of the first string starting with `prefix` in the first type 11 structure (up to its
// NUL, without it), or an empty view (`found` false) when there is none.
Bytes find_oem_string(Bytes table, const char *prefix, bool *found);

// The first structure of `type`, as systemd-stub's get_smbios_table() finds it: false when there is
// none, or when the first one is shorter than `min_length` (a later one is not looked at).
bool find_first(Bytes table, uint8_t type, size_t min_length, Structure *out);

// String number `n` (1-based, as the formatted area refers to it) of a structure; false for 0 or
// a number past its string set.
bool string_at(const Structure &s, uint8_t n, Bytes *out);

} // namespace zuki::smbios
