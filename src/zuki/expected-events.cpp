// SPDX-License-Identifier: LGPL-2.1-or-later

#include "expected-events.hpp"

#include "boot-prediction.hpp"
#include "crypto.hpp"
#include "failure.hpp"
#include "pe.hpp"
#include "uki.hpp"

namespace zuki {

measure::Plan pcr11_plan(const PredictedBoot &boot) {
        // PCR 11 events point only into the UKI's bytes and at static section names, so the plan
        // may outlive the prediction.
        measure::Plan plan;
        for (size_t i = 0; i < boot.plan.count; i++)
                if (boot.plan.events[i].pcr == measure::kPcrKernelBoot && !plan.add(boot.plan.events[i]))
                        fail("Measurement plan overflow");
        return plan;
}

std::vector<StubEvent> expected_events(Bytes uki, uint32_t profile, const std::optional<std::u16string> &cmdline,
                                       const std::string &what) {
        // The stub measured `cmdline` as load options, so they were used: predict that boot.
        BootConditions conditions;
        conditions.profile = profile;
        if (cmdline) {
                std::u16string text = *cmdline;
                while (!text.empty() && text.back() == 0)
                        text.pop_back();
                Bytes units(reinterpret_cast<const uint8_t *>(text.data()), text.size() * 2);
                conditions.load_options = utf16_to_utf8(units).value_or("");
        }
        std::unique_ptr<PredictedBoot> boot = predict_boot(uki, what, conditions);
        const measure::Plan &plan = boot->plan;

        std::vector<StubEvent> out;
        for (size_t i = 0; i < plan.count; i++) {
                const measure::Event &e = plan.events[i];
                StubEvent s;
                s.pcr = e.pcr;
                s.type = e.type;
                s.sha256 = sha256({e.data});
                if (e.ascii_description) {
                        s.description = e.ascii_description;
                } else {
                        Bytes units(reinterpret_cast<const uint8_t *>(e.description.data()), e.description.size() * 2);
                        s.description = utf16_to_utf8(units).value_or("?");
                }
                out.push_back(std::move(s));
        }
        return out;
}

} // namespace zuki
