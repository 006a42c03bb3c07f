// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Command-line text: the UKI's .cmdline is UTF-8, EFI load options and what the kernel's EFI
// stub reads are UTF-16. Conversions write into caller buffers and never fail on bad input:
// invalid UTF-8 becomes U+FFFD, as a lenient boot stub must.

#pragma once

#include "base.hpp"

namespace zuki::text {

// Decodes UTF-8 `in` into `out` (code points above U+FFFF become surrogate pairs) and returns the
// number of UTF-16 units the whole input needs; at most out.size() are written. No NUL is added.
size_t utf8_to_utf16(Bytes in, Span<char16_t> out);

// True when `in` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
bool is_valid_utf8(Bytes in);

// Whitespace in a command line, as systemd-stub counts it: every control character, space and DEL.
constexpr bool is_command_line_space(char16_t c) { return c <= 0x20 || c == 0x7f; }

// Makes a command line safe to hand on, as systemd-stub does: leading and trailing whitespace
// (control characters, space, DEL) is dropped and inner whitespace becomes plain spaces. Works in
// place from the start of `s` (which needs no NUL) and returns the new length.
size_t mangle_command_line(Span<char16_t> s);

} // namespace zuki::text
