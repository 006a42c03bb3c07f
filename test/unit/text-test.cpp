// SPDX-License-Identifier: LGPL-2.1-or-later
// text: UTF-8 to UTF-16 for the embedded .cmdline (lenient: bad input becomes U+FFFD, one per
// byte that does not start a valid sequence) and systemd-stub's command-line mangling.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "text.hpp"

namespace zuki::text {
namespace {

constexpr char16_t kReplacement = 0xfffd;
constexpr char16_t kGuard = 0x5a5a;

std::u16string convert(const std::vector<uint8_t> &utf8) {
        Bytes in(utf8.data(), utf8.size());
        size_t needed = utf8_to_utf16(in, Span<char16_t>());
        std::u16string out(needed + 1, kGuard);
        EXPECT_EQ(utf8_to_utf16(in, Span<char16_t>(out.data(), needed)), needed);
        EXPECT_EQ(out[needed], kGuard) << "wrote past the output";
        out.resize(needed);
        return out;
}

std::u16string convert_string(const std::string &utf8) { return convert(std::vector<uint8_t>(utf8.begin(), utf8.end())); }

// n replacement characters.
std::u16string fffd(size_t n) { return std::u16string(n, kReplacement); }

TEST(Utf8ToUtf16, AsciiMapsOneToOne) {
        EXPECT_EQ(convert_string("root=/dev/vda1 quiet"), u"root=/dev/vda1 quiet");
        EXPECT_EQ(convert_string(""), u"");
}

TEST(Utf8ToUtf16, TwoAndThreeByteSequencesIncludingTheirBoundaries) {
        EXPECT_EQ(convert({0xc2, 0x80}), std::u16string(1, 0x0080));
        EXPECT_EQ(convert({0xc3, 0xa9}), u"\u00e9");
        EXPECT_EQ(convert({0xdf, 0xbf}), std::u16string(1, 0x07ff));
        EXPECT_EQ(convert({0xe0, 0xa0, 0x80}), std::u16string(1, 0x0800));
        EXPECT_EQ(convert({0xe2, 0x82, 0xac}), u"\u20ac");
        EXPECT_EQ(convert({0xed, 0x9f, 0xbf}), std::u16string(1, 0xd7ff)); // just below the surrogates
        EXPECT_EQ(convert({0xee, 0x80, 0x80}), std::u16string(1, 0xe000)); // just above them
        EXPECT_EQ(convert({0xef, 0xbf, 0xbf}), std::u16string(1, 0xffff));
}

TEST(Utf8ToUtf16, FourByteSequencesBecomeSurrogatePairs) {
        EXPECT_EQ(convert({0xf0, 0x90, 0x80, 0x80}), (std::u16string{0xd800, 0xdc00}));  // U+10000
        EXPECT_EQ(convert({0xf0, 0x9f, 0x98, 0x80}), (std::u16string{0xd83d, 0xde00}));  // U+1F600
        EXPECT_EQ(convert({0xf4, 0x8f, 0xbf, 0xbf}), (std::u16string{0xdbff, 0xdfff}));  // U+10FFFF
        EXPECT_EQ(convert({'a', 0xf0, 0x9f, 0x98, 0x80, 'b'}), (std::u16string{'a', 0xd83d, 0xde00, 'b'}));
}

TEST(Utf8ToUtf16, InvalidLeadBytesBecomeOneReplacementEach) {
        EXPECT_EQ(convert({0x80}), fffd(1));  // lone continuation byte
        EXPECT_EQ(convert({0xbf, 0xbf}), fffd(2));
        EXPECT_EQ(convert({'a', 0xf8, 0x88, 0x80, 0x80, 0x80, 'b'}), u"a" + fffd(5) + u"b"); // 5-byte form
        EXPECT_EQ(convert({0xfe, 0xff, 'x'}), fffd(2) + u"x");
}

TEST(Utf8ToUtf16, TruncatedSequencesDoNotSwallowWhatFollows) {
        EXPECT_EQ(convert({0xc3}), fffd(1));
        EXPECT_EQ(convert({0xe2, 0x82}), fffd(2));
        EXPECT_EQ(convert({0xf0, 0x9f, 0x98}), fffd(3));
        EXPECT_EQ(convert({0xe2, 0x82, 'A'}), fffd(2) + u"A");
        EXPECT_EQ(convert({0xc3, ' ', 0xc3, 0xa9}), fffd(1) + u" \u00e9");
}

TEST(Utf8ToUtf16, OverlongEncodingsAreRejected) {
        EXPECT_EQ(convert({0xc0, 0xaf}), fffd(2));              // '/' in two bytes
        EXPECT_EQ(convert({0xc1, 0xbf}), fffd(2));
        EXPECT_EQ(convert({0xe0, 0x80, 0xaf}), fffd(3));        // '/' in three bytes
        EXPECT_EQ(convert({0xe0, 0x9f, 0xbf}), fffd(3));        // U+07FF in three bytes
        EXPECT_EQ(convert({0xf0, 0x8f, 0xbf, 0xbf}), fffd(4));  // U+FFFF in four bytes
        EXPECT_EQ(convert({0xc0, 0x80}), fffd(2));              // "modified UTF-8" NUL
}

TEST(Utf8ToUtf16, EncodedSurrogatesAreRejected) {
        EXPECT_EQ(convert({0xed, 0xa0, 0x80}), fffd(3));  // U+D800
        EXPECT_EQ(convert({0xed, 0xbf, 0xbf}), fffd(3));  // U+DFFF
        // CESU-8 style pair for U+1F600: must not be glued back together.
        EXPECT_EQ(convert({0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80}), fffd(6));
}

TEST(Utf8ToUtf16, CodePointsBeyondU10ffffAreRejected) {
        EXPECT_EQ(convert({0xf4, 0x90, 0x80, 0x80}), fffd(4));  // U+110000
        EXPECT_EQ(convert({0xf7, 0xbf, 0xbf, 0xbf}), fffd(4));  // U+1FFFFF
}

TEST(Utf8ToUtf16, CountingModeReturnsTheNeededLength) {
        const std::vector<uint8_t> in = {'a', 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80, 0xff};
        EXPECT_EQ(utf8_to_utf16(Bytes(in.data(), in.size()), Span<char16_t>()), 1u + 1u + 2u + 1u);
}

TEST(Utf8ToUtf16, ShortOutputIsFilledAndTheFullLengthStillReturned) {
        const std::string in = "abc\xf0\x9f\x98\x80";
        char16_t out[4] = {kGuard, kGuard, kGuard, kGuard};
        size_t n = utf8_to_utf16(Bytes(reinterpret_cast<const uint8_t *>(in.data()), in.size()),
                                 Span<char16_t>(out, 3));
        EXPECT_EQ(n, 5u);
        EXPECT_EQ(std::u16string(out, 4), (std::u16string{'a', 'b', 'c', kGuard}));
}

// mangle_command_line on a copy of `s`; returns the kept prefix.
std::u16string mangle(std::u16string s) {
        size_t n = mangle_command_line(Span<char16_t>(s.data(), s.size()));
        EXPECT_LE(n, s.size());
        return s.substr(0, n);
}

TEST(MangleCommandLine, LeadingAndTrailingWhitespaceIsDropped) {
        EXPECT_EQ(mangle(u"  quiet  "), u"quiet");
        EXPECT_EQ(mangle(u"\t\n\r\x01quiet\x1f\x7f \n"), u"quiet");
        EXPECT_EQ(mangle(u"\x7f" u"a b"), u"a b");
        EXPECT_EQ(mangle(u"root=/dev/vda1 rw"), u"root=/dev/vda1 rw");
}

TEST(MangleCommandLine, EachInnerControlCharacterBecomesOneSpace) {
        EXPECT_EQ(mangle(u"a\tb"), u"a b");
        EXPECT_EQ(mangle(u"a\r\nb"), u"a  b");  // not collapsed
        EXPECT_EQ(mangle(u"a\x7f\x01 b"), u"a   b");
        EXPECT_EQ(mangle(u"a  \t  b"), u"a     b");
}

TEST(MangleCommandLine, NonAsciiIsKept) {
        EXPECT_EQ(mangle(u" \u00e9t\u00e9 \x80 "), u"\u00e9t\u00e9 \x80");  // U+0080 is not whitespace here
}

TEST(MangleCommandLine, NothingButWhitespaceLeavesNothing) {
        EXPECT_EQ(mangle(u""), u"");
        EXPECT_EQ(mangle(u" "), u"");
        EXPECT_EQ(mangle(u" \t\n\x7f\x01 "), u"");
        EXPECT_EQ(mangle(std::u16string(u"\0\0", 2)), u"");
}

TEST(MangleCommandLine, ATrailingNulCountsAsWhitespace) {
        EXPECT_EQ(mangle(std::u16string(u"quiet\0", 6)), u"quiet");
}

} // namespace
} // namespace zuki::text

namespace {
bool valid(std::initializer_list<int> bytes) {
        std::vector<uint8_t> b;
        for (int x : bytes)
                b.push_back((uint8_t) x);
        return zuki::text::is_valid_utf8(zuki::Bytes(b.data(), b.size()));
}
} // namespace

TEST(IsValidUtf8, AcceptsWellFormedTextOfEveryLength) {
        EXPECT_TRUE(valid({}));
        EXPECT_TRUE(valid({'a', 'b'}));
        EXPECT_TRUE(valid({0xc3, 0xa9}));                   // é
        EXPECT_TRUE(valid({0xe2, 0x82, 0xac}));             // €
        EXPECT_TRUE(valid({0xf0, 0x9f, 0x98, 0x80}));       // U+1F600
        EXPECT_TRUE(valid({0xf4, 0x8f, 0xbf, 0xbf}));       // U+10FFFF
        EXPECT_TRUE(valid({0xef, 0xbf, 0xbd}));             // an encoded U+FFFD is fine
}

TEST(IsValidUtf8, RejectsLatin1StrayBytesAndTruncation) {
        EXPECT_FALSE(valid({'c', 'a', 'f', 0xe9}));         // Latin-1 é
        EXPECT_FALSE(valid({0xff}));
        EXPECT_FALSE(valid({0x80}));                        // lone continuation byte
        EXPECT_FALSE(valid({0xe2, 0x82}));                  // truncated at the end
        EXPECT_FALSE(valid({0xe2, 0x41, 0x82}));            // interrupted
}

TEST(IsValidUtf8, RejectsOverlongSurrogatesAndBeyondU10ffff) {
        EXPECT_FALSE(valid({0xc0, 0xaf}));                  // overlong '/'
        EXPECT_FALSE(valid({0xe0, 0x80, 0xaf}));
        EXPECT_FALSE(valid({0xed, 0xa0, 0x80}));            // U+D800
        EXPECT_FALSE(valid({0xf4, 0x90, 0x80, 0x80}));      // U+110000
        EXPECT_FALSE(valid({0xf8, 0x88, 0x80, 0x80, 0x80})); // 5-byte form
}
