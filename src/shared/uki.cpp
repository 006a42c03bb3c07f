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

Bytes dtbauto_compatible(const pe::View &view, const pe::Section &dtbauto) {
        Bytes dtb = view.data(dtbauto);
        if (dtbauto.virtual_size < dtb.size())
                dtb = Bytes(dtb.data(), dtbauto.virtual_size);
        return hwids::root_compatible(dtb);
}

bool choose_dtbauto(const pe::View &view, int64_t range, const hwids::Machine &machine, pe::Section *out,
                    SectionSet *set) {
        auto in_range = [&](size_t i, int64_t *current) {
                if (view.section(i).has_name(kSectionNames[(size_t) SectionId::Profile]))
                        (*current)++;
                return *current == range;
        };
        // The device the machine's CHIDs select in this range's first .hwids, when the firmware
        // has no devicetree of its own.
        Bytes device_compatible;
        bool have_device = false;
        if (!machine.firmware_devicetree) {
                int64_t current = -1;
                for (size_t i = 0; i < view.section_count(); i++) {
                        if (!in_range(i, &current) || !view.section(i).has_name(".hwids"))
                                continue;
                        pe::Section h = view.section(i);
                        if (h.virtual_size == 0)
                                break;
                        Result<size_t> device = hwids::match(view.data(h), machine.chids);
                        if (!device) {
                                if (set->dtbauto_note == hwids::Note::None) {
                                        set->dtbauto_note = hwids::Note::HwidsFailed;
                                        set->hwids_error = device.error();
                                }
                                break;
                        }
                        hwids::Entry e = hwids::entry(view.data(h), *device);
                        device_compatible = e.compatible;
                        have_device = true;
                        break;
                }
        }
        int64_t current = -1;
        for (size_t i = 0; i < view.section_count(); i++) {
                if (!in_range(i, &current) || !view.section(i).has_name(".dtbauto"))
                        continue;
                pe::Section d = view.section(i);
                Bytes compatible = dtbauto_compatible(view, d);
                if (machine.firmware_devicetree) {
                        // A tree that does not parse, or a firmware tree without a readable
                        // compatible, matches nothing; systemd logs nothing for either.
                        if (!compatible.empty() && same_bytes(compatible, machine.firmware_compatible)) {
                                *out = d;
                                return true;
                        }
                        continue;
                }
                if (!have_device || device_compatible.empty())
                        continue;
                if (compatible.empty()) {
                        if (set->dtbauto_note == hwids::Note::None) {
                                set->dtbauto_note = hwids::Note::BadBlob;
                                set->bad_blob_index = i;
                        }
                        continue;
                }
                if (same_bytes(compatible, device_compatible)) {
                        *out = d;
                        return true;
                }
        }
        return false;
}

bool is_uki(const pe::View &view) {
        pe::Section s;
        return view.find(".linux", &s);
}

Result<SectionSet> select_sections(const pe::View &view, uint32_t profile, const hwids::Machine *machine) {
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
                if (id == SectionId::Dtbauto) {
                        // Chosen below, per range, for the machine.
                        seen[k] = true;
                        continue;
                }
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
        if (machine) {
                size_t k = (size_t) SectionId::Dtbauto;
                pe::Section d;
                if (set.profile_count > 0 && choose_dtbauto(view, profile, *machine, &d, &set))
                        from_profile[k] = d;
                if (choose_dtbauto(view, -1, *machine, &d, &set)) {
                        set.present[k] = true;
                        set.sections[k] = d;
                }
        }
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
