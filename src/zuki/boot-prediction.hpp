// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Predicting a boot on the host: the shared boot model (src/shared/boot-model.hpp), the one the
// stub executes, run over a UKI's bytes under the conditions a user describes (profile, load
// options, Secure Boot). Every verb that predicts PCRs (measure, build's .pcrsig, check-unlock,
// status, check-policy) goes through here; none assembles a measurement plan itself.

#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "boot-model.hpp"
#include "esp-inputs.hpp"
#include "file-io.hpp"
#include "measure.hpp"

namespace zuki {

struct BootConditions {
        uint32_t profile = 0;                    // sent as the "@N" selector when not 0
        std::optional<std::string> load_options; // UTF-8, what the boot loader passes after "@N"
        bool secure_boot = false;
        // What the ESP adds (credentials, extensions, addons, the SMBIOS command-line extension);
        // must outlive the prediction. Null: nothing, as for a UKI booted without an ESP.
        const EspSelection *esp = nullptr;
        // What the UKI's and the addons' .dtbauto sections are matched against (the firmware's
        // devicetree, the SMBIOS CHIDs); must outlive the prediction. Null: no .dtbauto is chosen,
        // as on a machine that matches none.
        const hwids::Machine *machine = nullptr;
};

// A predicted boot and the storage its events point into (besides the UKI's own bytes, which
// the caller keeps alive). Not copyable: the plan refers to its members.
struct PredictedBoot {
        PredictedBoot() = default;
        PredictedBoot(const PredictedBoot &) = delete;
        PredictedBoot &operator=(const PredictedBoot &) = delete;

        model::Boot boot;
        measure::Plan plan;                      // the stub's measurements, in its order
        std::vector<char16_t> load_options;      // as the stub would see them, selector included
        std::vector<char16_t> cmdline;           // the kernel's command line with its NUL, or empty
        std::vector<char16_t> options;           // the same before the ESP's and SMBIOS's text was appended
        char16_t profile_text[11] = {};

        // What the ESP added (BootConditions::esp), as the stub would have it.
        model::EspInputs esp;
        std::vector<sidecar::Addon> addons;             // the addons the stub uses, in its order
        std::deque<std::u16string> addon_names;         // their names, each with its NUL (a deque: never moved)
        bool devicetree_applied[model::kMaxAddons] = {}; // per addon: its devicetree would be installed
        Buffer archives[sidecar::kKindCount];
        std::vector<char16_t> addon_text, smbios_text, appendix; // each with its NUL, or empty
        std::vector<std::string> notes;                 // what the stub would log about the ESP's files

        bool has_section(uki::SectionId id) const { return boot.has(id); }
};

// The boot of `uki` (file layout) under `conditions`. Throws Failure naming `what` for a UKI the
// stub would refuse to boot, with the stub's reason.
std::unique_ptr<PredictedBoot> predict_boot(Bytes uki, const std::string &what, const BootConditions &conditions);

// The same from section contents (zuki measure --linux FILE ...): profile 0.
std::unique_ptr<PredictedBoot> predict_boot(const measure::SectionContents &sections, const std::string &what,
                                            const BootConditions &conditions);

// The number of profiles of a UKI (1 for a UKI without .profile sections).
uint32_t profile_count(Bytes uki, const std::string &what);

// One machine per distinct root "compatible" among the UKI's .dtbauto sections: booted on it,
// the stub chooses that .dtbauto (or the one its profile puts first for the same compatible).
// ukify 262 signs one PCR policy per .dtbauto; these are the boots it signs for. Empty without
// .dtbauto sections; a tree without a readable compatible is never chosen and gets none. The
// machines point into `uki`, which must outlive them.
struct DtbautoMachine {
        size_t section = 0;      // the .dtbauto's index in the section table
        hwids::Machine machine;
};
std::vector<DtbautoMachine> dtbauto_machines(Bytes uki, const std::string &what);

} // namespace zuki
