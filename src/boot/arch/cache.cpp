// SPDX-License-Identifier: LGPL-2.1-or-later

#include "cache.hpp"

#include <stdint.h>

namespace zuki::boot {

void sync_instruction_cache(const void *start, size_t size) {
#if defined(__aarch64__)
        uint64_t ctr;
        asm volatile("mrs %0, ctr_el0" : "=r"(ctr));
        // CTR_EL0.DminLine (bits 19:16) and IminLine (bits 3:0): log2 of the line size in words.
        const uintptr_t dline = uintptr_t(4) << ((ctr >> 16) & 0xf);
        const uintptr_t iline = uintptr_t(4) << (ctr & 0xf);
        const uintptr_t begin = reinterpret_cast<uintptr_t>(start);
        const uintptr_t end = begin + size;
        for (uintptr_t p = begin & ~(dline - 1); p < end; p += dline)
                asm volatile("dc cvau, %0" : : "r"(p) : "memory");
        asm volatile("dsb ish" : : : "memory");
        for (uintptr_t p = begin & ~(iline - 1); p < end; p += iline)
                asm volatile("ic ivau, %0" : : "r"(p) : "memory");
        asm volatile("dsb ish\n\tisb" : : : "memory");
#elif defined(__riscv)
        // Zifencei: orders this hart's instruction fetches after its earlier stores. Only the boot
        // hart runs boot services code, and it is the hart that jumps to the kernel.
        (void) start;
        (void) size;
        asm volatile("fence.i" : : : "memory");
#else
        (void) start;
        (void) size;
#endif
}

} // namespace zuki::boot
