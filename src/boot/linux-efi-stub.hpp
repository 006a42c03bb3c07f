// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What Linux's EFI stub (drivers/firmware/efi/libstub) does for its kernel before it exits boot
// services, done by us for an x86_64 kernel we enter directly, whose EFI stub never runs: the
// Secure Boot state for boot_params, PCR 9 as it measures it, a random seed table. (The TPM event
// log copy is in firmware/tpm.hpp.)

#pragma once

#include "../shared/base.hpp"
#include "../shared/x86-boot.hpp"
#include "efi/system-table.hpp"
#include "firmware/config-table.hpp"

namespace zuki::boot {

// boot_params.secure_boot, as the kernel's EFI stub would set it: without it the kernel does not
// know it was booted with Secure Boot and does not lock itself down. Logs a warning when unknown.
x86::SecureBootMode read_secure_boot_mode(efi::RuntimeServices *rs);

// PCR 9 as the kernel's EFI stub measures it: its load options, then the initrd it loaded. A
// failure is logged (in measure_plan()) and the boot goes on.
void measure_like_efi_stub(efi::BootServices *bs, Bytes load_options, Bytes initrd);

// A fresh seed for the kernel's entropy pool in LINUX_EFI_RANDOM_SEED_TABLE, keeping a boot
// loader's seed after ours, owned by `table` until the kernel is entered. Without an RNG, or when
// it fails, the kernel gets no seed from us (one line says so).
void install_random_seed(efi::SystemTable *st, ConfigTable *table);

} // namespace zuki::boot
