// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Where the stub's time goes: cycles per phase, reported once per boot in the volatile variable
// StubZukiTimings ("total=T measure=M events=N decompress=D load=L initrd=I [hz=F]", words only)
// for `zuki status`. Cycles come from arch/cycles.hpp; hz is given when the counter's frequency is
// known (arm64 CNTFRQ_EL0; x86_64 CPUID leaf 0x15 when the CPU reports it).

#pragma once

#include <stdint.h>

#include "arch/cycles.hpp"

namespace zuki::boot {

enum class Phase : uint8_t {
        Measure,    // TPM/CC measurements (HashLogExtendEvent: every active bank in one call)
        Decompress, // zstd
        Load,       // laying out, relocating and protecting (W^X) the kernel image
        Initrd,     // assembling the initrd (copies)
        Count,
};

void add_phase_cycles(Phase phase, uint64_t cycles);
void add_measured_events(uint32_t events);

// Adds the cycles from construction to destruction to `phase`.
class PhaseTimer {
public:
        explicit PhaseTimer(Phase phase) : phase_(phase), start_(read_cycles()) {}
        PhaseTimer(const PhaseTimer &) = delete;
        PhaseTimer &operator=(const PhaseTimer &) = delete;
        ~PhaseTimer() { add_phase_cycles(phase_, read_cycles() - start_); }

private:
        Phase phase_;
        uint64_t start_;
};

// Sets StubZukiTimings (total = from the stub's entry to now). Failure is logged and ignored.
void report_timings();

} // namespace zuki::boot
