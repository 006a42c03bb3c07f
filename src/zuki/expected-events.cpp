// SPDX-License-Identifier: LGPL-2.1-or-later

#include "expected-events.hpp"

#include "crypto.hpp"
#include "failure.hpp"
#include "pe.hpp"
#include "uki.hpp"

namespace zuki {

namespace {

// Appends the section events of `profile` to `plan`.
void add_uki_sections(measure::Plan *plan, Bytes uki, uint32_t profile, const std::string &what) {
        Result<pe::View> view = pe::View::parse(uki, pe::Layout::File);
        if (!view)
                fail(what + " is not a PE image", view.error());
        if (!uki::is_uki(*view))
                fail(what + ": " + describe(Error::NotUki));
        Result<uki::SectionSet> set = uki::select_sections(*view, profile);
        if (!set)
                fail(what + ": profile " + std::to_string(profile), set.error());
        Result<measure::SectionContents> cont = measure::contents_of(*view, *set);
        if (!cont)
                fail(what + ": sections cannot be measured", cont.error());
        if (!measure::add_sections(plan, *cont))
                fail("Measurement plan overflow");
}

} // namespace

measure::Plan pcr11_plan(Bytes uki, uint32_t profile, const std::string &what) {
        measure::Plan plan;
        add_uki_sections(&plan, uki, profile, what);
        return plan;
}

std::vector<StubEvent> expected_events(Bytes uki, uint32_t profile, const std::optional<std::u16string> &cmdline,
                                       const std::string &what) {
        // In the stub's order (src/boot/uki-boot.cpp): profile tag, sections, command line.
        measure::Plan plan;
        char16_t profile_text[11];
        if (profile != 0 && !measure::add_profile(&plan, measure::format_decimal(profile, profile_text)))
                fail("Measurement plan overflow");
        add_uki_sections(&plan, uki, profile, what);
        if (cmdline && !measure::add_command_line(&plan, Span<const char16_t>(cmdline->data(), cmdline->size())))
                fail("Measurement plan overflow");

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
