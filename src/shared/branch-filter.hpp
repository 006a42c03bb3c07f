// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A reversible branch filter for x86 code before zstd: the 32-bit displacement of every near CALL
// (E8) and JMP (E9) whose displacement reaches no further than ±16 MiB becomes the target's
// position in the flat image, so calls to one function from many places repeat the same four
// bytes and compress. The idea is the BCJ filter of xz/LZMA; this mapping is zuki's own: a
// converted field is the 25-bit target, sign-extended, so it again has a top byte of 0x00 or
// 0xff, and a field whose top byte is neither is left as it is on both sides. The decoder walks
// the bytes exactly as the encoder did, so decode(encode(x)) == x for any input (see
// docs/formats.md, "x86 direct payload"). `position` is where data[0] sits in the flat image:
// targets are relative to it.

#pragma once

#include "base.hpp"

namespace zuki::branch_filter {

// Both return how many fields they converted.
size_t x86_encode(MutableBytes data, uint64_t position);
size_t x86_decode(MutableBytes data, uint64_t position);

} // namespace zuki::branch_filter
