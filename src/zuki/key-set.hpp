// SPDX-License-Identifier: LGPL-2.1-or-later
//
// `zuki genkey`: new key files as `ukify genkey` makes them, all or none. Every output must be new
// and named once; a failure part way removes the files already written.

#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace zuki {

struct KeySetRequest {
        std::vector<std::string> pcr_private;  // one RSA 2048 PCR policy key each
        std::vector<std::string> pcr_public;   // the public key of the n-th pcr_private (optional)
        std::string sb_key, sb_cert;           // a Secure Boot key and self-signed certificate
        std::string common_name;
        int validity_days = 3650;
};

// Writes the key set; returns one {"file","content","pkfp"} object per file written. Throws
// UsageError for a file named twice, Failure for one that exists (before anything is made).
nlohmann::ordered_json generate_key_set(const KeySetRequest &request);

} // namespace zuki
