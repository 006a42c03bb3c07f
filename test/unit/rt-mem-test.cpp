// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The stub's own memcpy/memset/memmove/memcmp (src/boot/rt/mem.cpp), compiled for the host under
// other names: on an x86_64 host this runs the same string instructions as the x64 stub, elsewhere
// the portable loops. Every length across the quadword/tail split, at every misalignment.

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#define memcpy zuki_rt_memcpy
#define memmove zuki_rt_memmove
#define memset zuki_rt_memset
#define memcmp zuki_rt_memcmp
#define malloc zuki_rt_malloc
#define calloc zuki_rt_calloc
#define free zuki_rt_free
#define _fltused zuki_rt_fltused
#include "../../src/boot/rt/mem.cpp"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef malloc
#undef calloc
#undef free
#undef _fltused

namespace {

constexpr size_t kGuard = 16;
constexpr uint8_t kGuardByte = 0xa5;

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
        std::vector<uint8_t> v(n);
        for (size_t i = 0; i < n; i++)
                v[i] = (uint8_t) (seed + i * 7);
        return v;
}

TEST(RtMem, MemcpyEveryLengthAndAlignment) {
        std::vector<uint8_t> src = pattern(128 + 8, 1);
        for (size_t so = 0; so < 8; so++)
                for (size_t doff = 0; doff < 8; doff++)
                        for (size_t n = 0; n <= 100; n++) {
                                std::vector<uint8_t> dst(doff + n + kGuard, kGuardByte);
                                void *r = zuki_rt_memcpy(dst.data() + doff, src.data() + so, n);
                                ASSERT_EQ(r, dst.data() + doff);
                                ASSERT_EQ(std::memcmp(dst.data() + doff, src.data() + so, n), 0) << n;
                                for (size_t i = 0; i < doff; i++)
                                        ASSERT_EQ(dst[i], kGuardByte);
                                for (size_t i = doff + n; i < dst.size(); i++)
                                        ASSERT_EQ(dst[i], kGuardByte) << "wrote past " << n << " bytes";
                        }
}

TEST(RtMem, MemsetEveryLengthAndAlignment) {
        for (int c : {0x00, 0x5a, 0xff, 0x1234}) // 0x1234: only the low byte counts
                for (size_t off = 0; off < 8; off++)
                        for (size_t n = 0; n <= 100; n++) {
                                std::vector<uint8_t> dst(off + n + kGuard, kGuardByte);
                                void *r = zuki_rt_memset(dst.data() + off, c, n);
                                ASSERT_EQ(r, dst.data() + off);
                                for (size_t i = 0; i < off; i++)
                                        ASSERT_EQ(dst[i], kGuardByte);
                                for (size_t i = off; i < off + n; i++)
                                        ASSERT_EQ(dst[i], (uint8_t) c) << n;
                                for (size_t i = off + n; i < dst.size(); i++)
                                        ASSERT_EQ(dst[i], kGuardByte) << "wrote past " << n << " bytes";
                        }
}

TEST(RtMem, MemmoveOverlapsBothWays) {
        for (size_t n = 0; n <= 40; n++)
                for (size_t shift = 1; shift <= 9; shift++) {
                        std::vector<uint8_t> base = pattern(n + shift, 3);
                        std::vector<uint8_t> up = base, down = base;
                        zuki_rt_memmove(up.data() + shift, up.data(), n); // forwards overlap
                        ASSERT_EQ(std::memcmp(up.data() + shift, base.data(), n), 0);
                        zuki_rt_memmove(down.data(), down.data() + shift, n); // backwards overlap
                        ASSERT_EQ(std::memcmp(down.data(), base.data() + shift, n), 0);
                }
}

TEST(RtMem, MemcmpOrdersAsUnsignedBytes) {
        const uint8_t a[] = {1, 2, 0x80}, b[] = {1, 2, 0x7f};
        EXPECT_EQ(zuki_rt_memcmp(a, a, 3), 0);
        EXPECT_GT(zuki_rt_memcmp(a, b, 3), 0);
        EXPECT_LT(zuki_rt_memcmp(b, a, 3), 0);
        EXPECT_EQ(zuki_rt_memcmp(a, b, 2), 0);
        EXPECT_EQ(zuki_rt_memcmp(a, b, 0), 0);
}

} // namespace
