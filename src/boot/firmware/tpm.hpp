// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Carrying out a measurement plan through the firmware: EFI_TCG2_PROTOCOL for the TPM and
// EFI_CC_MEASUREMENT_PROTOCOL for confidential-computing guests. No TPM is not an error. A TPM
// that fails an extend leaves its PCRs incomplete: sealed secrets then stay sealed (the safe
// direction), the boot goes on as systemd-stub's does, and the PCRs are not reported as measured.

#pragma once

#include "../../shared/measure.hpp"
#include "../efi/system-table.hpp"
#include "config-table.hpp"

namespace zuki::boot {

struct MeasureResult {
        bool any_measured = false;         // at least one event reached a TPM or CC register
        bool pcr_measured[24] = {};        // per PCR: an event was extended into it
        bool claimed[measure::kClaimCount] = {}; // per claim: its events were all extended
        uint32_t failed_pcr = 0;           // on error: the PCR whose extend failed
};

// Measures every event of `plan` in order. When a present TPM or CC protocol fails an extend, logs
// one warning and returns the error: the PCRs are then incomplete and must not be reported as
// measured. A TPM that failed once is not used again in this boot (a dead TPM fails every command,
// and each would cost a warning and possibly a firmware timeout): later calls return kAborted
// without logging and measure nothing.
efi::Status measure_plan(efi::BootServices *bs, const measure::Plan &plan, MeasureResult *result);

// A confidential-computing guest (the firmware offers EFI_CC_MEASUREMENT_PROTOCOL: TDX, SEV-SNP):
// there the host controls SMBIOS, so its command-line extension is ignored, as systemd-stub
// ignores it (systemd detects such guests through CPUID; the protocol is our proxy).
bool confidential_vm(efi::BootServices *bs);

// The TPM's active PCR banks (EFI_TCG2_BOOT_HASH_ALG_* bits); false without a TPM.
bool tpm_active_pcr_banks(efi::BootServices *bs, uint32_t *banks);

// Copies the firmware's TPM event log into LINUX_EFI_TPM_EVENT_LOG, as the kernel's EFI stub does,
// for kernels we enter directly. Events measured afterwards reach the kernel through the
// firmware's final events table. Nothing to do without a TPM; failures are logged as warnings
// (the kernel then has no event log, the PCRs are unaffected). `table` owns the installed copy
// until the kernel is entered.
void install_event_log_for_linux(efi::SystemTable *st, ConfigTable *table);

} // namespace zuki::boot
