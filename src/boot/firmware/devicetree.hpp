// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Installing devicetrees as the firmware's devicetree configuration table (EFI_DTB_TABLE_GUID,
// the table Linux's EFI stub reads on arm64), replacing the firmware's own for this boot: the
// UKI's .dtb first, then each addon's (systemd-stub 262: global addons, then the UKI's own, each
// replacing the tree before it, so the last one installed is the one the kernel gets).

#pragma once

#include "../../shared/base.hpp"
#include "../../shared/hwids.hpp"
#include "../efi/system-table.hpp"
#include "pages.hpp"

namespace zuki::boot {

inline constexpr efi::Guid kDtbTableGuid = {0xb1b621d5, 0xf19c, 0x41a5, {0x83, 0x0b, 0xd9, 0x15, 0x2c, 0x69, 0xaa, 0xe0}};

// What systemd-stub 262 matches .dtbauto sections against (../../shared/hwids.hpp): whether the
// firmware installed a devicetree and its root compatible string, and the CHIDs of the SMBIOS
// `table` (as the stub computes them: missing strings are empty). The firmware tree is read only
// as far as its header says (at most 32 MiB, systemd's limit for a devicetree file).
void describe_machine(const efi::SystemTable *st, Bytes smbios_table, hwids::Machine *out);

class DevicetreeInstall {
public:
        DevicetreeInstall() = default;
        DevicetreeInstall(const DevicetreeInstall &) = delete;
        DevicetreeInstall &operator=(const DevicetreeInstall &) = delete;
        // Puts the firmware's table back if the kernel returns.
        ~DevicetreeInstall() { restore(); }

        // Validates the flattened devicetree header (magic, total size within the section),
        // runs the firmware's fix-ups over a copy in ACPI-reclaim memory (which the kernel keeps)
        // and installs it in place of the current table (the firmware's, or one installed before
        // through this object, whose pages are then freed). `source` names the tree in the one
        // line a failure logs (e.g. u"the .dtb section" or an addon's file name).
        //   - a malformed header: an error status (nothing changes);
        //   - a failed fix-up: logged, kSuccess with *installed false: the table stays as it was
        //     (what systemd-stub does);
        //   - installed: kSuccess with *installed true.
        efi::Status install(efi::SystemTable *st, Bytes dtb, const char16_t *source, bool *installed);
        void restore();

private:
        efi::SystemTable *st_ = nullptr;
        void *previous_ = nullptr; // the firmware's own table (null: it had none)
        bool installed_ = false;
        Pages pages_;
};

} // namespace zuki::boot
