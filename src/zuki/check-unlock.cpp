// SPDX-License-Identifier: LGPL-2.1-or-later

#include "check-unlock.hpp"

#include "boot-prediction.hpp"

#include <cstring>
#include <libcryptsetup.h>

#include "boot-prediction.hpp"
#include "expected-events.hpp"
#include "failure.hpp"
#include "keys.hpp"
#include "pcr-policy.hpp"
#include "pcr-predict.hpp"
#include "pe.hpp"
#include "uki.hpp"

namespace zuki {

namespace {

// PCRs whose value changes when a different UKI boots: 4 (the firmware measures every image it
// loads, Authenticode hash) and 11 (the stub measures the UKI's sections).
constexpr uint32_t kUkiDependentPcrs = (1u << 4) | (1u << measure::kPcrKernelBoot);

std::string mask_text(uint32_t mask) {
        std::string s;
        for (uint32_t i = 0; i <= policy::kMaxPcr; i++)
                if (mask & (1u << i))
                        s += (s.empty() ? "" : "+") + std::to_string(i);
        return s.empty() ? "none" : s;
}

std::string short_hex(Bytes b) { return to_hex(b).substr(0, 16) + "…"; }

struct CryptDeviceDeleter {
        void operator()(crypt_device *cd) const { crypt_free(cd); }
};

// libcryptsetup's messages go to this instead of stderr; the last error explains a failure.
void collect_log(int level, const char *msg, void *usrptr) {
        if (level == CRYPT_LOG_ERROR && msg) {
                std::string *last = static_cast<std::string *>(usrptr);
                *last = msg;
                while (!last->empty() && (last->back() == '\n' || last->back() == '.'))
                        last->pop_back();
        }
}

} // namespace

const char *answer_name(UnlockAnswer a) {
        switch (a) {
        case UnlockAnswer::Unlocks: return "unlocks";
        case UnlockAnswer::UnlocksWithPin: return "unlocks-with-pin";
        case UnlockAnswer::CannotTell: return "cannot-tell";
        case UnlockAnswer::PhaseMissing: return "phase-missing";
        case UnlockAnswer::BankMissing: return "bank-missing";
        case UnlockAnswer::PcrMismatch: return "pcr-mismatch";
        case UnlockAnswer::KeyMismatch: return "key-mismatch";
        case UnlockAnswer::NoSignature: return "no-signature";
        case UnlockAnswer::NoToken: return "no-token";
        }
        return "?";
}

int answer_rank(UnlockAnswer a) {
        static constexpr UnlockAnswer kOrder[] = {
                UnlockAnswer::Unlocks,      UnlockAnswer::UnlocksWithPin, UnlockAnswer::CannotTell,
                UnlockAnswer::PhaseMissing, UnlockAnswer::BankMissing,    UnlockAnswer::PcrMismatch,
                UnlockAnswer::KeyMismatch,  UnlockAnswer::NoSignature,    UnlockAnswer::NoToken,
        };
        for (size_t i = 0; i < std::size(kOrder); i++)
                if (kOrder[i] == a)
                        return (int) i;
        return (int) std::size(kOrder);
}

TokenVerdict judge_token(const Tpm2Token &token, const UkiPolicy &uki, const CheckUnlockOptions &options) {
        TokenVerdict v;
        nlohmann::ordered_json &d = v.details;
        d["tpm2-pcrs"] = policy::pcr_mask_json(token.hash_pcr_mask);
        d["tpm2_pubkey_pcrs"] = policy::pcr_mask_json(token.pubkey_pcr_mask);
        d["pin"] = token.pin;
        auto verdict = [&](UnlockAnswer a, const std::string &reason) {
                v.answer = a;
                v.reason = reason;
                return v;
        };

        if (!token.pubkey || token.pubkey_pcr_mask == 0)
                return verdict(UnlockAnswer::NoToken, "the token has no signed PCR policy (no tpm2_pubkey); PCRs bound by value: " +
                                                      mask_text(token.hash_pcr_mask));
        Pkey key = parse_public_key(bytes_of(*token.pubkey), "The token's tpm2_pubkey");
        Buffer fp = key_fingerprint(key.get());
        d["pkfp"] = to_hex(bytes_of(fp));
        d["key"] = describe_key(key.get());
        // systemd picks the best bank the TPM has when the token names none: SHA-256 on every
        // TPM that has it.
        std::string bank = token.bank ? *token.bank : "sha256";
        d["bank"] = bank;
        d["bank_assumed"] = !token.bank;
        if (uki.has_pcrpkey) {
                bool same = false;
                try {
                        Pkey embedded = parse_public_key(bytes_of(uki.pcrpkey), "The UKI's .pcrpkey");
                        same = same_public_key(embedded.get(), key.get());
                } catch (const Failure &) {
                }
                d["pcrpkey_matches"] = same;
        }

        if (!uki.has_pcrsig)
                return verdict(UnlockAnswer::NoSignature, "the UKI has no .pcrsig section");
        std::vector<policy::SignatureEntry> entries = policy::parse_signature_json(bytes_of(uki.pcrsig), "The UKI's .pcrsig");

        std::vector<const policy::SignatureEntry *> by_key;
        std::string other_keys;
        for (const policy::SignatureEntry &e : entries) {
                if (e.pkfp == fp)
                        by_key.push_back(&e);
                else if (other_keys.find(short_hex(bytes_of(e.pkfp))) == std::string::npos)
                        other_keys += (other_keys.empty() ? "" : ", ") + short_hex(bytes_of(e.pkfp));
        }
        if (by_key.empty())
                return verdict(UnlockAnswer::KeyMismatch, "the token trusts key fingerprint " + short_hex(bytes_of(fp)) +
                                                                  ", the UKI's policy is signed by " +
                                                                  (other_keys.empty() ? "no key" : other_keys));
        // The TPM checks the signature over pol ‖ policyRef with the token's reference, so only
        // entries signed for that reference ("ref", absent = none) can unlock.
        std::vector<const policy::SignatureEntry *> by_ref;
        std::string other_refs;
        for (const policy::SignatureEntry *e : by_key) {
                if (e->ref == token.pubkey_ref)
                        by_ref.push_back(e);
                else if (std::string r = e->ref.empty() ? "none" : "'" + e->ref + "'"; other_refs.find(r) == std::string::npos)
                        other_refs += (other_refs.empty() ? "" : ", ") + r;
        }
        if (!token.pubkey_ref.empty())
                d["policyref"] = token.pubkey_ref;
        if (by_ref.empty())
                return verdict(UnlockAnswer::KeyMismatch,
                               "the token wants signatures for policy reference " +
                                       (token.pubkey_ref.empty() ? std::string("none") : "'" + token.pubkey_ref + "'") +
                                       ", the UKI's signatures by its key are for reference " + other_refs);
        std::vector<const policy::SignatureEntry *> by_mask;
        std::string other_masks;
        for (const policy::SignatureEntry *e : by_ref) {
                if (e->pcr_mask == token.pubkey_pcr_mask)
                        by_mask.push_back(e);
                else
                        other_masks = mask_text(e->pcr_mask);
        }
        if (by_mask.empty())
                return verdict(UnlockAnswer::PcrMismatch, "the token wants a policy signed for PCR " + mask_text(token.pubkey_pcr_mask) +
                                                                  ", the UKI's signatures cover PCR " + other_masks);
        std::vector<const policy::SignatureEntry *> by_bank;
        for (const policy::SignatureEntry *e : by_mask)
                if (e->bank == bank)
                        by_bank.push_back(e);
        if (by_bank.empty())
                return verdict(UnlockAnswer::BankMissing, "the UKI's .pcrsig has no " + bank + " entries for this key");
        if (uki.pcr11_after_stub && uki.pcr11_after_stub->empty())
                return verdict(UnlockAnswer::CannotTell, "the signed policy's key and PCRs fit, but PCR 11 after the stub is not "
                                                         "known (neither the booted UKI nor an event log was found)");
        if (uki.pcr11_after_stub && bank != "sha256")
                return verdict(UnlockAnswer::CannotTell, "the token uses the " + bank +
                                                                 " bank; the event log was replayed for sha256 only");
        if (token.pubkey_pcr_mask != (1u << measure::kPcrKernelBoot))
                return verdict(UnlockAnswer::CannotTell, "the signed policy covers PCR " + mask_text(token.pubkey_pcr_mask) +
                                                                 "; zuki predicts PCR 11 only");

        // Every phase the boot passes must find a signature for the PCR 11 value it will see.
        std::vector<std::string> phases = options.phases.empty() ? default_phase_paths() : options.phases;
        std::string missing;
        d["phases"] = nlohmann::ordered_json::array();
        for (const std::string &p : phases) {
                std::string phase = policy::normalize_phase(p);
                Buffer value = uki.pcr11_after_stub ? extend_phase_words(bank, *uki.pcr11_after_stub, phase_words(phase))
                                                    : replay(uki.plan, measure::kPcrKernelBoot, bank, phase_words(phase));
                Buffer pol = policy::policy_pcr_digest(bank, token.pubkey_pcr_mask, bytes_of(value));
                bool found = false, valid = false;
                for (const policy::SignatureEntry *e : by_bank) {
                        if (e->pol != pol)
                                continue;
                        found = true;
                        valid = policy::verify_for_policy_authorize(key.get(), bytes_of(pol), bytes_of(e->sig), token.pubkey_ref);
                        if (valid)
                                break;
                }
                d["phases"].push_back({{"phase", phase}, {"pcr11", to_hex(bytes_of(value))}, {"pol", to_hex(bytes_of(pol))},
                                       {"signed", found}, {"signature_valid", valid}});
                if (!valid)
                        missing += (missing.empty() ? "" : ", ") + (phase.empty() ? std::string(":") : phase) +
                                   (found ? " (signature does not verify)" : "");
        }
        if (!missing.empty())
                return verdict(UnlockAnswer::PhaseMissing, "no valid signature for the predicted PCR 11 in phase " + missing);

        uint32_t by_value = token.hash_pcr_mask & kUkiDependentPcrs;
        if (by_value)
                return verdict(UnlockAnswer::CannotTell, "the policy is signed, but the token also binds PCR " + mask_text(by_value) +
                                                                 " to the values at enrolment, which depend on the booted image");
        std::string extra = token.hash_pcr_mask ? "; PCR " + mask_text(token.hash_pcr_mask) + " must also keep their enrolled values" : "";
        if (token.pin)
                return verdict(UnlockAnswer::UnlocksWithPin, "signed policy for PCR 11 (" + bank + ") in every phase; the PIN is needed" + extra);
        return verdict(UnlockAnswer::Unlocks, "signed policy for PCR 11 (" + bank + ") in every phase" + extra);
}

UkiPolicy uki_policy_of(Bytes uki, uint32_t profile, const std::string &what) {
        BootConditions conditions;
        conditions.profile = profile;
        std::unique_ptr<PredictedBoot> boot = predict_boot(uki, what, conditions);
        UkiPolicy policy;
        policy.plan = pcr11_plan(*boot);
        policy.has_pcrsig = boot->has_section(uki::SectionId::Pcrsig);
        if (policy.has_pcrsig) {
                Bytes json = policy::pcrsig_json(boot->boot.section(uki::SectionId::Pcrsig));
                policy.pcrsig.assign(json.begin(), json.end());
        }
        policy.has_pcrpkey = boot->has_section(uki::SectionId::Pcrpkey);
        if (policy.has_pcrpkey) {
                Bytes key = boot->boot.section(uki::SectionId::Pcrpkey);
                policy.pcrpkey.assign(key.begin(), key.end());
        }
        return policy;
}

VolumeVerdict judge_volume(const std::vector<std::pair<int, std::string>> &tokens, const UkiPolicy &uki,
                           const CheckUnlockOptions &options) {
        VolumeVerdict v;
        v.reason = "the volume has no systemd-tpm2 token";
        for (const auto &[id, text] : tokens) {
                Bytes tb(reinterpret_cast<const uint8_t *>(text.data()), text.size());
                TokenVerdict t = judge_token(parse_tpm2_token(tb, "Token " + std::to_string(id)), uki, options);
                nlohmann::ordered_json r;
                r["token"] = id;
                r["answer"] = answer_name(t.answer);
                r["exit"] = (int) t.answer;
                r["reason"] = t.reason;
                for (auto &[k, val] : t.details.items())
                        r[k] = val;
                v.tokens.push_back(r);
                v.lines += "  token " + std::to_string(id) + ": " + answer_name(t.answer) + ": " + t.reason + "\n";
                if (answer_rank(t.answer) < answer_rank(v.answer) || v.tokens.size() == 1) {
                        v.answer = t.answer;
                        v.reason = "token " + std::to_string(id) + ": " + t.reason;
                }
        }
        return v;
}

bool answer_fails(UnlockAnswer a) {
        switch (a) {
        case UnlockAnswer::Unlocks:
        case UnlockAnswer::UnlocksWithPin:
        case UnlockAnswer::CannotTell:
        case UnlockAnswer::NoToken: return false;
        default: return true;
        }
}

std::vector<std::pair<int, std::string>> read_tpm2_tokens(const std::string &path) {
        std::string last_error;
        // Route libcryptsetup's default log to us for as long as `last_error` lives.
        struct LogGuard {
                explicit LogGuard(std::string *sink) { crypt_set_log_callback(nullptr, collect_log, sink); }
                ~LogGuard() { crypt_set_log_callback(nullptr, nullptr, nullptr); }
        } guard(&last_error);
        // systemd's token plugin is not needed to read the token JSON; do not load it into zuki.
        crypt_token_external_disable();
        crypt_device *raw = nullptr;
        int r = crypt_init(&raw, path.c_str());
        std::unique_ptr<crypt_device, CryptDeviceDeleter> cd(raw);
        if (r < 0)
                fail("Cannot open " + path + ": " + (last_error.empty() ? std::strerror(-r) : last_error));
        crypt_set_log_callback(cd.get(), collect_log, &last_error);
        r = crypt_load(cd.get(), CRYPT_LUKS2, nullptr);
        if (r < 0)
                fail(path + " is not a LUKS2 volume or header" + (last_error.empty() ? "" : ": " + last_error));
        std::vector<std::pair<int, std::string>> tokens;
        int max = crypt_token_max(CRYPT_LUKS2);
        for (int id = 0; id < max; id++) {
                const char *type = nullptr;
                crypt_token_info info = crypt_token_status(cd.get(), id, &type);
                if (info == CRYPT_TOKEN_INVALID || info == CRYPT_TOKEN_INACTIVE || !type ||
                    std::string(type) != "systemd-tpm2")
                        continue;
                const char *json = nullptr;
                if (crypt_token_json_get(cd.get(), id, &json) < 0 || !json)
                        continue;
                tokens.emplace_back(id, json);
        }
        return tokens;
}

} // namespace zuki
