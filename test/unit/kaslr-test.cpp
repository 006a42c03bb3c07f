// SPDX-License-Identifier: LGPL-2.1-or-later
// kaslr::count_slots and pick on synthetic memory maps: Linux efi_random_alloc() semantics.
// Every expected address and count is worked out by hand in the comments, not taken from the code.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "kaslr.hpp"

namespace zuki::kaslr {
namespace {

constexpr uint64_t K4 = 4096, M = 1ull << 20, G = 1ull << 30, kTop = ~0ull;
constexpr uint32_t kLoaderCode = 1, kBootServicesData = 4;

Region conv(uint64_t start, uint64_t bytes, uint64_t attribute = 0) {
        return Region{start, bytes / K4, kConventionalMemory, attribute};
}
Span<const Region> span(const std::vector<Region> &map) { return Span<const Region>(map.data(), map.size()); }
uint64_t slots(const std::vector<Region> &map, Request r) { return count_slots(span(map), r); }
uint64_t slots(Region region, Request r) { return slots(std::vector<Region>{region}, r); }
uint64_t address(const std::vector<Region> &map, Request r, uint32_t seed) {
        Result<uint64_t> a = pick(span(map), r, seed);
        EXPECT_TRUE(a.ok()) << describe(a.error());
        return a.ok() ? *a : 0;
}

// A 16 MiB image at 2 MiB alignment (arm64's MIN_KIMG_ALIGN).
const Request kImage{16 * M, 2 * M};

TEST(KaslrSlots, RegionExactlyTheImageSizeAtAnAlignedStartHasOneSlot) {
        EXPECT_EQ(slots(conv(2 * M, 16 * M), kImage), 1u);
        EXPECT_EQ(slots(conv(2 * M, 16 * M - K4), kImage), 0u); // one page short
}

TEST(KaslrSlots, EachExtraAlignmentOfRoomAddsOneSlot) {
        for (uint64_t k = 0; k < 5; k++)
                EXPECT_EQ(slots(conv(4 * M, 16 * M + k * 2 * M), kImage), k + 1);
        // Less than a whole extra alignment adds nothing: 16M + 2M - 4K still has one start, 4M.
        EXPECT_EQ(slots(conv(4 * M, 18 * M - K4), kImage), 1u);
}

TEST(KaslrSlots, UnalignedStartRoundsUpAndCanLoseASlot) {
        // [2M+4K, 22M+4K): starts 4M and 6M fit (6M + 16M - 1 <= 22M+4K-1); 2M precedes the region.
        EXPECT_EQ(slots(conv(2 * M + K4, 20 * M), kImage), 2u);
        EXPECT_EQ(slots(conv(2 * M, 20 * M), kImage), 3u); // same length aligned: 2M, 4M, 6M
        // [2M+4K, 22M): 6M + 16M - 1 = 22M - 1 still fits, so 4M and 6M again.
        EXPECT_EQ(slots(conv(2 * M + K4, 20 * M - K4), kImage), 2u);
}

TEST(KaslrSlots, AlignmentLargerThanTheRegionGivesOneSlotOnlyIfItContainsAMultiple) {
        const Request gig_aligned{K4, G};
        EXPECT_EQ(slots(conv(G, K4), gig_aligned), 1u);      // [1G, 1G+4K) starts at a multiple
        EXPECT_EQ(slots(conv(G + K4, K4), gig_aligned), 0u); // [1G+4K, 1G+8K) contains none
        EXPECT_EQ(slots(conv(G - M, 2 * M), gig_aligned), 1u); // [1G-1M, 1G+1M) straddles 1G
        EXPECT_EQ(slots(conv(M, M), Request{K4, 2 * M}), 0u);  // [1M, 2M)
}

TEST(KaslrSlots, MaxAddressClampsRegions) {
        const Request below4g{16 * M, 2 * M, 4 * G - 1};
        EXPECT_EQ(slots(conv(4 * G, 4 * G), below4g), 0u); // entirely above the limit
        // [3G, 5G): unclamped the starts run 3G .. 5G-16M, (2G-16M)/2M + 1 = 1017 of them;
        // clamped to 4G-1 they run 3G .. 4G-16M, (1G-16M)/2M + 1 = 505.
        EXPECT_EQ(slots(conv(3 * G, 2 * G), kImage), 1017u);
        EXPECT_EQ(slots(conv(3 * G, 2 * G), below4g), 505u);
        // The image's last byte may be max_address itself, not one past it.
        EXPECT_EQ(slots(conv(3 * G, 2 * G), Request{16 * M, 2 * M, 3 * G + 16 * M - 1}), 1u);
        EXPECT_EQ(slots(conv(3 * G, 2 * G), Request{16 * M, 2 * M, 3 * G + 16 * M - 2}), 0u);
}

TEST(KaslrFilter, OnlyConventionalMemoryWithoutSpOrHotPlugCounts) {
        std::vector<Region> map = {
                {0, 64 * M / K4, kLoaderCode, 0},
                {64 * M, 64 * M / K4, kBootServicesData, 0},
                conv(128 * M, 64 * M, kMemorySpecificPurpose),
                conv(192 * M, 64 * M, kMemoryHotPluggable),
                {256 * M, 0, kConventionalMemory, 0}, // empty descriptor
                conv(512 * M, 16 * M),                // the one usable slot
        };
        EXPECT_EQ(slots(map, kImage), 1u);
        EXPECT_EQ(address(map, kImage, 0), 512 * M);
        EXPECT_EQ(address(map, kImage, 0xffffffffu), 512 * M);
}

TEST(KaslrFilter, AnyMirroredSlotRestrictsThePickToMirroredRegions) {
        std::vector<Region> map = {conv(256 * M, 64 * M), conv(G, 18 * M, kMemoryMoreReliable)};
        EXPECT_TRUE(any_mirrored(span(map)));
        EXPECT_EQ(slots(map, kImage), 2u); // 1G and 1G+2M; the 25 plain slots are ignored
        EXPECT_EQ(address(map, kImage, 0), G);
        EXPECT_EQ(address(map, kImage, 0xffffffffu), G + 2 * M);
}

TEST(KaslrFilter, MirroredRegionsThatAreNotUsableDoNotSwitchToMirroredOnly) {
        // [256M, 320M) alone: starts 256M .. 304M, 48M/2M + 1 = 25.
        for (Region mirrored : {Region{G, 64 * M / K4, kBootServicesData, kMemoryMoreReliable},
                                conv(G, 64 * M, kMemoryMoreReliable | kMemorySpecificPurpose),
                                conv(G, 64 * M, kMemoryMoreReliable | kMemoryHotPluggable)}) {
                std::vector<Region> map = {conv(256 * M, 64 * M), mirrored};
                EXPECT_FALSE(any_mirrored(span(map)));
                EXPECT_EQ(slots(map, kImage), 25u);
        }
}

TEST(KaslrFilter, MirroredRegionsWithoutASlotDoNotSwitchToMirroredOnly) {
        // Linux switches only when total_mirrored_slots > 0: mirrored memory too small for the
        // image, or above max_address, must not leave the kernel with nowhere to go.
        std::vector<Region> small = {conv(256 * M, 64 * M), conv(G, 8 * M, kMemoryMoreReliable)};
        EXPECT_EQ(slots(small, kImage), 25u);
        EXPECT_EQ(address(small, kImage, 0), 256 * M);
        std::vector<Region> high = {conv(256 * M, 64 * M), conv(8 * G, G, kMemoryMoreReliable)};
        EXPECT_EQ(slots(high, Request{16 * M, 2 * M, 4 * G - 1}), 25u);
        EXPECT_EQ(slots(high, kImage), 505u); // without the limit: (1G-16M)/2M + 1 mirrored slots
}

// Three usable regions, 10 + 12 + 15 = 37 slots, around regions that must be skipped:
//   A [16M, 50M):        16M + 2M*i, i = 0..9   (34M = 16M + 9*2M)
//   B [128M+4K, 168M+4K): 130M + 2M*i, i = 0..11 (first 130M; last (152M+4K) rounded down)
//   C [1G, 1G+44M):      1G + 2M*i, i = 0..14   (44M = 16M + 14*2M)
std::vector<Region> three_regions() {
        return {conv(16 * M, 34 * M),
                {64 * M, 32 * M / K4, kLoaderCode, 0},
                conv(128 * M + K4, 40 * M),
                conv(512 * M, 64 * M, kMemorySpecificPurpose),
                conv(G, 44 * M)};
}
uint64_t slot_address(uint64_t slot) {
        if (slot < 10)
                return 16 * M + 2 * M * slot;
        if (slot < 22)
                return 130 * M + 2 * M * (slot - 10);
        return G + 2 * M * (slot - 22);
}
// The smallest seed whose (37 * seed) >> 32 reaches `slot`: ceil(slot * 2^32 / 37).
uint32_t first_seed(uint64_t slot) { return (uint32_t) ((slot * (1ull << 32) + 36) / 37); }

TEST(KaslrPick, SeedsMapToSlotsInMemoryMapOrder) {
        std::vector<Region> map = three_regions();
        ASSERT_EQ(slots(map, kImage), 37u);
        EXPECT_EQ(address(map, kImage, 0), 16 * M);
        EXPECT_EQ(address(map, kImage, 0xffffffffu), G + 28 * M); // (37 * (2^32-1)) >> 32 = 36
        EXPECT_EQ(address(map, kImage, first_seed(10) - 1), 34 * M); // A's last slot
        EXPECT_EQ(address(map, kImage, first_seed(10)), 130 * M);    // B's first slot
        EXPECT_EQ(address(map, kImage, first_seed(13)), 136 * M);    // B's first + 3 * 2M
        EXPECT_EQ(address(map, kImage, first_seed(21)), 152 * M);    // B's last slot
        EXPECT_EQ(address(map, kImage, first_seed(22)), G);          // C's first slot
}

TEST(KaslrPick, EveryPickIsAlignedAndFitsItsRegionAndTheLimit) {
        // C is clamped by the limit to starts 1G, 1G+2M, 1G+4M (1G+4M + 16M - 1 = limit).
        const Request r{16 * M, 2 * M, G + 20 * M - 1};
        std::vector<Region> map = three_regions();
        struct Usable { uint64_t first, last; }; // first and last byte
        const Usable usable[] = {{16 * M, 50 * M - 1}, {128 * M + K4, 168 * M + K4 - 1}, {G, G + 44 * M - 1}};
        ASSERT_EQ(slots(map, r), 25u);
        std::mt19937 prng(20240601);
        for (int i = 0; i < 100000; i++) {
                uint64_t a = address(map, r, (uint32_t) prng());
                ASSERT_EQ(a % r.alignment, 0u) << std::hex << a;
                ASSERT_LE(a + r.size - 1, r.max_address) << std::hex << a;
                ASSERT_TRUE(std::any_of(std::begin(usable), std::end(usable), [&](const Usable &u) {
                        return a >= u.first && a + r.size - 1 <= u.last;
                })) << std::hex << a;
        }
}

TEST(KaslrPick, EvenlySpacedSeedsHitEverySlotEqually) {
        // seed_k = floor(k * 2^32 / 37000), k < 37000. For k = 1000j + r with 1 <= r <= 999,
        // 37 * seed_k / 2^32 lies in (j + r/1000 - 37/2^32, j + r/1000], so the slot is j; for
        // r = 0 and j >= 1, 37 does not divide j * 2^32, so the slot is j - 1. Hence slot 0
        // gets 1001 seeds, slots 1..35 exactly 1000, slot 36 gets 999.
        std::vector<Region> map = three_regions();
        std::map<uint64_t, int> hits;
        for (uint64_t k = 0; k < 37000; k++)
                hits[address(map, kImage, (uint32_t) ((k << 32) / 37000))]++;
        ASSERT_EQ(hits.size(), 37u);
        for (uint64_t slot = 0; slot < 37; slot++)
                EXPECT_EQ(hits[slot_address(slot)], slot == 0 ? 1001 : slot == 36 ? 999 : 1000) << slot;
}

TEST(KaslrPick, GoldenRatioSweepIsUniformWithinOnePercent) {
        // seed_i = i * 0x9e3779b9 mod 2^32 is the Kronecker sequence of 1/phi, whose discrepancy
        // is O(log n / n): each of the 37 equal seed intervals receives 200001/37 ~ 5405 seeds up
        // to a few units (measured: 5403..5408). Asserting max/min < 1.01 (~54) leaves a wide margin.
        std::vector<Region> map = three_regions();
        std::map<uint64_t, int> hits;
        for (uint32_t i = 0; i <= 200000; i++)
                hits[address(map, kImage, i * 0x9e3779b9u)]++;
        ASSERT_EQ(hits.size(), 37u);
        int lo = INT32_MAX, hi = 0;
        for (uint64_t slot = 0; slot < 37; slot++) {
                lo = std::min(lo, hits[slot_address(slot)]);
                hi = std::max(hi, hits[slot_address(slot)]);
        }
        EXPECT_GT(lo, 0);
        EXPECT_LT(hi, lo * 1.01) << "min " << lo << " max " << hi;
}

TEST(KaslrErrors, NoUsableSlotIsNoSpace) {
        const std::vector<Region> maps[] = {
                {},
                {{0, 1024 * M / K4, kBootServicesData, 0}},
                {conv(2 * M, 16 * M - K4)},
                {conv(4 * G, G)},
        };
        for (const std::vector<Region> &map : maps) {
                EXPECT_EQ(slots(map, Request{16 * M, 2 * M, 4 * G - 1}), 0u);
                Result<uint64_t> a = pick(span(map), Request{16 * M, 2 * M, 4 * G - 1}, 12345);
                EXPECT_EQ(a.error(), Error::NoSpace);
        }
}

TEST(KaslrErrors, InvalidRequestIsBadAlignmentAndHasNoSlots) {
        std::vector<Region> map = {conv(0, G)};
        for (Request r : {Request{16 * M, 0}, Request{16 * M, 3 * M}, Request{16 * M, 0x3000},
                          Request{16 * M, 2048}, Request{16 * M, 1}, Request{0, 2 * M}}) {
                EXPECT_EQ(slots(map, r), 0u) << r.size << " " << r.alignment;
                EXPECT_EQ(pick(span(map), r, 0).error(), Error::BadAlignment) << r.size << " " << r.alignment;
        }
        EXPECT_EQ(slots(map, Request{16 * M, K4}), (G - 16 * M) / K4 + 1); // 4 KiB is the minimum
}

TEST(KaslrOverflow, RegionEndingAtTheTopOfTheAddressSpaceCountsNormally) {
        // [2^64-8K, 2^64): its last byte is exactly 2^64-1, which does not wrap.
        std::vector<Region> top = {conv(kTop - 2 * K4 + 1, 2 * K4)};
        EXPECT_EQ(slots(top, Request{K4, K4}), 2u);
        EXPECT_EQ(address(top, Request{K4, K4}, 0), kTop - 2 * K4 + 1);
        EXPECT_EQ(address(top, Request{K4, K4}, 0xffffffffu), kTop - K4 + 1);
        EXPECT_EQ(slots(top, Request{2 * K4, K4}), 1u);
        EXPECT_EQ(slots(top, Request{3 * K4, K4}), 0u);
        // Aligning 2^64-8K up to 2^63 or to 16K wraps to 0; there is no aligned start.
        EXPECT_EQ(slots(top, Request{K4, 1ull << 63}), 0u);
        EXPECT_EQ(slots(top, Request{K4, 4 * K4}), 0u);
        // [2^63, 2^64) at 2^63 alignment: the one start 2^63.
        std::vector<Region> upper_half = {conv(1ull << 63, 1ull << 63)};
        EXPECT_EQ(slots(upper_half, Request{K4, 1ull << 63}), 1u);
        EXPECT_EQ(address(upper_half, Request{K4, 1ull << 63}, 0xffffffffu), 1ull << 63);
}

TEST(KaslrOverflow, RegionsWhoseEndWrapsOfferNothingAndDoNotDisturbOthers) {
        const Region wrapping[] = {
                {kTop - 2 * K4 + 1, 3, kConventionalMemory, 0}, // one page past 2^64
                {M, 1ull << 60, kConventionalMemory, 0},        // pages * 4K overflows
                {0, kTop, kConventionalMemory, 0},
                {kTop - K4 + 1, kTop, kConventionalMemory, 0},
        };
        for (const Region &w : wrapping) {
                EXPECT_EQ(slots(w, Request{K4, K4}), 0u) << std::hex << w.start << " " << w.pages;
                std::vector<Region> map = {w, conv(2 * M, 16 * M)};
                EXPECT_EQ(slots(map, kImage), 1u);
                EXPECT_EQ(address(map, kImage, 0xffffffffu), 2 * M);
        }
}

} // namespace
} // namespace zuki::kaslr
