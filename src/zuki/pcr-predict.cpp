// SPDX-License-Identifier: LGPL-2.1-or-later

#include "pcr-predict.hpp"

#include <memory>
#include <openssl/evp.h>

#include "crypto.hpp"
#include "failure.hpp"

namespace zuki {

namespace {

const EVP_MD *digest_of(const std::string &bank) {
        const EVP_MD *md = EVP_get_digestbyname(bank.c_str());
        if (!md || (bank != "sha1" && bank != "sha256" && bank != "sha384" && bank != "sha512"))
                fail("Unknown PCR bank " + bank + " (use sha1, sha256, sha384 or sha512)");
        return md;
}

void extend(const EVP_MD *md, Buffer *pcr, Bytes data) {
        Buffer d = digest(md, {data});
        *pcr = digest(md, {bytes_of(*pcr), bytes_of(d)});
}

} // namespace

std::vector<std::string> default_phase_paths() {
        return {"enter-initrd", "enter-initrd:leave-initrd", "enter-initrd:leave-initrd:sysinit",
                "enter-initrd:leave-initrd:sysinit:ready"};
}

std::vector<std::string> phase_words(const std::string &path) {
        std::vector<std::string> words;
        size_t pos = 0;
        while (pos <= path.size()) {
                size_t end = path.find(':', pos);
                if (end == std::string::npos)
                        end = path.size();
                if (end > pos)
                        words.push_back(path.substr(pos, end - pos));
                pos = end + 1;
        }
        return words;
}

Buffer replay(const measure::Plan &plan, uint32_t pcr, const std::string &bank, const std::vector<std::string> &phase) {
        const EVP_MD *md = digest_of(bank);
        Buffer value(EVP_MD_get_size(md), 0);
        for (size_t i = 0; i < plan.count; i++)
                if (plan.events[i].pcr == pcr)
                        extend(md, &value, plan.events[i].data);
        return extend_phase_words(bank, std::move(value), phase);
}

Buffer event_digest(const measure::Event &event, const std::string &bank) { return digest(digest_of(bank), {event.data}); }

Buffer extend_phase_words(const std::string &bank, Buffer value, const std::vector<std::string> &words) {
        const EVP_MD *md = digest_of(bank);
        // systemd-pcrphase extends each phase word (no NUL) into PCR 11.
        for (const std::string &w : words)
                extend(md, &value, Bytes(reinterpret_cast<const uint8_t *>(w.data()), w.size()));
        return value;
}

std::vector<PcrPrediction> predict(const measure::Plan &plan, const PredictOptions &options) {
        std::vector<std::string> phases = options.phases.empty() ? default_phase_paths() : options.phases;
        std::vector<PcrPrediction> out;
        bool has_pcr12 = false, has_pcr13 = false;
        for (size_t i = 0; i < plan.count; i++) {
                has_pcr12 |= plan.events[i].pcr == measure::kPcrKernelConfig;
                has_pcr13 |= plan.events[i].pcr == measure::kPcrSysexts;
        }
        for (const std::string &bank : options.banks) {
                for (const std::string &p : phases) {
                        // Reported normalised, as systemd-measure does: the words joined by ':'.
                        std::vector<std::string> words = phase_words(p);
                        std::string name;
                        for (const std::string &w : words)
                                name += (name.empty() ? "" : ":") + w;
                        out.push_back({bank, measure::kPcrKernelBoot, name,
                                       replay(plan, measure::kPcrKernelBoot, bank, words)});
                }
                if (has_pcr12)
                        out.push_back({bank, measure::kPcrKernelConfig, "", replay(plan, measure::kPcrKernelConfig, bank, {})});
                if (has_pcr13)
                        out.push_back({bank, measure::kPcrSysexts, "", replay(plan, measure::kPcrSysexts, bank, {})});
        }
        return out;
}

} // namespace zuki
