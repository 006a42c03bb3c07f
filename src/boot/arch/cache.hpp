// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Making freshly written code visible to instruction fetch. x86 keeps instruction and data caches
// coherent; arm64 needs the data cache cleaned to the point of unification and the instruction
// cache invalidated (Arm ARM, D7.5.9 "Instruction cache maintenance") before jumping there; RISC-V
// needs a FENCE.I (unprivileged ISA, "Zifencei" chapter).

#pragma once

#include <stddef.h>

namespace zuki::boot {

void sync_instruction_cache(const void *start, size_t size);

} // namespace zuki::boot
