// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Installing a UKI's .dtb as the firmware's devicetree configuration table (EFI_DTB_TABLE_GUID,
// the table Linux's EFI stub reads on arm64), replacing the firmware's own for this boot.

#pragma once

#include "../../shared/base.hpp"
#include "../efi/system-table.hpp"
#include "pages.hpp"

namespace zuki::boot {

inline constexpr efi::Guid kDtbTableGuid = {0xb1b621d5, 0xf19c, 0x41a5, {0x83, 0x0b, 0xd9, 0x15, 0x2c, 0x69, 0xaa, 0xe0}};

class DevicetreeInstall {
public:
        DevicetreeInstall() = default;
        DevicetreeInstall(const DevicetreeInstall &) = delete;
        DevicetreeInstall &operator=(const DevicetreeInstall &) = delete;
        // Puts the firmware's table back if the kernel returns.
        ~DevicetreeInstall() { restore(); }

        // Validates the flattened devicetree header (magic, total size within the section),
        // runs the firmware's fix-ups over a copy in ACPI-reclaim memory (which the kernel keeps)
        // and installs it. A malformed header is an error; a failed fix-up is logged and leaves
        // the firmware's tree in place (what systemd-stub does).
        efi::Status install(efi::SystemTable *st, Bytes dtb);
        void restore();

private:
        efi::SystemTable *st_ = nullptr;
        void *previous_ = nullptr;
        bool installed_ = false;
        Pages pages_;
};

} // namespace zuki::boot
