// SPDX-License-Identifier: LGPL-2.1-or-later

#include "tpm2-token.hpp"

#include <nlohmann/json.hpp>

#include "failure.hpp"
#include "pcr-policy.hpp"

namespace zuki {

namespace {

uint32_t pcr_mask(const nlohmann::json &j, const std::string &what) {
        if (!j.is_array())
                fail(what + " is not an array of PCR numbers");
        uint32_t mask = 0;
        for (const nlohmann::json &e : j) {
                if (!e.is_number_unsigned() || e.get<uint64_t>() > policy::kMaxPcr)
                        fail(what + " holds something other than a PCR number 0-23");
                mask |= 1u << e.get<uint32_t>();
        }
        return mask;
}

const std::string &string_field(const nlohmann::json &j, const char *key, const std::string &what) {
        if (!j[key].is_string())
                fail(what + ": " + key + " is not a string");
        return j[key].get_ref<const std::string &>();
}

} // namespace

Tpm2Token parse_tpm2_token(Bytes text, const std::string &what) {
        nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
        if (j.is_discarded() || !j.is_object())
                fail(what + " is not a JSON object");
        Tpm2Token t;
        if (!j.contains("tpm2-pcrs"))
                fail(what + " lacks tpm2-pcrs");
        t.hash_pcr_mask = pcr_mask(j["tpm2-pcrs"], what + ": tpm2-pcrs");
        if (j.contains("tpm2-pcr-bank"))
                t.bank = policy::normalize_bank(string_field(j, "tpm2-pcr-bank", what));
        if (!j.contains("tpm2-blob"))
                fail(what + " lacks tpm2-blob");
        policy::from_base64(string_field(j, "tpm2-blob", what), what + ": tpm2-blob");
        if (!j.contains("tpm2-policy-hash"))
                fail(what + " lacks tpm2-policy-hash");
        t.policy_hash = policy::from_hex(string_field(j, "tpm2-policy-hash", what), what + ": tpm2-policy-hash");
        if (j.contains("tpm2-pin")) {
                if (!j["tpm2-pin"].is_boolean())
                        fail(what + ": tpm2-pin is not a boolean");
                t.pin = j["tpm2-pin"].get<bool>();
        }
        if (j.contains("tpm2_pubkey_pcrs"))
                t.pubkey_pcr_mask = pcr_mask(j["tpm2_pubkey_pcrs"], what + ": tpm2_pubkey_pcrs");
        if (j.contains("tpm2_pubkey"))
                t.pubkey = policy::from_base64(string_field(j, "tpm2_pubkey", what), what + ": tpm2_pubkey");
        else if (t.pubkey_pcr_mask)
                fail(what + " has tpm2_pubkey_pcrs but no tpm2_pubkey");
        if (j.contains("tpm2_pubkey_ref")) {
                t.pubkey_ref = string_field(j, "tpm2_pubkey_ref", what);
                if (!t.pubkey)
                        fail(what + " has tpm2_pubkey_ref but no tpm2_pubkey");
        }
        return t;
}

} // namespace zuki
