// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A free-running cycle counter for the stub's timing line (TSC on x86_64, CNTVCT_EL0 on arm64,
// the time CSR on riscv64).
// Only differences between two readings in one boot mean anything.

#pragma once

#include <stdint.h>

namespace zuki::boot {

inline uint64_t read_cycles() {
#if defined(__x86_64__)
        uint32_t lo, hi;
        asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
        return (uint64_t) hi << 32 | lo;
#elif defined(__aarch64__)
        uint64_t v;
        asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
        return v;
#elif defined(__riscv)
        // The time CSR (Zicntr): readable in S-mode, where U-Boot and EDK2 run; the cycle CSR may
        // be hidden by the SBI implementation's mcounteren.
        uint64_t v;
        asm volatile("rdtime %0" : "=r"(v));
        return v;
#else
        return 0;
#endif
}

// The reading taken at efi_main().
uint64_t stub_entry_cycles();

} // namespace zuki::boot
