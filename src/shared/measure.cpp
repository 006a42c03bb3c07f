// SPDX-License-Identifier: LGPL-2.1-or-later

#include "measure.hpp"

namespace zuki::measure {

Status add_profile(Plan *plan, Span<const char16_t> text) {
        Event e;
        e.pcr = kPcrKernelConfig;
        e.type = kEvEventTag;
        e.tag = kProfileEventTag;
        e.data = Bytes(reinterpret_cast<const uint8_t *>(text.data()), text.size() * sizeof(char16_t));
        e.description = text;
        return plan->add(e);
}

Result<SectionContents> contents_of(const pe::View &view, const uki::SectionSet &set) {
        SectionContents c;
        for (size_t k = 0; k < uki::kSectionCount; k++) {
                if (!set.present[k])
                        continue;
                const pe::Section &s = set.sections[k];
                if (s.virtual_size > s.raw_size)
                        return Error::VirtualSizeExceedsData;
                c.present[k] = true;
                c.data[k] = view.data(s);
        }
        return c;
}

Status add_sections(Plan *plan, const SectionContents &contents) {
        for (size_t k = 0; k < uki::kSectionCount; k++) {
                if (!contents.present[k] || (uki::SectionId) k == uki::SectionId::Pcrsig)
                        continue;
                const char *name = uki::kSectionNames[k];
                Event e;
                e.pcr = kPcrKernelBoot;
                e.claim = Claim::KernelImage;
                e.type = kEvIpl;
                e.ascii_description = name;
                e.data = Bytes(reinterpret_cast<const uint8_t *>(name), string_length(name) + 1);
                ZUKI_TRY(plan->add(e));
                e.data = contents.data[k];
                ZUKI_TRY(plan->add(e));
        }
        return ok_status();
}

Status add_command_line(Plan *plan, Span<const char16_t> text) {
        Event e;
        e.pcr = kPcrKernelConfig;
        e.type = kEvIpl;
        e.data = Bytes(reinterpret_cast<const uint8_t *>(text.data()), text.size() * sizeof(char16_t));
        e.description = text;
        return plan->add(e);
}

Status add_tagged(Plan *plan, uint32_t tag, Bytes data, Span<const char16_t> text, uint32_t pcr) {
        Event e;
        e.pcr = pcr;
        if (pcr == kPcrPlatformConfig)
                e.claim = Claim::Platform;
        e.type = kEvEventTag;
        e.tag = tag;
        e.data = data;
        e.description = text;
        return plan->add(e);
}

Span<const char16_t> format_decimal(uint32_t value, char16_t (&out)[11]) {
        char16_t digits[10];
        size_t n = 0;
        do {
                digits[n++] = (char16_t) (u'0' + value % 10);
                value /= 10;
        } while (value);
        size_t i = 0;
        while (n)
                out[i++] = digits[--n];
        out[i++] = 0;
        return Span<const char16_t>(out, i);
}

} // namespace zuki::measure
