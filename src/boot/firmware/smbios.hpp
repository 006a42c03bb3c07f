// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The firmware's SMBIOS table, for what systemd-stub 262 does with it (../../shared/smbios.hpp):
// the PCR 1 measurements of the type 1, 2 and 11 structures, and the OEM string that extends the
// kernel command line.

#pragma once

#include "../../shared/measure.hpp"
#include "../efi/system-table.hpp"
#include "pages.hpp"

namespace zuki::boot {

// The structure table (SMBIOS 3 entry point first, then SMBIOS 2.1), or an empty view.
Bytes smbios_table(const efi::SystemTable *st);

class SmbiosMeasurements {
public:
        // Adds the PCR 1 events to `plan` unless a boot loader already made them this boot
        // (LoaderPcrSMBIOS exists). The events point into this object and the table.
        Status add(Bytes table, measure::Plan *plan);

private:
        PoolArray<uint8_t> type1_copy_; // with the wake-up type zeroed
};

// After measuring: tells the OS which PCR holds them, as systemd-stub does.
void announce_smbios_measured();

} // namespace zuki::boot
