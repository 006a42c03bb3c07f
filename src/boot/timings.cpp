// SPDX-License-Identifier: LGPL-2.1-or-later

#include "timings.hpp"

#include "firmware/log.hpp"
#include "firmware/variables.hpp"

namespace zuki::boot {

namespace {

uint64_t phase_cycles[(int) Phase::Count];
uint32_t measured_events;

// The counter's frequency in Hz, 0 when unknown.
uint64_t counter_hz() {
#if defined(__aarch64__)
        uint64_t f;
        asm volatile("mrs %0, cntfrq_el0" : "=r"(f));
        return f;
#elif defined(__x86_64__)
        // CPUID 0x15: TSC = crystal * EBX / EAX (Intel SDM, "Time Stamp Counter and Nominal Core
        // Crystal Clock Information Leaf"); zero fields mean the CPU does not say.
        uint32_t max_leaf, b, c, d;
        asm volatile("cpuid" : "=a"(max_leaf), "=b"(b), "=c"(c), "=d"(d) : "a"(0));
        if (max_leaf < 0x15)
                return 0;
        uint32_t den, num, crystal;
        asm volatile("cpuid" : "=a"(den), "=b"(num), "=c"(crystal), "=d"(d) : "a"(0x15), "c"(0));
        if (!den || !num || !crystal)
                return 0;
        return (uint64_t) crystal * num / den;
#else
        return 0;
#endif
}

} // namespace

void add_phase_cycles(Phase phase, uint64_t cycles) { phase_cycles[(int) phase] += cycles; }
void add_measured_events(uint32_t events) { measured_events += events; }

void report_timings() {
        LineBuffer value;
        value.format("total={} measure={} events={} decompress={} load={} initrd={}",
                     read_cycles() - stub_entry_cycles(), phase_cycles[(int) Phase::Measure], (uint64_t) measured_events,
                     phase_cycles[(int) Phase::Decompress], phase_cycles[(int) Phase::Load],
                     phase_cycles[(int) Phase::Initrd]);
        if (uint64_t hz = counter_hz())
                value.format(" hz={}", hz);
        efi::Status s = set_loader_string(u"StubZukiTimings", value.c_str());
        if (efi::is_error(s))
                log_warning("Failed to set StubZukiTimings: {}, ignoring", s);
}

} // namespace zuki::boot
