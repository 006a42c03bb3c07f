// SPDX-License-Identifier: LGPL-2.1-or-later
//
// "Will it unseal?" as a build-time guarantee: a UKI's embedded .pcrsig must authorize the PCR 11
// values the stub will produce when it boots that very file. zuki build, zuki-ukify and the
// kernel-install plugin refuse a UKI for which this does not hold, because such a UKI boots and
// then silently falls back to the recovery passphrase.
//
// For every profile, the stub's boot is simulated with the shared boot model. Every .pcrsig entry
// must then
//   - cover exactly PCR 11 (all systemd-measure signs; other PCRs do not follow from the UKI),
//   - carry a pol equal to the PolicyPCR digest of the predicted PCR 11 after some phase path
//     (any sequence of distinct systemd-pcrphase words, as ukify accepts them, and any path the
//     caller names),
//   - when signed by the key in .pcrpkey (same pkfp), carry a signature that key made over pol;
// and when the profile has a .pcrpkey, at least one entry must be signed by it.

#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "file-io.hpp"

namespace zuki {

struct PolicyCheckOptions {
        std::vector<std::string> phases; // phase paths accepted besides the sequences of known words
};

struct PolicyCheck {
        std::vector<std::string> problems; // one line each, naming profile, bank and entry
        nlohmann::ordered_json report;     // per profile: entries and the phase each one matched
        bool ok() const { return problems.empty(); }
};

// Checks every profile's .pcrsig of `uki` (file layout). Throws Failure naming `what` when the
// UKI itself is one the stub would refuse to boot.
PolicyCheck check_embedded_policies(Bytes uki, const std::string &what, const PolicyCheckOptions &options);

} // namespace zuki
