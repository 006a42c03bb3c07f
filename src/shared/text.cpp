// SPDX-License-Identifier: LGPL-2.1-or-later

#include "text.hpp"

namespace zuki::text {

namespace {

// Decodes the sequence at in[i]: true with its code point and length when it is well-formed
// UTF-8 (no overlong forms, surrogates or values past U+10FFFF), false otherwise.
bool decode(Bytes in, size_t i, uint32_t *cp, size_t *len) {
        uint8_t b = in[i];
        if (b < 0x80) {
                *cp = b;
                *len = 1;
                return true;
        }
        if ((b & 0xe0) == 0xc0) {
                *cp = b & 0x1f;
                *len = 2;
        } else if ((b & 0xf0) == 0xe0) {
                *cp = b & 0x0f;
                *len = 3;
        } else if ((b & 0xf8) == 0xf0) {
                *cp = b & 0x07;
                *len = 4;
        } else {
                return false;
        }
        if (in.size() - i < *len)
                return false;
        for (size_t k = 1; k < *len; k++) {
                if ((in[i + k] & 0xc0) != 0x80)
                        return false;
                *cp = *cp << 6 | (in[i + k] & 0x3f);
        }
        static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
        return *cp >= kMin[*len] && *cp <= 0x10ffff && !(*cp >= 0xd800 && *cp <= 0xdfff);
}

} // namespace

size_t utf8_to_utf16(Bytes in, Span<char16_t> out) {
        size_t n = 0;
        auto emit = [&](char16_t c) {
                if (n < out.size())
                        out[n] = c;
                n++;
        };
        size_t i = 0;
        while (i < in.size()) {
                uint32_t cp;
                size_t len;
                if (!decode(in, i, &cp, &len)) {
                        // One replacement per byte that does not start a valid sequence.
                        emit(0xfffd);
                        i++;
                        continue;
                }
                if (cp >= 0x10000) {
                        cp -= 0x10000;
                        emit((char16_t) (0xd800 | (cp >> 10)));
                        emit((char16_t) (0xdc00 | (cp & 0x3ff)));
                } else {
                        emit((char16_t) cp);
                }
                i += len;
        }
        return n;
}

bool is_valid_utf8(Bytes in) {
        uint32_t cp;
        size_t len;
        for (size_t i = 0; i < in.size(); i += len)
                if (!decode(in, i, &cp, &len))
                        return false;
        return true;
}

size_t mangle_command_line(Span<char16_t> s) {
        auto blank = is_command_line_space;
        size_t in = 0, out = 0, end = 0;
        while (in < s.size() && blank(s[in]))
                in++;
        for (; in < s.size(); in++) {
                if (blank(s[in])) {
                        s[out++] = u' ';
                } else {
                        s[out++] = s[in];
                        end = out;
                }
        }
        return end;
}

} // namespace zuki::text
