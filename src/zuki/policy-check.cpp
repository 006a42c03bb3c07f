// SPDX-License-Identifier: LGPL-2.1-or-later

#include "policy-check.hpp"

#include <algorithm>
#include <map>

#include "boot-prediction.hpp"
#include "failure.hpp"
#include "keys.hpp"
#include "pcr-policy.hpp"
#include "pcr-predict.hpp"

namespace zuki {

namespace {

// The phase paths a .pcrsig entry may have been signed for: every sequence of distinct phase
// words systemd-pcrphase knows (ukify refuses others), the empty path first, plus any the caller
// names. 1,957 sequences; each costs a few hashes on top of the PCR 11 before any phase.
std::vector<std::vector<std::string>> phase_sequences(const std::vector<std::string> &extra) {
        static const char *const kWords[] = {"enter-initrd", "leave-initrd", "sysinit", "ready", "shutdown", "final"};
        std::vector<std::vector<std::string>> out = {{}};
        for (size_t begin = 0; begin < out.size(); begin++) {
                std::vector<std::string> seq = out[begin];
                for (const char *w : kWords)
                        if (std::find(seq.begin(), seq.end(), w) == seq.end()) {
                                std::vector<std::string> longer = seq;
                                longer.push_back(w);
                                out.push_back(longer);
                        }
        }
        for (const std::string &p : extra)
                out.push_back(phase_words(p));
        return out;
}

std::string join_words(const std::vector<std::string> &words) {
        std::string s;
        for (const std::string &w : words)
                s += (s.empty() ? "" : ":") + w;
        return s.empty() ? ":" : s;
}

std::string short_hex(Bytes b) { return to_hex(b).substr(0, 16) + "…"; }

} // namespace

PolicyCheck check_embedded_policies(Bytes uki, const std::string &what, const PolicyCheckOptions &options) {
        PolicyCheck result;
        result.report = nlohmann::ordered_json::array();
        std::vector<std::vector<std::string>> phases = phase_sequences(options.phases);
        uint32_t profiles = profile_count(uki, what);
        // With .dtbauto sections, PCR 11 depends on the one the machine chooses: a policy is
        // reachable when some .dtbauto's boot produces it (ukify 262 signs one per .dtbauto).
        std::vector<DtbautoMachine> machines = dtbauto_machines(uki, what);
        for (uint32_t profile = 0; profile < profiles; profile++) {
                BootConditions conditions;
                conditions.profile = profile;
                std::unique_ptr<PredictedBoot> boot = predict_boot(uki, what, conditions);
                std::string where = what + ": profile " + std::to_string(profile) + ": ";
                nlohmann::ordered_json r = {{"profile", profile}};
                Bytes pcrsig = boot->boot.section(uki::SectionId::Pcrsig);
                r["pcrsig"] = !pcrsig.empty();
                if (pcrsig.empty()) {
                        result.report.push_back(r);
                        continue;
                }
                // Only a profile with a .pcrsig needs the boots of each .dtbauto.
                std::vector<std::unique_ptr<PredictedBoot>> variants;
                for (const DtbautoMachine &m : machines) {
                        BootConditions c = conditions;
                        c.machine = &m.machine;
                        variants.push_back(predict_boot(uki, what, c));
                }
                std::vector<policy::SignatureEntry> entries;
                try {
                        entries = policy::parse_signature_json(policy::pcrsig_json(pcrsig), "its .pcrsig");
                } catch (const Failure &e) {
                        result.problems.push_back(where + e.what());
                        continue;
                }
                Pkey pcrpkey;
                Buffer pcrpkey_fp;
                if (boot->has_section(uki::SectionId::Pcrpkey)) {
                        try {
                                pcrpkey = parse_public_key(boot->boot.section(uki::SectionId::Pcrpkey), "its .pcrpkey");
                                pcrpkey_fp = key_fingerprint(pcrpkey.get());
                        } catch (const Failure &e) {
                                result.problems.push_back(where + e.what());
                        }
                }
                // Every policy digest this boot can satisfy, per bank: pol (hex) → phase path.
                std::map<std::string, std::map<std::string, std::string>> reachable;
                auto reachable_in = [&](const std::string &bank) -> const std::map<std::string, std::string> & {
                        auto it = reachable.find(bank);
                        if (it != reachable.end())
                                return it->second;
                        std::map<std::string, std::string> &m = reachable[bank];
                        auto add = [&](const measure::Plan &plan, const std::string &suffix) {
                                Buffer base = replay(plan, measure::kPcrKernelBoot, bank, {});
                                for (const std::vector<std::string> &words : phases) {
                                        Buffer value = extend_phase_words(bank, base, words);
                                        Buffer pol = policy::policy_pcr_digest(bank, 1u << measure::kPcrKernelBoot, bytes_of(value));
                                        m.emplace(to_hex(bytes_of(pol)), join_words(words) + suffix);
                                }
                        };
                        add(boot->plan, "");
                        for (size_t v = 0; v < variants.size(); v++)
                                add(variants[v]->plan, " (.dtbauto in section " + std::to_string(machines[v].section) + ")");
                        return m;
                };
                bool signed_by_pcrpkey = false;
                r["entries"] = nlohmann::ordered_json::array();
                for (size_t i = 0; i < entries.size(); i++) {
                        const policy::SignatureEntry &e = entries[i];
                        std::string entry = "entry " + std::to_string(i) + " (" + e.bank + ", pol " + short_hex(bytes_of(e.pol)) + ")";
                        nlohmann::ordered_json j = {{"bank", e.bank}, {"pol", to_hex(bytes_of(e.pol))}};
                        if (!e.ref.empty())
                                j["ref"] = e.ref;
                        if (e.pcr_mask != (1u << measure::kPcrKernelBoot)) {
                                result.problems.push_back(where + entry + " covers other PCRs than 11, which this UKI does not determine");
                                continue;
                        }
                        const std::map<std::string, std::string> &m = reachable_in(e.bank);
                        auto matched = m.find(to_hex(bytes_of(e.pol)));
                        if (matched == m.end()) {
                                result.problems.push_back(where + entry +
                                                          " authorizes no PCR 11 value this UKI produces in any boot phase "
                                                          "(it was signed for other sections)");
                                continue;
                        }
                        j["phase"] = matched->second;
                        if (pcrpkey && e.pkfp == pcrpkey_fp) {
                                signed_by_pcrpkey = true;
                                // As systemd-measure 262 signs (SHA-256 over pol ‖ policyRef), or as
                                // 252-261 did (the bank's digest of pol, no reference).
                                bool valid = policy::verify_for_policy_authorize(pcrpkey.get(), bytes_of(e.pol), bytes_of(e.sig), e.ref) ||
                                             (e.ref.empty() && policy::verify_digest(pcrpkey.get(), e.bank, bytes_of(e.pol), bytes_of(e.sig)));
                                j["signature"] = valid ? "valid" : "invalid";
                                if (!valid)
                                        result.problems.push_back(where + entry +
                                                                  " names the .pcrpkey key but its signature does not verify");
                        }
                        r["entries"].push_back(j);
                }
                if (pcrpkey && !signed_by_pcrpkey)
                        result.problems.push_back(where + "no .pcrsig entry is signed by the key in .pcrpkey");
                result.report.push_back(r);
        }
        return result;
}

} // namespace zuki
