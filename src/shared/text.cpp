// SPDX-License-Identifier: LGPL-2.1-or-later

#include "text.hpp"

namespace zuki::text {

size_t utf8_to_utf16(Bytes in, Span<char16_t> out) {
        size_t n = 0;
        auto emit = [&](char16_t c) {
                if (n < out.size())
                        out[n] = c;
                n++;
        };
        size_t i = 0;
        while (i < in.size()) {
                uint8_t b = in[i];
                uint32_t cp;
                size_t len;
                if (b < 0x80) {
                        cp = b;
                        len = 1;
                } else if ((b & 0xe0) == 0xc0) {
                        cp = b & 0x1f;
                        len = 2;
                } else if ((b & 0xf0) == 0xe0) {
                        cp = b & 0x0f;
                        len = 3;
                } else if ((b & 0xf8) == 0xf0) {
                        cp = b & 0x07;
                        len = 4;
                } else {
                        emit(0xfffd);
                        i++;
                        continue;
                }
                bool ok = i + len <= in.size();
                for (size_t k = 1; ok && k < len; k++) {
                        if ((in[i + k] & 0xc0) != 0x80)
                                ok = false;
                        else
                                cp = cp << 6 | (in[i + k] & 0x3f);
                }
                // Overlong forms, surrogates and values past U+10FFFF are invalid too.
                static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
                if (!ok || cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
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
        size_t i = 0;
        while (i < in.size()) {
                uint8_t b = in[i];
                size_t len;
                uint32_t cp;
                if (b < 0x80) {
                        i++;
                        continue;
                } else if ((b & 0xe0) == 0xc0) {
                        len = 2;
                        cp = b & 0x1f;
                } else if ((b & 0xf0) == 0xe0) {
                        len = 3;
                        cp = b & 0x0f;
                } else if ((b & 0xf8) == 0xf0) {
                        len = 4;
                        cp = b & 0x07;
                } else {
                        return false;
                }
                if (in.size() - i < len)
                        return false;
                for (size_t k = 1; k < len; k++) {
                        if ((in[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (in[i + k] & 0x3f);
                }
                static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
                if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += len;
        }
        return true;
}

size_t mangle_command_line(Span<char16_t> s) {
        // Whitespace here is every control character, space and DEL.
        auto blank = [](char16_t c) { return c <= 0x20 || c == 0x7f; };
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
