// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The x86 branch filter of the direct payload (src/shared/branch-filter): hand-computed
// conversions, the fields it must leave alone, and decode(encode(x)) == x on inputs dense with
// E8/E9 bytes, where a walk that reopened a rejected field would decode differently.

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "branch-filter.hpp"

namespace zuki::branch_filter {
namespace {

std::vector<uint8_t> encoded(std::vector<uint8_t> v, uint64_t position) {
        x86_encode(MutableBytes(v.data(), v.size()), position);
        return v;
}

TEST(BranchFilter, ConvertsNearCallsAndJumpsToTargets) {
        // CALL +0x10 ending at 0x1005: target 0x1015.
        EXPECT_EQ(encoded({0xe8, 0x10, 0x00, 0x00, 0x00}, 0x1000),
                  (std::vector<uint8_t>{0xe8, 0x15, 0x10, 0x00, 0x00}));
        // JMP -16 ending at 0x25: target 0x15.
        EXPECT_EQ(encoded({0xe9, 0xf0, 0xff, 0xff, 0xff}, 0x20),
                  (std::vector<uint8_t>{0xe9, 0x15, 0x00, 0x00, 0x00}));
        // CALL -0x100 ending at 0x5: target -0xfb, kept as a 25-bit value sign-extended.
        EXPECT_EQ(encoded({0xe8, 0x00, 0xff, 0xff, 0xff}, 0),
                  (std::vector<uint8_t>{0xe8, 0x05, 0xff, 0xff, 0xff}));
        // A target past 16 MiB wraps within 25 bits: 0x00fffffb + 0x10 + 5 = 0x01000010 ->
        // sign-extended 0xff000010.
        EXPECT_EQ(encoded({0xe8, 0xfb, 0xff, 0xff, 0x00}, 0x10),
                  (std::vector<uint8_t>{0xe8, 0x10, 0x00, 0x00, 0xff}));
}

TEST(BranchFilter, LeavesFarFieldsShortTailsAndOtherBytes) {
        // Top byte 0x01: not a near displacement; the four bytes after it are consumed, so the
        // E8 inside the field is no opcode.
        std::vector<uint8_t> far = {0xe8, 0xe8, 0x00, 0x00, 0x01, 0x90, 0x90};
        EXPECT_EQ(encoded(far, 0), far);
        // Fewer than four bytes after the opcode: nothing to convert.
        std::vector<uint8_t> tail = {0x90, 0xe8, 0x01, 0x00, 0x00};
        EXPECT_EQ(encoded(tail, 0), tail);
        std::vector<uint8_t> plain = {0x48, 0x89, 0xe5, 0xc3};
        EXPECT_EQ(encoded(plain, 0), plain);
        EXPECT_EQ(x86_encode(MutableBytes(), 0), 0u);
}

TEST(BranchFilter, DecodeUndoesEncodeOnDenseInput) {
        std::mt19937_64 rng(20261206);
        // Bytes drawn mostly from {e8, e9, 00, ff}: opcodes inside rejected and accepted fields,
        // near and far fields back to back.
        const uint8_t kAlphabet[] = {0xe8, 0xe9, 0x00, 0xff, 0x01, 0x7f};
        for (int round = 0; round < 2000; round++) {
                std::vector<uint8_t> original(1 + rng() % 200);
                for (uint8_t &b : original)
                        b = kAlphabet[rng() % sizeof kAlphabet];
                uint64_t position = rng() % 0x3000000;
                std::vector<uint8_t> v = original;
                size_t n = x86_encode(MutableBytes(v.data(), v.size()), position);
                EXPECT_EQ(x86_decode(MutableBytes(v.data(), v.size()), position), n);
                ASSERT_EQ(v, original) << "round " << round << ", position " << position;
        }
}

} // namespace
} // namespace zuki::branch_filter
