// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Where the kernel image goes: a random aligned address from the memory map (physical KASLR,
// src/shared/kaslr.hpp) seeded by EFI_RNG_PROTOCOL, or a deterministic one when the command line
// says "nokaslr" or the firmware has no RNG (one log line says which and why).

#pragma once

#include "../../shared/base.hpp"
#include "../efi/system-table.hpp"
#include "pages.hpp"

namespace zuki::boot {

struct Placement {
        bool randomize = false;
        uint32_t seed = 0;
        uint32_t virtual_seed = 0;           // x86 direct boot: the virtual offset
        uint64_t alignment = efi::kPageSize; // the architecture's minimum for this mode
        const char *why = "";                // for the log line
        const char *tag = "";                // the same in one word, for StubZukiPlacement
};

// Decides from the effective command line (UTF-16, may be empty) and the firmware's RNG.
Placement decide_placement(efi::BootServices *bs, Span<const char16_t> cmdline);

// Allocates `size` bytes of EfiLoaderCode aligned to max(alignment, placement.alignment), at a
// random slot when the placement says so. *randomized tells whether it was.
efi::Status allocate_kernel(efi::BootServices *bs, uint64_t size, uint64_t alignment, const Placement &placement,
                            Pages *out, bool *randomized);

// As allocate_kernel(), for an image that must start in [min_address, max_address - size]
// aligned to `alignment`: at a random slot, or else at min_address or the lowest free slot.
efi::Status allocate_kernel_in(efi::BootServices *bs, uint64_t size, uint64_t alignment, uint64_t min_address,
                               uint64_t max_address, const Placement &placement, Pages *out, bool *randomized);

// True when `word` occurs in `cmdline` as a whole space-separated word.
bool has_word(Span<const char16_t> cmdline, const char *word);

} // namespace zuki::boot
