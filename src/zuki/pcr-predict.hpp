// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Predicting PCR values by walking the shared measurement plan with software hashes (OpenSSL):
// the same events, in the same order, that the stub extends through the TPM.

#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "encoding.hpp"
#include "file-io.hpp"
#include "measure.hpp"

namespace zuki {

// systemd-pcrphase's phase paths as ukify and systemd-measure use them by default.
std::vector<std::string> default_phase_paths();

// Splits "enter-initrd:leave-initrd" into its words; ":" and "" are the empty path (the value
// right after the stub, before any phase was measured).
std::vector<std::string> phase_words(const std::string &path);

struct PcrPrediction {
        std::string bank;   // "sha256"
        uint32_t pcr = 0;
        std::string phase;  // the phase path, for PCR 11
        Buffer value;
};

struct PredictOptions {
        std::vector<std::string> banks = {"sha256"};
        std::vector<std::string> phases; // empty: default_phase_paths()
};

// PCR 11 for every bank and phase path, then PCR 12 and PCR 13 for every bank when the plan
// extends them.
std::vector<PcrPrediction> predict(const measure::Plan &plan, const PredictOptions &options);

// The value of `pcr` after replaying `plan`'s events for it and then, for PCR 11, the phase words.
Buffer replay(const measure::Plan &plan, uint32_t pcr, const std::string &bank, const std::vector<std::string> &phase);

// The digest of one event in `bank`: what the TPM extends and the event log records.
Buffer event_digest(const measure::Event &event, const std::string &bank);

// `value` (a PCR 11 of `bank`) extended with the phase words, as systemd-pcrphase extends them.
Buffer extend_phase_words(const std::string &bank, Buffer value, const std::vector<std::string> &words);

} // namespace zuki
