// SPDX-License-Identifier: LGPL-2.1-or-later
//
// `zuki check-unlock`: will this UKI's signed PCR policy unlock this LUKS2 volume after a reboot?
//
// systemd-cryptsetup unseals a systemd-tpm2 token enrolled with a public key (tpm2_pubkey) by
// finding, in the booted UKI's .pcrsig (passed on as /.extra/tpm2-pcr-signature.json), an entry of
// the token's bank whose PCR mask equals tpm2_pubkey_pcrs, whose pkfp is the token key's
// fingerprint and whose pol equals the PolicyPCR digest of the PCRs at that moment; the TPM then
// checks the signature (TPM2_VerifySignature) and PolicyAuthorize. zuki predicts PCR 11 for each
// boot phase from the UKI's sections and checks all of that on the host.

#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "file-io.hpp"
#include "measure.hpp"
#include "tpm2-token.hpp"

namespace zuki {

// One exit status per answer (documented in zuki(1)). Ordered from best to worst, so the best
// answer over several tokens is the smallest rank.
enum class UnlockAnswer {
        Unlocks = 0,          // the policy is satisfied; no interaction
        UnlocksWithPin = 10,  // the policy is satisfied; the token also wants its PIN
        CannotTell = 26,      // the token also binds PCRs to values that depend on this UKI
        PhaseMissing = 25,    // a boot phase has no valid signature for the predicted PCR 11
        BankMissing = 24,     // .pcrsig has no entries for the token's PCR bank
        PcrMismatch = 23,     // the key's signatures cover other PCRs than tpm2_pubkey_pcrs
        KeyMismatch = 22,     // no .pcrsig entry is signed by the token's key
        NoSignature = 21,     // the UKI (profile) has no .pcrsig
        NoToken = 20,         // the volume has no systemd-tpm2 token with a signed policy
};

const char *answer_name(UnlockAnswer a);     // "unlocks", "key-mismatch", …
int answer_rank(UnlockAnswer a);             // smaller is better

struct UkiPolicy {
        measure::Plan plan;                   // PCR 11 events of the selected profile
        // When the UKI itself is not at hand (zuki status without it): PCR 11 (SHA-256) as the
        // stub left it, replayed from the firmware's event log. Used instead of `plan`; empty when
        // not known either (the phases cannot be judged then).
        std::optional<Buffer> pcr11_after_stub;
        bool has_pcrsig = false;
        Buffer pcrsig;
        bool has_pcrpkey = false;
        Buffer pcrpkey;
};

struct CheckUnlockOptions {
        std::vector<std::string> phases;      // empty: the four systemd-pcrphase paths
};

struct TokenVerdict {
        UnlockAnswer answer = UnlockAnswer::NoToken;
        std::string reason;                   // one line
        nlohmann::ordered_json details;
};

// The policy of `profile` of a UKI image: its PCR 11 plan, .pcrsig and .pcrpkey.
UkiPolicy uki_policy_of(Bytes uki, uint32_t profile, const std::string &what);

// Judges one token against the UKI's policy.
TokenVerdict judge_token(const Tpm2Token &token, const UkiPolicy &uki, const CheckUnlockOptions &options);

struct VolumeVerdict {
        UnlockAnswer answer = UnlockAnswer::NoToken;
        std::string reason;                   // "token N: …" of the best token
        nlohmann::ordered_json tokens = nlohmann::ordered_json::array();
        std::string lines;                    // one "  token N: answer: reason" line per token
};

// Judges every systemd-tpm2 token of a volume (as read_tpm2_tokens returns them); the volume's
// answer is the best token's, since systemd-cryptsetup tries them all.
VolumeVerdict judge_volume(const std::vector<std::pair<int, std::string>> &tokens, const UkiPolicy &uki,
                           const CheckUnlockOptions &options);

// True for the answers that mean the volume falls back to a passphrase or recovery key.
bool answer_fails(UnlockAnswer a);

// The systemd-tpm2 tokens of a LUKS2 device or detached header file: (token id, JSON text).
std::vector<std::pair<int, std::string>> read_tpm2_tokens(const std::string &path);

} // namespace zuki
