// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The host parsers of signed-policy data from untrusted places: a UKI's .pcrsig JSON, a LUKS2
// systemd-tpm2 token's JSON and public keys (.pcrpkey, tpm2_pubkey). Checked: only Failure (a
// one-line error) ever escapes; parsed PCR masks stay within 24 PCRs; every parsed entry re-encodes
// (hex, base64) to JSON that parses back to the same entry; base64 of any bytes round-trips; a
// parsed public key re-encodes to DER that parses to the same key.
//
// Input: 1 selector byte (0: .pcrsig, 1: token, 2: public key, 3: base64 text), then the data.

#include <nlohmann/json.hpp>

#include "failure.hpp"
#include "fuzz-common.hpp"
#include "keys.hpp"
#include "pcr-policy.hpp"
#include "pcr-predict.hpp"
#include "tpm2-token.hpp"

using namespace zuki;

namespace {

void fuzz_pcrsig(Bytes data) {
        std::vector<policy::SignatureEntry> entries;
        try {
                entries = policy::parse_signature_json(data, "fuzz");
        } catch (const Failure &) {
                return;
        }
        nlohmann::ordered_json j = nlohmann::ordered_json::object();
        for (const policy::SignatureEntry &e : entries) {
                FUZZ_CHECK(e.pcr_mask < (1u << 24), "mask %x", e.pcr_mask);
                j[e.bank].push_back({{"pcrs", policy::pcr_mask_json(e.pcr_mask)},
                                     {"pkfp", to_hex(bytes_of(e.pkfp))},
                                     {"pol", to_hex(bytes_of(e.pol))},
                                     {"sig", policy::to_base64(bytes_of(e.sig))}});
        }
        std::string text = j.dump();
        std::vector<policy::SignatureEntry> again =
                policy::parse_signature_json(Bytes(reinterpret_cast<const uint8_t *>(text.data()), text.size()), "again");
        FUZZ_CHECK(again.size() == entries.size(), "%zu != %zu entries", again.size(), entries.size());
        // Banks come back grouped (JSON objects cannot repeat a key), so compare as multisets.
        auto key = [](const policy::SignatureEntry &e) {
                return e.bank + "|" + std::to_string(e.pcr_mask) + "|" + to_hex(bytes_of(e.pkfp)) + "|" +
                       to_hex(bytes_of(e.pol)) + "|" + to_hex(bytes_of(e.sig));
        };
        std::vector<std::string> a, b;
        for (const auto &e : entries)
                a.push_back(key(e));
        for (const auto &e : again)
                b.push_back(key(e));
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        FUZZ_CHECK(a == b, "entries changed on re-encoding");
}

void fuzz_token(Bytes data) {
        try {
                Tpm2Token t = parse_tpm2_token(data, "fuzz");
                FUZZ_CHECK(t.hash_pcr_mask < (1u << 24) && t.pubkey_pcr_mask < (1u << 24), "masks");
                FUZZ_CHECK(!t.pubkey_pcr_mask || t.pubkey, "a pubkey mask without a pubkey was accepted");
                if (t.bank)
                        policy::tpm_alg_of_bank(*t.bank); // must not throw for an accepted bank
        } catch (const Failure &) {
        }
}

void fuzz_public_key(Bytes data) {
        Pkey key;
        try {
                key = parse_public_key(data, "fuzz");
        } catch (const Failure &) {
                return;
        }
        Buffer der = public_key_der(key.get());
        Pkey again = parse_public_key(bytes_of(der), "again");
        FUZZ_CHECK(same_public_key(key.get(), again.get()), "DER round trip changed the key");
        try {
                check_policy_key(key.get(), "fuzz");
                key_fingerprint(key.get());
        } catch (const Failure &) {
        }
}

void fuzz_base64(Bytes data) {
        Buffer back = policy::from_base64(policy::to_base64(data), "fuzz");
        FUZZ_CHECK(back.size() == data.size() && std::equal(back.begin(), back.end(), data.begin()), "base64 round trip");
        try {
                Buffer decoded = policy::from_base64(std::string(data.begin(), data.end()), "fuzz");
                FUZZ_CHECK(decoded.size() <= data.size(), "decoding grew the data");
        } catch (const Failure &) {
        }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        Bytes rest(data + 1, size - 1);
        try {
                switch (data[0] & 3) {
                case 0: fuzz_pcrsig(rest); break;
                case 1: fuzz_token(rest); break;
                case 2: fuzz_public_key(rest); break;
                case 3: fuzz_base64(rest); break;
                }
        } catch (const Failure &) {
                // Only where the harness says so above; anything else escaping is a finding.
                FUZZ_CHECK(false, "a Failure escaped where none was expected");
        }
        return 0;
}
