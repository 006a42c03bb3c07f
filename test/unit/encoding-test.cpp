// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The host tool's hex and base64: RFC 4648 vectors both ways, and the refusals
// that keep a malformed .pcrsig or LUKS2 token from being half-read.

#include <gtest/gtest.h>

#include <vector>

#include "encoding.hpp"
#include "failure.hpp"

namespace zuki {
namespace {

Bytes text_bytes(const std::string &s) { return Bytes(reinterpret_cast<const uint8_t *>(s.data()), s.size()); }

std::string text_of(const Buffer &b) { return std::string(b.begin(), b.end()); }

TEST(Encoding, Base64Rfc4648Vectors) {
        const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
        const char *encoded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
        for (size_t i = 0; i < std::size(plain); i++) {
                EXPECT_EQ(to_base64(text_bytes(plain[i])), encoded[i]);
                EXPECT_EQ(text_of(from_base64(encoded[i], "test")), plain[i]);
        }
}

TEST(Encoding, Base64RoundTripsEveryByte) {
        for (size_t n = 0; n < 260; n++) {
                Buffer data(n);
                for (size_t i = 0; i < n; i++)
                        data[i] = (uint8_t) (255 - i);
                EXPECT_EQ(from_base64(to_base64(bytes_of(data)), "test"), data) << n;
        }
}

TEST(Encoding, Base64ToleratesWhitespaceOnly) {
        EXPECT_EQ(text_of(from_base64("Zm9v\nYmFy", "test")), "foobar");
        EXPECT_EQ(text_of(from_base64(" Zm9v\r\n\tYg==\n", "test")), "foob");
}

TEST(Encoding, Base64Refusals) {
        // Missing padding, too much padding, data after padding, a character outside the
        // alphabet, padding first, URL-safe alphabet, an embedded NUL, a length not a multiple of 4.
        for (const std::string &bad : std::vector<std::string>{"Zg=", "Z===", "Zg=a", "Zm9v!", "=Zg=", "Zm9v-_==",
                                                               std::string("Zm9v\0AAA", 8), "Zm9vY"}) {
                try {
                        from_base64(bad, "The blob");
                        ADD_FAILURE() << "accepted " << bad;
                } catch (const Failure &e) {
                        EXPECT_STREQ(e.what(), "The blob is not base64");
                }
        }
}

TEST(Encoding, HexRoundTrip) {
        EXPECT_EQ(to_hex(text_bytes("")), "");
        EXPECT_EQ(to_hex(bytes_of(from_hex("00fFa0", "test"))), "00ffa0");
        Buffer all(256);
        for (size_t i = 0; i < all.size(); i++)
                all[i] = (uint8_t) i;
        std::string hex = to_hex(bytes_of(all));
        EXPECT_EQ(hex.substr(0, 8), "00010203");
        EXPECT_EQ(hex.substr(hex.size() - 4), "feff");
        EXPECT_EQ(from_hex(hex, "test"), all);
        EXPECT_TRUE(from_hex("", "test").empty());
}

TEST(Encoding, HexRefusals) {
        // Odd length, a non-digit, OpenSSL's colon separators, whitespace, a sign, an embedded NUL.
        for (const std::string &bad : std::vector<std::string>{"0", "0g", "00:ff", "00 ff", "+0", std::string("00\0f", 4), "abc"}) {
                try {
                        from_hex(bad, "pkfp");
                        ADD_FAILURE() << "accepted " << bad;
                } catch (const Failure &e) {
                        EXPECT_STREQ(e.what(), "pkfp is not hexadecimal");
                }
        }
}

} // namespace
} // namespace zuki
