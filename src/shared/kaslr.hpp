// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Physical KASLR: choosing a random, aligned address for the kernel image among the free memory
// the firmware reports, with the semantics of Linux's efi_random_alloc()
// (drivers/firmware/efi/libstub/randomalloc.c), so that every aligned position that fits is
// equally likely:
//   - only EfiConventionalMemory counts; specific-purpose (EFI_MEMORY_SP) and hot-pluggable
//     memory never does;
//   - when any mirrored (EFI_MEMORY_MORE_RELIABLE) region offers a slot, only mirrored regions
//     count;
//   - a region offers floor((last - first) / align) + 1 slots, where first is its start rounded
//     up to the alignment and last is the highest aligned start that still fits `size`;
//   - the slot is (total_slots * seed) >> 32 for a 32-bit random seed, counted across regions in
//     memory-map order.

#pragma once

#include "base.hpp"

namespace zuki::kaslr {

// UEFI 2.10, 7.2: EfiConventionalMemory and the attribute bits that exclude or restrict.
inline constexpr uint32_t kConventionalMemory = 7;
inline constexpr uint64_t kMemoryMoreReliable = 0x0000000000010000ull;
inline constexpr uint64_t kMemorySpecificPurpose = 0x0000000000040000ull;
inline constexpr uint64_t kMemoryHotPluggable = 0x0000000000100000ull;
inline constexpr uint64_t kPageSize = 4096;

struct Region {
        uint64_t start = 0;
        uint64_t pages = 0;
        uint32_t type = 0;
        uint64_t attribute = 0;
};

struct Request {
        uint64_t size = 0;      // bytes the image needs
        uint64_t alignment = 0; // a power of two >= 4 KiB
        uint64_t max_address = ~0ull; // highest byte the image may occupy
        uint64_t min_address = 0;     // lowest address the image may start at
};

// Whether any usable region is mirrored (only mirrored regions are used when one of them also
// offers a slot for the request).
bool any_mirrored(Span<const Region> map);

// Aligned starting positions in `map` that can hold the request.
uint64_t count_slots(Span<const Region> map, const Request &request);

// The address of slot (slots * seed) >> 32; NoSpace when no slot exists, BadAlignment for an
// invalid request.
Result<uint64_t> pick(Span<const Region> map, const Request &request, uint32_t seed);

} // namespace zuki::kaslr
