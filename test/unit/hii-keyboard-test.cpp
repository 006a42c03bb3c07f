// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The keyboard layout language (src/shared/hii-keyboard.*): layouts built here byte by byte from
// the UEFI structure definitions, as EDK2's USB keyboard driver registers its default one
// ("en-US" + space + "English Keyboard"), and every refusal.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hii-keyboard.hpp"

namespace zuki {
namespace {

void put16(std::vector<uint8_t> &b, uint16_t v) {
        b.push_back((uint8_t) v);
        b.push_back((uint8_t) (v >> 8));
}

void put_text(std::vector<uint8_t> &b, const std::u16string &s) {
        for (char16_t c : s)
                put16(b, c);
}

// A layout with `descriptors` 16-byte key descriptors and the bundle `strings` (count first).
std::vector<uint8_t> layout(uint16_t count, const std::u16string &strings, size_t descriptors = 2) {
        std::vector<uint8_t> b;
        put16(b, 0); // LayoutLength, below
        for (int i = 0; i < 16; i++)
                b.push_back((uint8_t) (0xa0 + i)); // Guid
        uint32_t offset = (uint32_t) (hii::kKeyboardLayoutHeaderSize + 16 * descriptors);
        for (int i = 0; i < 4; i++)
                b.push_back((uint8_t) (offset >> (8 * i)));
        b.push_back((uint8_t) descriptors);
        b.resize(offset, 0x55);
        put16(b, count);
        put_text(b, strings);
        b[0] = (uint8_t) b.size();
        b[1] = (uint8_t) (b.size() >> 8);
        return b;
}

std::u16string tag(const hii::KeyboardLanguage &l) { return std::u16string(l.tag, l.chars); }

TEST(HiiKeyboard, FirstDescriptionsLanguage) {
        std::u16string strings = u"en-US English Keyboard";
        strings.push_back(0);
        strings += u"de-DE Englische Tastatur";
        strings.push_back(0);
        auto b = layout(2, strings);
        hii::KeyboardLanguage l;
        const char *why = nullptr;
        ASSERT_TRUE(hii::keyboard_layout_language(Bytes(b.data(), b.size()), &l, &why)) << why;
        EXPECT_EQ(tag(l), u"en-US");
        EXPECT_EQ(l.tag[l.chars], 0);
}

TEST(HiiKeyboard, UnalignedBundle) {
        // No descriptors: the bundle starts at the odd offset 23.
        auto b = layout(1, std::u16string(u"fr-FR Clavier") + char16_t(0), 0);
        hii::KeyboardLanguage l;
        const char *why = nullptr;
        ASSERT_TRUE(hii::keyboard_layout_language(Bytes(b.data(), b.size()), &l, &why)) << why;
        EXPECT_EQ(tag(l), u"fr-FR");
}

void expect_refused(const std::vector<uint8_t> &b, const std::string &reason) {
        hii::KeyboardLanguage l;
        const char *why = nullptr;
        EXPECT_FALSE(hii::keyboard_layout_language(Bytes(b.data(), b.size()), &l, &why));
        ASSERT_NE(why, nullptr);
        EXPECT_EQ(std::string(why), reason);
        EXPECT_EQ(l.chars, 0u);
}

TEST(HiiKeyboard, Refusals) {
        auto good = layout(1, std::u16string(u"en-US English") + char16_t(0));
        expect_refused(std::vector<uint8_t>(good.begin(), good.begin() + 22), "shorter than its header");

        auto wrong_length = good;
        wrong_length[0] ^= 1;
        expect_refused(wrong_length, "LayoutLength differs from the size the firmware returned");

        auto far = good;
        far[18] = 0xff; // offset past the end
        expect_refused(far, "description string offset out of bounds");
        auto last_byte = good;
        uint32_t at = (uint32_t) good.size() - 1; // room for one byte of the count only
        for (int i = 0; i < 4; i++)
                last_byte[18 + i] = (uint8_t) (at >> (8 * i));
        expect_refused(last_byte, "description string offset out of bounds");

        expect_refused(layout(0, std::u16string(u"en-US English") + char16_t(0)), "no description strings");
        expect_refused(layout(1, u"en-US"), "language tag not ended by a space");
        expect_refused(layout(1, std::u16string(u" English") + char16_t(0)), "empty language tag");
        expect_refused(layout(1, std::u16string(64, u'x') + u" long"), "language tag too long");
}

TEST(HiiKeyboard, LongestTagAccepted) {
        auto b = layout(1, std::u16string(hii::kMaxLanguageChars, u'x') + u" ok");
        hii::KeyboardLanguage l;
        const char *why = nullptr;
        ASSERT_TRUE(hii::keyboard_layout_language(Bytes(b.data(), b.size()), &l, &why)) << why;
        EXPECT_EQ(l.chars, hii::kMaxLanguageChars);
}

} // namespace
} // namespace zuki
