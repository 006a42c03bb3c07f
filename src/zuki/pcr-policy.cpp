// SPDX-License-Identifier: LGPL-2.1-or-later

#include "pcr-policy.hpp"

#include <algorithm>
#include <cctype>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <set>

#include "crypto.hpp"
#include "failure.hpp"
#include "pcr-predict.hpp"

namespace zuki::policy {

namespace {

void put_be16(Buffer *b, uint16_t v) {
        b->push_back((uint8_t) (v >> 8));
        b->push_back((uint8_t) v);
}

void put_be32(Buffer *b, uint32_t v) {
        for (int shift = 24; shift >= 0; shift -= 8)
                b->push_back((uint8_t) (v >> shift));
}

const EVP_MD *md_of_bank(const std::string &bank) {
        const EVP_MD *md = EVP_get_digestbyname(bank.c_str());
        if (!md)
                fail("OpenSSL has no digest " + bank);
        return md;
}

// systemd's tpm2_parse_pcr_json_array: an array of PCR numbers below 24.
uint32_t parse_pcr_mask(const nlohmann::json &j, const std::string &what) {
        if (!j.is_array())
                fail(what + ": \"pcrs\" is not an array");
        uint32_t mask = 0;
        for (const nlohmann::json &e : j) {
                if (!e.is_number_unsigned() || e.get<uint64_t>() > kMaxPcr)
                        fail(what + ": \"pcrs\" holds something other than a PCR number 0-23");
                mask |= 1u << e.get<uint32_t>();
        }
        return mask;
}

// systemd-pcrphase's extension of PCR 11 by each phase word (no NUL).
Buffer extend_words(const std::string &bank, Buffer value, const std::vector<std::string> &words) {
        const EVP_MD *md = md_of_bank(bank);
        for (const std::string &w : words) {
                unsigned char word_digest[EVP_MAX_MD_SIZE], next[EVP_MAX_MD_SIZE];
                unsigned n = 0, m = 0;
                MdCtxPtr ctx(EVP_MD_CTX_new());
                if (EVP_Digest(w.data(), w.size(), word_digest, &n, md, nullptr) != 1 || !ctx ||
                    EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
                    EVP_DigestUpdate(ctx.get(), value.data(), value.size()) != 1 ||
                    EVP_DigestUpdate(ctx.get(), word_digest, n) != 1 || EVP_DigestFinal_ex(ctx.get(), next, &m) != 1)
                        fail("PCR extension with " + bank + " failed");
                value.assign(next, next + m);
        }
        return value;
}

} // namespace

uint16_t tpm_alg_of_bank(const std::string &bank) {
        if (bank == "sha1")
                return 0x0004;
        if (bank == "sha256")
                return 0x000b;
        if (bank == "sha384")
                return 0x000c;
        if (bank == "sha512")
                return 0x000d;
        fail("Unknown PCR bank " + bank + " (use sha1, sha256, sha384 or sha512)");
}

std::string normalize_bank(const std::string &bank) {
        std::string lower;
        for (char c : bank)
                lower += (char) std::tolower((unsigned char) c);
        tpm_alg_of_bank(lower);
        return lower;
}

std::string normalize_phase(const std::string &path) {
        std::string out;
        for (const std::string &w : phase_words(path))
                out += (out.empty() ? "" : ":") + w;
        return out;
}

Buffer pcr_selection(uint16_t alg, uint32_t pcr_mask) {
        Buffer b;
        put_be32(&b, 1); // count
        put_be16(&b, alg);
        b.push_back((uint8_t) kPcrSelectBytes);
        for (size_t i = 0; i < kPcrSelectBytes; i++)
                b.push_back((uint8_t) (pcr_mask >> (8 * i)));
        return b;
}

Buffer policy_pcr_digest(const std::string &bank, uint32_t pcr_mask, Bytes pcr_values) {
        // The session's hash is SHA-256 for every bank: only the selection names the bank.
        Buffer zero(32, 0), cc, selection = pcr_selection(tpm_alg_of_bank(bank), pcr_mask);
        put_be32(&cc, kTpmCcPolicyPcr);
        Buffer values_digest = sha256({pcr_values});
        return sha256({bytes_of(zero), bytes_of(cc), bytes_of(selection), bytes_of(values_digest)});
}

nlohmann::ordered_json pcr_mask_json(uint32_t mask) {
        nlohmann::ordered_json a = nlohmann::ordered_json::array();
        for (uint32_t i = 0; i <= kMaxPcr; i++)
                if (mask & (1u << i))
                        a.push_back(i);
        return a;
}

Buffer policy_ref_nonce(const std::string &ref) {
        if (ref.empty())
                return {};
        return sha256({Bytes(reinterpret_cast<const uint8_t *>(ref.data()), ref.size())});
}

Buffer policy_authorize_message(Bytes pol, const std::string &ref) {
        Buffer m(pol.begin(), pol.end());
        Buffer nonce = policy_ref_nonce(ref);
        m.insert(m.end(), nonce.begin(), nonce.end());
        return m;
}

Buffer sign_digest(EVP_PKEY *private_key, const std::string &digest, Bytes message) {
        MdCtxPtr ctx(EVP_MD_CTX_new());
        size_t len = 0;
        if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md_of_bank(digest), nullptr, private_key) != 1 ||
            EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1)
                fail_openssl("Cannot sign the PCR policy");
        Buffer sig(len);
        if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1)
                fail_openssl("Cannot sign the PCR policy");
        sig.resize(len);
        return sig;
}

bool verify_for_policy_authorize(EVP_PKEY *public_key, Bytes pol, Bytes sig, const std::string &ref) {
        Buffer message = policy_authorize_message(pol, ref);
        return verify_digest(public_key, "sha256", bytes_of(message), sig);
}

bool verify_digest(EVP_PKEY *public_key, const std::string &bank, Bytes pol, Bytes sig) {
        MdCtxPtr ctx(EVP_MD_CTX_new());
        if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md_of_bank(bank), nullptr, public_key) != 1)
                fail_openssl("Cannot verify a signature");
        int ok = EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), pol.data(), pol.size());
        ERR_clear_error(); // a failed verification leaves errors behind
        return ok == 1;
}

void merge_signatures(nlohmann::ordered_json *into, const nlohmann::ordered_json &from) {
        for (auto bank = from.begin(); bank != from.end(); ++bank) {
                nlohmann::ordered_json &list = (*into)[bank.key()];
                if (!list.is_array())
                        list = nlohmann::ordered_json::array();
                for (const nlohmann::ordered_json &entry : bank.value())
                        if (std::find(list.begin(), list.end(), entry) == list.end())
                                list.push_back(entry);
        }
}

void sign(const measure::Plan &plan, const SignOptions &options, EVP_PKEY *private_key, EVP_PKEY *public_key,
          nlohmann::ordered_json *json) {
        std::vector<std::string> banks, phases;
        for (const std::string &b : options.banks.empty() ? std::vector<std::string>{"sha256"} : options.banks)
                banks.push_back(normalize_bank(b));
        for (const std::string &p : options.phases.empty() ? default_phase_paths() : options.phases)
                phases.push_back(normalize_phase(p));
        // systemd-measure sorts and de-duplicates both lists; the default phases stay in boot order
        // (which is also their sorted order).
        std::sort(banks.begin(), banks.end());
        banks.erase(std::unique(banks.begin(), banks.end()), banks.end());
        std::sort(phases.begin(), phases.end());
        phases.erase(std::unique(phases.begin(), phases.end()), phases.end());

        // JSON holds text only; systemd-measure 262 refuses other bytes as well.
        try {
                (void) nlohmann::json(options.policyref).dump();
        } catch (const nlohmann::json::exception &) {
                throw UsageError("The policy reference is not UTF-8 text");
        }
        if (options.digest == SignDigest::Bank && !options.policyref.empty())
                throw UsageError("A policy reference needs SHA-256 signatures (systemd-measure 262); "
                                 "the bank-digest signatures of systemd-measure 252-261 have none");
        std::string pkfp = to_hex(bytes_of(key_fingerprint(public_key)));
        constexpr uint32_t kMask = 1u << measure::kPcrKernelBoot;
        if (!json->is_object())
                *json = nlohmann::ordered_json::object();
        // Outer loop over phases, inner over banks, as systemd-measure: entries of one bank stay in
        // phase order.
        // The sections are hashed once per bank; each phase path then only extends its words.
        std::vector<Buffer> after_stub;
        for (const std::string &bank : banks)
                after_stub.push_back(replay(plan, measure::kPcrKernelBoot, bank, {}));
        for (const std::string &phase : phases) {
                for (size_t b = 0; b < banks.size(); b++) {
                        const std::string &bank = banks[b];
                        Buffer value = extend_words(bank, after_stub[b], phase_words(phase));
                        Buffer pol = policy_pcr_digest(bank, kMask, bytes_of(value));
                        Buffer sig = options.digest == SignDigest::Bank
                                             ? sign_digest(private_key, bank, bytes_of(pol))
                                             : sign_digest(private_key, "sha256",
                                                           bytes_of(policy_authorize_message(bytes_of(pol), options.policyref)));
                        nlohmann::ordered_json entry;
                        entry["pcrs"] = pcr_mask_json(kMask);
                        entry["pkfp"] = pkfp;
                        if (!options.policyref.empty())
                                entry["ref"] = options.policyref;
                        entry["pol"] = to_hex(bytes_of(pol));
                        entry["sig"] = to_base64(bytes_of(sig));
                        // systemd-measure replaces the bank's member with the extended array, which
                        // moves it to the end of the object (seen with 262's --append: banks it does
                        // not sign for stay first, in their order).
                        nlohmann::ordered_json array = json->contains(bank) ? (*json)[bank] : nlohmann::ordered_json::array();
                        if (!array.is_array())
                                fail("Signature JSON member \"" + bank + "\" is not an array");
                        array.push_back(entry);
                        json->erase(bank);
                        (*json)[bank] = std::move(array);
                }
        }
}

Bytes pcrsig_json(Bytes section) {
        size_t n = section.size();
        while (n > 0 && section[n - 1] == 0)
                n--;
        return Bytes(section.data(), n);
}

std::vector<SignatureEntry> parse_signature_json(Bytes text, const std::string &what) {
        nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
        if (j.is_discarded())
                fail(what + " is not valid JSON");
        if (!j.is_object())
                fail(what + " is not a JSON object");
        std::vector<SignatureEntry> out;
        for (auto &[bank, entries] : j.items()) {
                if (!entries.is_array())
                        fail(what + ": bank \"" + bank + "\" is not an array");
                for (const nlohmann::json &e : entries) {
                        if (!e.is_object())
                                fail(what + ": an entry of bank \"" + bank + "\" is not an object");
                        // Entries without a field are skipped, as systemd's find_signature does.
                        if (!e.contains("pcrs") || !e.contains("pkfp") || !e.contains("pol") || !e.contains("sig"))
                                continue;
                        SignatureEntry s;
                        s.bank = bank;
                        s.pcr_mask = parse_pcr_mask(e["pcrs"], what);
                        if (e.contains("ref")) {
                                if (!e["ref"].is_string())
                                        fail(what + ": \"ref\" must be a string");
                                s.ref = e["ref"].get<std::string>();
                        }
                        if (!e["pkfp"].is_string() || !e["pol"].is_string() || !e["sig"].is_string())
                                fail(what + ": pkfp, pol and sig must be strings");
                        s.pkfp = from_hex(e["pkfp"].get<std::string>(), what + ": pkfp");
                        s.pol = from_hex(e["pol"].get<std::string>(), what + ": pol");
                        s.sig = from_base64(e["sig"].get<std::string>(), what + ": sig");
                        out.push_back(std::move(s));
                }
        }
        return out;
}

nlohmann::ordered_json load_signature_json(const std::string &path) {
        Buffer text = read_file(path, 16 << 20);
        nlohmann::ordered_json j = nlohmann::ordered_json::parse(text.begin(), text.end(), nullptr, false);
        if (j.is_discarded())
                fail(path + " is not valid JSON");
        if (!j.is_object())
                fail(path + " is not a JSON object");
        for (auto &[bank, entries] : j.items())
                if (!entries.is_array())
                        fail(path + ": member \"" + bank + "\" is not an array");
        return j;
}

std::vector<std::string> split_list(const std::string &text) {
        std::vector<std::string> out;
        std::string cur;
        for (char c : text + ",") {
                if (c == ',' || std::isspace((unsigned char) c)) {
                        if (!cur.empty())
                                out.push_back(cur);
                        cur.clear();
                } else {
                        cur += c;
                }
        }
        return out;
}

std::vector<std::string> parse_phase_group(const std::string &text) {
        static const std::set<std::string> kKnown = {"enter-initrd", "leave-initrd", "sysinit", "ready", "shutdown", "final"};
        std::vector<std::string> paths = split_list(text);
        for (const std::string &p : paths)
                for (const std::string &w : phase_words(p))
                        if (!kKnown.count(w))
                                throw UsageError("Unknown boot phase '" + w + "' in " + p);
        if (paths.empty())
                throw UsageError("--phases needs at least one phase path");
        return paths;
}

} // namespace zuki::policy
