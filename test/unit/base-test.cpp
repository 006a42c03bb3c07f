// SPDX-License-Identifier: LGPL-2.1-or-later
// base.hpp and error.hpp: bounds checks, little-endian access, Result/Status and ZUKI_TRY.

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>

#include "base.hpp"
#include "pe-fixture.hpp"

namespace zuki {
namespace {

TEST(Span, ContainsAcceptsRangesEndingAtTheEndAndRejectsWrappingOnes) {
        uint8_t buf[16] = {};
        Bytes b(buf);
        EXPECT_EQ(b.size(), 16u);
        EXPECT_TRUE(b.contains(0, 16));
        EXPECT_TRUE(b.contains(16, 0));
        EXPECT_FALSE(b.contains(17, 0));
        EXPECT_FALSE(b.contains(15, 2));
        // offset + length wraps to a small number; a naive `offset + length <= size` passes.
        EXPECT_FALSE(b.contains(8, UINT64_MAX - 4));
        EXPECT_FALSE(b.contains(UINT64_MAX, 1));
        EXPECT_TRUE(Bytes().contains(0, 0));
        EXPECT_FALSE(Bytes().contains(0, 1));
}

TEST(Span, SubReturnsTheRequestedWindowOrLeavesTheOutputAlone) {
        uint8_t buf[8] = {0, 1, 2, 3, 4, 5, 6, 7};
        Bytes b(buf);
        Bytes out;
        ASSERT_TRUE(b.sub(2, 3, &out));
        EXPECT_EQ(out.data(), buf + 2);
        EXPECT_EQ(out.size(), 3u);
        EXPECT_EQ(out[0], 2);
        EXPECT_FALSE(b.sub(6, 3, &out));
        EXPECT_EQ(out.data(), buf + 2); // unchanged on failure
}

TEST(Span, MutableSpanConvertsToConstSpanOfTheSameBytes) {
        uint8_t buf[4] = {};
        MutableBytes m(buf, 3);
        Bytes c = m;
        EXPECT_EQ(c.data(), buf);
        EXPECT_EQ(c.size(), 3u);
        EXPECT_FALSE(c.empty());
        EXPECT_TRUE(Bytes().empty());
}

TEST(Endian, LoadsAreLittleEndianRegardlessOfHost) {
        const uint8_t b[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x88};
        EXPECT_EQ(load_le16(b), 0x0201);
        EXPECT_EQ(load_le32(b), 0x04030201u);
        EXPECT_EQ(load_le64(b), 0x8807060504030201ull);
        // The top byte must not be sign-extended.
        const uint8_t high[4] = {0xff, 0xff, 0xff, 0xff};
        EXPECT_EQ(load_le32(high), 0xffffffffu);
        EXPECT_EQ(load_le16(high), 0xffff);
}

TEST(Endian, StoresWriteLeastSignificantByteFirstAndRoundTrip) {
        uint8_t b[8] = {};
        store_le16(b, 0xbeef);
        EXPECT_EQ(b[0], 0xef);
        EXPECT_EQ(b[1], 0xbe);
        store_le32(b, 0x818223cd); // LINUX_PE_MAGIC as it appears in a zboot header
        EXPECT_EQ(b[0], 0xcd);
        EXPECT_EQ(b[3], 0x81);
        store_le64(b, 0x0123456789abcdefull);
        EXPECT_EQ(b[0], 0xef);
        EXPECT_EQ(b[7], 0x01);
        EXPECT_EQ(load_le64(b), 0x0123456789abcdefull);
}

TEST(Arithmetic, OverflowAlignmentAndPowerOfTwoHelpers) {
        uint64_t sum = 0;
        EXPECT_FALSE(add_overflows(1, 2, &sum));
        EXPECT_EQ(sum, 3u);
        EXPECT_TRUE(add_overflows(UINT64_MAX, 1, &sum));
        EXPECT_EQ(align_up(0, 0x1000), 0u);
        EXPECT_EQ(align_up(1, 0x1000), 0x1000u);
        EXPECT_EQ(align_up(0x1000, 0x1000), 0x1000u);
        EXPECT_FALSE(is_power_of_two(0));
        EXPECT_TRUE(is_power_of_two(1));
        EXPECT_TRUE(is_power_of_two(0x10000));
        EXPECT_FALSE(is_power_of_two(0x1800));
        EXPECT_TRUE(is_power_of_two(1ull << 63));
}

Result<int> parse_digit(char c) {
        if (c < '0' || c > '9')
                return Error::Truncated;
        return c - '0';
}

Result<int> sum_digits(const char *s) {
        int a = ZUKI_TRY(parse_digit(s[0]));
        int b = ZUKI_TRY(parse_digit(s[1]));
        return a + b;
}

Status check_digit(char c) {
        ZUKI_TRY(parse_digit(c));
        return ok_status();
}

TEST(Result, CarriesEitherAValueOrAnError) {
        Result<int> good = parse_digit('7');
        ASSERT_TRUE(good.ok());
        EXPECT_TRUE(static_cast<bool>(good));
        EXPECT_EQ(*good, 7);
        EXPECT_EQ(good.error(), Error::None);
        Result<int> bad = parse_digit('x');
        EXPECT_FALSE(bad.ok());
        EXPECT_EQ(bad.error(), Error::Truncated);
        EXPECT_FALSE(Status(Error::NoSpace).ok());
        EXPECT_TRUE(ok_status().ok());
}

TEST(Result, TryYieldsTheValueOrReturnsTheFirstError) {
        Result<int> r = sum_digits("34");
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(*r, 7);
        EXPECT_EQ(sum_digits("3x").error(), Error::Truncated);
        EXPECT_EQ(sum_digits("x3").error(), Error::Truncated);
        EXPECT_TRUE(check_digit('1').ok());
        EXPECT_EQ(check_digit('-').error(), Error::Truncated);
}

TEST(Error, EveryErrorHasItsOwnDescription) {
        // Errors are numbered densely from None; the first number without a description ends them.
        std::set<std::string> seen;
        int e = (int) Error::None;
        for (; e < 1000 && std::string(describe((Error) e)) != "unknown error"; e++)
                EXPECT_TRUE(seen.insert(describe((Error) e)).second) << "duplicate description for " << e;
        EXPECT_GT(e, (int) Error::NoSpace);
}

} // namespace
} // namespace zuki
