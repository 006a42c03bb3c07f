// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The console= argument systemd-stub 261/262 appends when the command line has none: the firmware's
// console is the kernel's console too. Not measured (it follows from the hardware the firmware
// reports). In this order:
//   1. exactly one virtio console PCI device (1af4:1003): "console=hvc0";
//   2. a graphics output (GOP): nothing, the kernel's default is right;
//   3. x86_64: the console output is a 16550 UART (ACPI PNP0501) with UID 0-3, or every text output
//      that is one agrees on it: "console=uart,io,0x3f8" (0x2f8, 0x3e8, 0x2e8);
//   4. otherwise nothing.

#pragma once

#include "../../shared/base.hpp"
#include "../efi/system-table.hpp"

namespace zuki::boot {

// The argument to append, or nullptr.
const char16_t *console_argument(efi::SystemTable *st);

} // namespace zuki::boot
