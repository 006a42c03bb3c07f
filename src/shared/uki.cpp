// SPDX-License-Identifier: LGPL-2.1-or-later

#include "uki.hpp"

namespace zuki::uki {

namespace {

bool lookup(const pe::Section &s, SectionId *id) {
        for (size_t i = 0; i < kSectionCount; i++)
                if (s.has_name(kSectionNames[i])) {
                        *id = (SectionId) i;
                        return true;
                }
        return false;
}

} // namespace

bool is_uki(const pe::View &view) {
        pe::Section s;
        return view.find(".linux", &s);
}

Result<SectionSet> select_sections(const pe::View &view, uint32_t profile) {
        SectionSet set;
        set.profile = profile;
        bool base_seen[kSectionCount] = {};
        bool profile_seen[kSectionCount] = {};
        pe::Section from_profile[kSectionCount] = {};

        // -1: base; k >= 0: inside the k-th profile.
        int64_t current = -1;
        for (size_t i = 0; i < view.section_count(); i++) {
                pe::Section s = view.section(i);
                SectionId id;
                if (!lookup(s, &id))
                        continue;
                if (id == SectionId::Profile) {
                        current++;
                        set.profile_count++;
                        if (set.profile_count > kMaxProfiles)
                                return Error::TooManySections;
                }
                bool *seen = current < 0 ? base_seen : (current == (int64_t) profile ? profile_seen : nullptr);
                if (!seen) {
                        // Another profile's section: only check it for duplicates within its
                        // own profile would need per-profile state; the selected profile and the
                        // base are what we boot, and those are checked below.
                        continue;
                }
                size_t k = (size_t) id;
                if (seen[k] && !may_repeat(id))
                        return Error::DuplicateSection;
                // systemd-stub treats a section with VirtualSize 0 as absent (PE_SECTION_VECTOR_IS_SET):
                // it is not measured, not used and does not hide the base's section.
                if (!seen[k] && s.virtual_size != 0) {
                        if (current < 0) {
                                set.present[k] = true;
                                set.sections[k] = s;
                        } else {
                                from_profile[k] = s;
                        }
                }
                seen[k] = true;
        }

        // Profile 0 of a UKI without .profile sections is the base alone.
        if (set.profile_count == 0 ? profile != 0 : profile >= set.profile_count)
                return Error::UnknownProfile;
        for (size_t k = 0; k < kSectionCount; k++)
                if (from_profile[k].virtual_size != 0) {
                        set.present[k] = true;
                        set.sections[k] = from_profile[k];
                }
        return set;
}

uint32_t parse_profile_selector(Span<const char16_t> options, size_t *rest_offset, bool *valid) {
        *rest_offset = 0;
        *valid = false;
        if (options.empty() || options[0] != u'@')
                return 0;
        size_t i = 1;
        uint64_t profile = 0;
        for (; i < options.size() && options[i] >= u'0' && options[i] <= u'9'; i++) {
                profile = profile * 10 + (options[i] - u'0');
                if (profile > 0xffffffffull)
                        return 0;
        }
        bool at_end = i == options.size() || options[i] == 0;
        if (i == 1 || (!at_end && options[i] != u' '))
                return 0;
        while (i < options.size() && options[i] == u' ')
                i++;
        *rest_offset = i;
        *valid = true;
        return (uint32_t) profile;
}

} // namespace zuki::uki
