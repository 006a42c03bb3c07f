// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Physical KASLR: count_slots and pick over a memory map decoded from the input, checked against
// a model in 128-bit arithmetic written from the rules in kaslr.hpp; every address picked is
// aligned, inside a usable (and, when required, mirrored) region and below max_address.
//
// Input: le64 size, alignment exponent (byte, mod 64), le64 max_address, le32 seed, flags
// (bit 0: no max_address; bit 1: size in pages), then 18-byte regions (at most 64): le64 start,
// le64 pages, type (bit 7 set: type = low bits, else EfiConventionalMemory), attributes (bit 0
// mirrored, bit 1 specific-purpose, bit 2 hot-pluggable, bit 3 write-back).

#include <vector>

#include "fuzz-common.hpp"
#include "kaslr.hpp"

using namespace zuki;

namespace {

using u128 = unsigned __int128;

bool usable(const kaslr::Region &r, bool mirrored_only) {
        if (r.type != kaslr::kConventionalMemory || r.pages == 0)
                return false;
        if (r.attribute & (kaslr::kMemorySpecificPurpose | kaslr::kMemoryHotPluggable))
                return false;
        return !mirrored_only || (r.attribute & kaslr::kMemoryMoreReliable);
}

// Slots of one region: aligned starts a with start <= a and a + size - 1 <= min(last byte,
// max_address); none for a region that extends past 2^64, or whose byte count does not fit in
// 64 bits (only a region of all 2^64 bytes starting at 0 is both, and it is no real map's).
u128 slots(const kaslr::Region &r, const kaslr::Request &q, u128 *first) {
        u128 end = (u128) r.start + (u128) r.pages * kaslr::kPageSize; // exclusive
        if (r.pages == 0 || r.pages >= (1ull << 52) || end > ((u128) 1 << 64))
                return 0;
        u128 limit = (u128) q.max_address + 1;
        if (end > limit)
                end = limit;
        u128 a = q.alignment;
        u128 lo = ((u128) r.start + a - 1) / a * a;
        if (end < q.size || end - q.size < lo)
                return 0;
        u128 hi = (end - q.size) / a * a;
        *first = lo;
        return (hi - lo) / a + 1;
}

struct Model {
        bool valid = false;
        bool mirrored_only = false;
        u128 total = 0;
};

Model model(const std::vector<kaslr::Region> &map, const kaslr::Request &q) {
        Model m;
        m.valid = q.size > 0 && is_power_of_two(q.alignment) && q.alignment >= kaslr::kPageSize;
        if (!m.valid)
                return m;
        u128 first;
        for (const kaslr::Region &r : map)
                if (usable(r, true) && slots(r, q, &first))
                        m.mirrored_only = true;
        for (const kaslr::Region &r : map)
                if (usable(r, m.mirrored_only))
                        m.total += slots(r, q, &first);
        return m;
}

struct Reader {
        const uint8_t *p;
        size_t n, i = 0;
        uint64_t le(size_t width) {
                uint64_t v = fuzz::le(p, n, i, width);
                i += width;
                return v;
        }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Reader in{data, size};
        kaslr::Request q;
        q.size = in.le(8);
        q.alignment = 1ull << (in.le(1) % 64);
        q.max_address = in.le(8);
        uint32_t seed = (uint32_t) in.le(4);
        uint8_t flags = (uint8_t) in.le(1);
        if (flags & 1)
                q.max_address = ~0ull;
        if (flags & 2)
                q.size = (q.size & 0xfffff) * kaslr::kPageSize;

        std::vector<kaslr::Region> map;
        while (in.i < size && map.size() < 64) {
                kaslr::Region r;
                r.start = in.le(8);
                r.pages = in.le(8);
                uint8_t type = (uint8_t) in.le(1);
                uint8_t attr = (uint8_t) in.le(1);
                r.type = (type & 0x80) ? (type & 0x7f) : kaslr::kConventionalMemory;
                r.attribute = ((attr & 1) ? kaslr::kMemoryMoreReliable : 0) |
                              ((attr & 2) ? kaslr::kMemorySpecificPurpose : 0) |
                              ((attr & 4) ? kaslr::kMemoryHotPluggable : 0) | ((attr & 8) ? 0x8 : 0);
                map.push_back(r);
        }
        Span<const kaslr::Region> span(map.data(), map.size());

        Model m = model(map, q);
        uint64_t count = kaslr::count_slots(span, q);
        FUZZ_CHECK((u128) count == m.total, "count_slots %llu, model %llu", (unsigned long long) count,
                   (unsigned long long) m.total);

        bool mirrored = false;
        for (const kaslr::Region &r : map)
                mirrored |= usable(r, false) && (r.attribute & kaslr::kMemoryMoreReliable);
        FUZZ_CHECK(kaslr::any_mirrored(span) == mirrored);

        for (uint32_t s : {seed, 0u, 0xffffffffu, seed ^ 0x80000000u}) {
                Result<uint64_t> a = kaslr::pick(span, q, s);
                if (!m.valid) {
                        FUZZ_CHECK(a.error() == Error::BadAlignment);
                        continue;
                }
                if (m.total == 0) {
                        FUZZ_CHECK(a.error() == Error::NoSpace);
                        continue;
                }
                FUZZ_CHECK(a.ok(), "pick failed with %llu slots", (unsigned long long) count);
                uint64_t addr = *a;
                FUZZ_CHECK(addr % q.alignment == 0, "unaligned %llx", (unsigned long long) addr);
                FUZZ_CHECK((u128) addr + q.size - 1 <= q.max_address, "past max_address");

                // The slot the model picks: (total * seed) >> 32, counted in map order.
                u128 target = (m.total * s) >> 32;
                u128 expect = 0;
                bool found = false;
                for (const kaslr::Region &r : map) {
                        if (!usable(r, m.mirrored_only))
                                continue;
                        u128 first = 0, n = slots(r, q, &first);
                        if (target < n) {
                                expect = first + target * q.alignment;
                                FUZZ_CHECK((u128) addr >= r.start &&
                                           (u128) addr + q.size <= (u128) r.start + (u128) r.pages * kaslr::kPageSize);
                                found = true;
                                break;
                        }
                        target -= n;
                }
                FUZZ_CHECK(found && (u128) addr == expect, "picked %llx, model %llx", (unsigned long long) addr,
                           (unsigned long long) expect);
        }
        return 0;
}
