// SPDX-License-Identifier: LGPL-2.1-or-later

#include "hii-keyboard.hpp"

namespace zuki::hii {

bool keyboard_layout_language(Bytes layout, KeyboardLanguage *out, const char **why) {
        auto refuse = [&](const char *reason) {
                *why = reason;
                return false;
        };
        out->chars = 0;
        out->tag[0] = 0;
        if (layout.size() < kKeyboardLayoutHeaderSize)
                return refuse("shorter than its header");
        if (load_le16(layout.data()) != layout.size())
                return refuse("LayoutLength differs from the size the firmware returned");
        uint32_t offset = load_le32(layout.data() + 18);
        // The bundle runs from the offset to the end of the layout, its count at least.
        if (offset > layout.size() || layout.size() - offset < 2)
                return refuse("description string offset out of bounds");
        Bytes bundle(layout.data() + offset, layout.size() - offset);
        if (load_le16(bundle.data()) == 0)
                return refuse("no description strings");
        // The first description: its language tag ends at the first space.
        size_t max_chars = (bundle.size() - 2) / 2, n = 0;
        const uint8_t *strings = bundle.data() + 2;
        while (n < max_chars && load_le16(strings + 2 * n) != u' ')
                n++;
        if (n == max_chars)
                return refuse("language tag not ended by a space");
        if (n == 0)
                return refuse("empty language tag");
        if (n > kMaxLanguageChars)
                return refuse("language tag too long");
        for (size_t i = 0; i < n; i++)
                out->tag[i] = (char16_t) load_le16(strings + 2 * i);
        out->tag[n] = 0;
        out->chars = n;
        return true;
}

} // namespace zuki::hii
