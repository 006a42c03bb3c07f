// SPDX-License-Identifier: LGPL-2.1-or-later

#include "kaslr.hpp"

namespace zuki::kaslr {

namespace {

bool usable(const Region &r, bool mirrored_only) {
        if (r.type != kConventionalMemory || r.pages == 0)
                return false;
        if (r.attribute & (kMemorySpecificPurpose | kMemoryHotPluggable))
                return false;
        return !mirrored_only || (r.attribute & kMemoryMoreReliable);
}

// Slots in one region, and the first slot's address.
uint64_t region_slots(const Region &r, const Request &req, uint64_t *first) {
        // The region's last byte, clamped to the limit. A region whose end would wrap past 2^64 is
        // malformed and offers none; one whose last byte is 2^64 - 1 is fine.
        uint64_t bytes, end;
        if (r.pages == 0 || __builtin_mul_overflow(r.pages, kPageSize, &bytes) ||
            add_overflows(r.start, bytes - 1, &end))
                return 0;
        if (end > req.max_address)
                end = req.max_address;
        uint64_t start = r.start > req.min_address ? r.start : req.min_address;
        if (end < start || end - start < req.size - 1)
                return 0;
        uint64_t first_slot = align_up(start, req.alignment);
        if (first_slot < start) // wrapped
                return 0;
        uint64_t last_slot = (end - req.size + 1) & ~(req.alignment - 1);
        if (first_slot > last_slot)
                return 0;
        *first = first_slot;
        return (last_slot - first_slot) / req.alignment + 1;
}

bool valid(const Request &req) {
        return req.size > 0 && is_power_of_two(req.alignment) && req.alignment >= kPageSize;
}

// Linux's total_mirrored_slots > 0: mirrored regions the request cannot use do not restrict it.
bool mirrored_only(Span<const Region> map, const Request &request) {
        uint64_t first;
        for (const Region &r : map)
                if (usable(r, true) && region_slots(r, request, &first) > 0)
                        return true;
        return false;
}

} // namespace

bool any_mirrored(Span<const Region> map) {
        for (const Region &r : map)
                if (usable(r, false) && (r.attribute & kMemoryMoreReliable))
                        return true;
        return false;
}

uint64_t count_slots(Span<const Region> map, const Request &request) {
        if (!valid(request))
                return 0;
        bool mirrored = mirrored_only(map, request);
        uint64_t total = 0, first;
        for (const Region &r : map)
                if (usable(r, mirrored))
                        total += region_slots(r, request, &first);
        return total;
}

Result<uint64_t> pick(Span<const Region> map, const Request &request, uint32_t seed) {
        if (!valid(request))
                return Error::BadAlignment;
        uint64_t total = count_slots(map, request);
        if (total == 0)
                return Error::NoSpace;
        // Scale the 32-bit seed to [0, total): uniform up to the rounding of the multiplication.
        // total < 2^52 (4 KiB slots in 2^64 bytes), so the product fits in 128 bits; use the
        // compiler's 128-bit type.
        uint64_t target = (uint64_t) (((unsigned __int128) total * seed) >> 32);
        bool mirrored = mirrored_only(map, request);
        for (const Region &r : map) {
                if (!usable(r, mirrored))
                        continue;
                uint64_t first = 0;
                uint64_t n = region_slots(r, request, &first);
                if (target < n)
                        return first + target * request.alignment;
                target -= n;
        }
        return Error::NoSpace; // unreachable: target < total
}

} // namespace zuki::kaslr
