// SPDX-License-Identifier: LGPL-2.1-or-later
//
// `zuki status`: how the running system booted, from what the stub and the boot loader left in
// EFI variables (systemd's boot loader interface), the TPM's PCR 11 and the signed PCR policy the
// UKI carried (.pcrsig, handed to userspace as /.extra/tpm2-pcr-signature.json).
//
// The PCR 11 check: the policy digest (TPM2_PolicyPCR over PCR 11, SHA-256 bank) of the value
// read now is looked up among the signed ones; if it is not there, the value is extended with the
// boot phases still to come (enter-initrd, leave-initrd, sysinit, ready, as systemd-pcrphase
// does) and looked up again. No match at all means a TPM2 unlock bound to that signed policy
// would fail.
//
// Whether the disk unlocks is decided by the volumes that are configured (/etc/crypttab, the root
// volume on the kernel command line): their systemd-tpm2 tokens are judged by check-unlock's
// judge_volume against the booted UKI (found by StubImageIdentifier on the ESP) or, without it,
// against the /.extra policy with PCR 11 as the event log replays it. The firmware's event log
// is replayed against the live PCRs, and the stub's PCR 11/12 events are compared with the
// prediction for the booted UKI, naming the first that differs. Everything is read below a root
// directory, so tests can fake efivarfs, sysfs, /etc and the ESP.

#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace zuki {

struct StatusOptions {
        std::string root = "/";
        // The booted UKI, when it cannot be found from StubImageIdentifier below the ESP mount
        // points (empty: look there); zuki status --uki.
        std::string uki;
};

// The report as JSON (see zuki(1) for the fields). Missing sources give nulls, never errors.
nlohmann::ordered_json boot_status(const StatusOptions &options);

// Human-readable form of the report.
std::string render_status(const nlohmann::ordered_json &report);

// The warning to log when a TPM2 unlock would fail ("" when it would not, or when nothing is
// known): the volume and reason, and the first differing event when there is one.
std::string unlock_warning(const nlohmann::ordered_json &report);

} // namespace zuki
