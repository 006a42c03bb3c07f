// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The LUKS2 "systemd-tpm2" token that systemd-cryptenroll writes and systemd-cryptsetup reads
// (systemd src/shared/tpm2-util.c, tpm2_make_luks2_json/tpm2_parse_luks2_json): which PCRs the
// key is bound to by value (tpm2-pcrs), in which bank, whether a PIN is needed, and for signed
// policies the public key (tpm2_pubkey, base64 of the PEM or DER file enrolled) and the PCRs the
// signature must cover (tpm2_pubkey_pcrs), and since systemd 262 the policy reference the
// signatures must be bound to (tpm2_pubkey_ref; only .pcrsig entries with that "ref" can unlock).

#pragma once

#include <optional>
#include <string>

#include "file-io.hpp"

namespace zuki {

struct Tpm2Token {
        uint32_t hash_pcr_mask = 0;       // tpm2-pcrs: PCRs bound by their current value
        std::optional<std::string> bank;  // tpm2-pcr-bank; systemd picks the best bank when absent
        bool pin = false;                 // tpm2-pin
        uint32_t pubkey_pcr_mask = 0;     // tpm2_pubkey_pcrs
        std::optional<Buffer> pubkey;     // tpm2_pubkey, decoded from base64
        std::string pubkey_ref;           // tpm2_pubkey_ref (systemd 262 --tpm2-public-key-policyref); "" if absent
        Buffer policy_hash;               // tpm2-policy-hash
};

// Parses the token JSON; throws Failure naming `what` when it is not a usable systemd-tpm2 token
// (the rules systemd applies: tpm2-pcrs, tpm2-blob and tpm2-policy-hash required; a public key
// mask needs a public key).
Tpm2Token parse_tpm2_token(Bytes json, const std::string &what);

} // namespace zuki
