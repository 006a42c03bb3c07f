// SPDX-License-Identifier: LGPL-2.1-or-later
//
// UKI section selection and the measurement plan built from it: select_sections (checked against
// an independent model of the base/profile rules), contents_of, add_profile, add_sections,
// add_command_line and parse_profile_selector.
//
// Input: one byte, the profile to select, then the UKI (a PE file; also tried as a loaded image).

#include <cstring>
#include <vector>

#include "fuzz-common.hpp"
#include "measure.hpp"
#include "pe.hpp"
#include "text.hpp"
#include "uki.hpp"

using namespace zuki;

namespace {

using uki::SectionId;

// What select_sections must answer, derived from the rules in uki.hpp.
struct Expected {
        Error error = Error::None;
        bool present[uki::kSectionCount] = {};
        uint32_t header_offset[uki::kSectionCount] = {};
        uint32_t profile_count = 0;
};

int section_id(const pe::Section &s) {
        for (size_t k = 0; k < uki::kSectionCount; k++)
                if (s.has_name(uki::kSectionNames[k]))
                        return (int) k;
        return -1;
}

Expected model(const pe::View &v, uint32_t profile) {
        Expected e;
        std::vector<int> group(v.section_count()); // -1 base, k: profile k
        std::vector<int> ids(v.section_count());
        int current = -1;
        for (size_t i = 0; i < v.section_count(); i++) {
                int id = ids[i] = section_id(v.section(i));
                if (id == (int) SectionId::Profile) {
                        current++;
                        e.profile_count++;
                }
                group[i] = current;
        }
        bool base_dup = false, profile_dup = false;
        for (size_t k = 0; k < uki::kSectionCount; k++) {
                int base_first = -1, profile_first = -1, base_n = 0, profile_n = 0;
                for (size_t i = 0; i < v.section_count(); i++) {
                        if (ids[i] != (int) k)
                                continue;
                        if (group[i] == -1) {
                                if (base_first < 0)
                                        base_first = (int) i;
                                base_n++;
                        } else if (group[i] == (int64_t) profile) {
                                if (profile_first < 0)
                                        profile_first = (int) i;
                                profile_n++;
                        }
                }
                if (!uki::may_repeat((SectionId) k)) {
                        base_dup |= base_n > 1;
                        profile_dup |= profile_n > 1;
                }
                int pick = -1;
                // Without a machine no .dtbauto is chosen (fuzz-hwids covers the choice).
                if ((SectionId) k == SectionId::Dtbauto)
                        ;
                else if (profile_first >= 0 && v.section(profile_first).virtual_size != 0)
                        pick = profile_first;
                else if (base_first >= 0 && v.section(base_first).virtual_size != 0)
                        pick = base_first;
                if (pick >= 0) {
                        e.present[k] = true;
                        e.header_offset[k] = v.section(pick).header_offset;
                }
        }
        if (base_dup || profile_dup)
                e.error = Error::DuplicateSection;
        else if (e.profile_count == 0 ? profile != 0 : profile >= e.profile_count)
                e.error = Error::UnknownProfile;
        return e;
}

void check_selector(Span<const char16_t> options) {
        size_t rest = 12345;
        bool valid = true;
        uint32_t p = uki::parse_profile_selector(options, &rest, &valid);
        if (!valid) {
                FUZZ_CHECK(p == 0 && rest == 0);
                return;
        }
        FUZZ_CHECK(options.size() >= 2 && options[0] == u'@' && options[1] >= u'0' && options[1] <= u'9');
        FUZZ_CHECK(rest <= options.size());
        FUZZ_CHECK(rest == options.size() || options[rest] != u' ');
        // The digits give p.
        uint64_t value = 0;
        size_t i = 1;
        for (; i < options.size() && options[i] >= u'0' && options[i] <= u'9'; i++)
                value = value * 10 + (options[i] - u'0');
        FUZZ_CHECK(value == p, "selector %llu parsed as %u", (unsigned long long) value, p);
        FUZZ_CHECK(i == options.size() || options[i] == u' ' || options[i] == 0);
        for (size_t k = i; k < rest; k++)
                FUZZ_CHECK(options[k] == u' ');
}

void check_measurement(const pe::View &view, Bytes input, uint32_t profile, const uki::SectionSet &set) {
        Result<measure::SectionContents> contents = measure::contents_of(view, set);
        bool too_big = false;
        for (size_t k = 0; k < uki::kSectionCount; k++)
                if (set.present[k] && set.sections[k].virtual_size > set.sections[k].raw_size)
                        too_big = true;
        if (too_big) {
                FUZZ_CHECK(contents.error() == Error::VirtualSizeExceedsData);
                return;
        }
        FUZZ_CHECK(contents.ok());
        size_t present = 0;
        for (size_t k = 0; k < uki::kSectionCount; k++) {
                FUZZ_CHECK(contents->present[k] == set.present[k]);
                if (!set.present[k])
                        continue;
                present += (SectionId) k != SectionId::Pcrsig;
                Bytes d = contents->data[k];
                FUZZ_CHECK(fuzz::inside(input, d), "contents of %s outside the input", uki::kSectionNames[k]);
                FUZZ_CHECK(d.size() == set.sections[k].virtual_size, "measured size %zu, VirtualSize %u", d.size(),
                           set.sections[k].virtual_size);
        }

        measure::Plan plan;
        char16_t digits[11];
        if (profile != 0) {
                Span<const char16_t> text = measure::format_decimal(profile, digits);
                FUZZ_CHECK(text.size() >= 2 && text[text.size() - 1] == 0);
                // "@<profile> rest" selects the profile again.
                std::vector<char16_t> selector{u'@'};
                selector.insert(selector.end(), text.begin(), text.end() - 1);
                selector.push_back(u' ');
                selector.push_back(u'x');
                size_t rest;
                bool valid;
                FUZZ_CHECK(uki::parse_profile_selector(Span<const char16_t>(selector.data(), selector.size()), &rest,
                                                       &valid) == profile &&
                           valid && rest == selector.size() - 1);
                FUZZ_CHECK(measure::add_profile(&plan, text).ok());
        }
        Status s = measure::add_sections(&plan, *contents);
        FUZZ_CHECK(s.ok(), "add_sections: %s", describe(s.error()));

        // The command line as the stub measures it: UTF-16, mangled, with its NUL.
        std::vector<char16_t> cmdline;
        if (contents->present[(size_t) SectionId::Cmdline]) {
                Bytes c = contents->data[(size_t) SectionId::Cmdline];
                size_t n = text::utf8_to_utf16(c, Span<char16_t>());
                cmdline.resize(n + 1);
                FUZZ_CHECK(text::utf8_to_utf16(c, Span<char16_t>(cmdline.data(), n)) == n);
                n = text::mangle_command_line(Span<char16_t>(cmdline.data(), n));
                cmdline[n] = 0;
                cmdline.resize(n + 1);
                check_selector(Span<const char16_t>(cmdline.data(), cmdline.size()));
                FUZZ_CHECK(measure::add_command_line(&plan, Span<const char16_t>(cmdline.data(), cmdline.size())).ok());
        }

        size_t expect = (profile != 0) + 2 * present + !cmdline.empty();
        FUZZ_CHECK(plan.count == expect && plan.count <= measure::Plan::kCapacity);
        size_t e = 0;
        if (profile != 0) {
                FUZZ_CHECK(plan.events[e].pcr == measure::kPcrKernelConfig && plan.events[e].type == measure::kEvEventTag);
                e++;
        }
        for (size_t k = 0; k < uki::kSectionCount; k++) {
                if (!set.present[k] || (SectionId) k == SectionId::Pcrsig)
                        continue;
                const measure::Event &name = plan.events[e++];
                const measure::Event &body = plan.events[e++];
                FUZZ_CHECK(name.pcr == measure::kPcrKernelBoot && name.type == measure::kEvIpl);
                FUZZ_CHECK(name.data.size() == strlen(uki::kSectionNames[k]) + 1 &&
                           memcmp(name.data.data(), uki::kSectionNames[k], name.data.size()) == 0);
                FUZZ_CHECK(body.data.data() == contents->data[k].data() && body.data.size() == contents->data[k].size());
        }
        if (!cmdline.empty())
                FUZZ_CHECK(plan.events[e].pcr == measure::kPcrKernelConfig &&
                           plan.events[e].data.size() == cmdline.size() * 2);
}

void check_uki(const pe::View &view, Bytes input, uint32_t profile) {
        pe::Section linux_section;
        FUZZ_CHECK(uki::is_uki(view) == view.find(".linux", &linux_section));

        Result<uki::SectionSet> set = uki::select_sections(view, profile);
        Expected e = model(view, profile);
        FUZZ_CHECK(set.error() == e.error, "select_sections: %s, expected %s", describe(set.error()),
                   describe(e.error));
        if (!set)
                return;
        FUZZ_CHECK(set->profile == profile && set->profile_count == e.profile_count);
        for (size_t k = 0; k < uki::kSectionCount; k++) {
                FUZZ_CHECK(set->present[k] == e.present[k], "%s present %d, expected %d", uki::kSectionNames[k],
                           set->present[k], e.present[k]);
                if (!set->present[k])
                        continue;
                const pe::Section &s = set->sections[k];
                FUZZ_CHECK(s.header_offset == e.header_offset[k], "%s from the wrong section", uki::kSectionNames[k]);
                FUZZ_CHECK(s.has_name(uki::kSectionNames[k]) && s.virtual_size != 0);
        }
        check_measurement(view, input, profile, *set);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        uint32_t profile = data[0];
        Bytes input(data + 1, size - 1);

        // The input as load options too (UTF-16, aligned copy).
        std::vector<char16_t> options(input.size() / 2);
        if (!options.empty())
                memcpy(options.data(), input.data(), options.size() * 2);
        check_selector(Span<const char16_t>(options.data(), options.size()));

        for (pe::Layout layout : {pe::Layout::File, pe::Layout::Loaded}) {
                Result<pe::View> view = pe::View::parse(input, layout);
                if (!view)
                        continue;
                fuzz::check_view(*view, input);
                check_uki(*view, input, profile);
                if (profile != 0)
                        check_uki(*view, input, 0);
        }
        return 0;
}
