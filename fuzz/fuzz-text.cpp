// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Command-line text: utf8_to_utf16 (counting and writing agree, a short buffer gets a prefix and
// nothing past it, the result matches a decoder written from Unicode's table of well-formed
// sequences), is_valid_utf8 (agrees with that decoder) and mangle_command_line (never grows, leaves no control characters and no leading
// or trailing space, keeps every other character, is idempotent).
//
// Input: UTF-8 text; its bytes are also taken as UTF-16 units for mangle_command_line.

#include <cstring>
#include <vector>

#include "fuzz-common.hpp"
#include "text.hpp"

using namespace zuki;

namespace {

// The Unicode Standard, Table 3-7 "Well-Formed UTF-8 Byte Sequences"; anything else yields one
// U+FFFD for its first byte and decoding resumes at the next byte.
std::vector<char16_t> reference_decode(const uint8_t *p, size_t n, bool *valid = nullptr) {
        std::vector<char16_t> out;
        if (valid)
                *valid = true;
        size_t i = 0;
        auto in = [&](size_t k, uint8_t lo, uint8_t hi) { return i + k < n && p[i + k] >= lo && p[i + k] <= hi; };
        while (i < n) {
                uint8_t b = p[i];
                size_t len = 0;
                if (b <= 0x7f)
                        len = 1;
                else if (b >= 0xc2 && b <= 0xdf && in(1, 0x80, 0xbf))
                        len = 2;
                else if (b == 0xe0 && in(1, 0xa0, 0xbf) && in(2, 0x80, 0xbf))
                        len = 3;
                else if (((b >= 0xe1 && b <= 0xec) || b == 0xee || b == 0xef) && in(1, 0x80, 0xbf) && in(2, 0x80, 0xbf))
                        len = 3;
                else if (b == 0xed && in(1, 0x80, 0x9f) && in(2, 0x80, 0xbf))
                        len = 3;
                else if (b == 0xf0 && in(1, 0x90, 0xbf) && in(2, 0x80, 0xbf) && in(3, 0x80, 0xbf))
                        len = 4;
                else if (b >= 0xf1 && b <= 0xf3 && in(1, 0x80, 0xbf) && in(2, 0x80, 0xbf) && in(3, 0x80, 0xbf))
                        len = 4;
                else if (b == 0xf4 && in(1, 0x80, 0x8f) && in(2, 0x80, 0xbf) && in(3, 0x80, 0xbf))
                        len = 4;
                if (len == 0) {
                        if (valid)
                                *valid = false;
                        out.push_back(0xfffd);
                        i++;
                        continue;
                }
                uint32_t cp = len == 1 ? b : len == 2 ? b & 0x1f : len == 3 ? b & 0x0f : b & 0x07;
                for (size_t k = 1; k < len; k++)
                        cp = cp << 6 | (p[i + k] & 0x3f);
                if (cp >= 0x10000) {
                        out.push_back((char16_t) (0xd800 + ((cp - 0x10000) >> 10)));
                        out.push_back((char16_t) (0xdc00 + ((cp - 0x10000) & 0x3ff)));
                } else {
                        out.push_back((char16_t) cp);
                }
                i += len;
        }
        return out;
}

void check_utf8(const uint8_t *data, size_t size, size_t cut) {
        Bytes in(data, size);
        size_t n = text::utf8_to_utf16(in, Span<char16_t>());
        FUZZ_CHECK(n <= size, "%zu units from %zu bytes", n, size);

        // Exactly n units, in a heap block of that size (AddressSanitizer checks the bound).
        char16_t *full = (char16_t *) malloc((n ? n : 1) * sizeof(char16_t));
        FUZZ_CHECK(text::utf8_to_utf16(in, Span<char16_t>(full, n)) == n);
        bool valid;
        std::vector<char16_t> ref = reference_decode(data, size, &valid);
        FUZZ_CHECK(ref.size() == n && fuzz::same(ref.data(), full, n * sizeof(char16_t)),
                   "differs from the reference decoder");
        FUZZ_CHECK(text::is_valid_utf8(in) == valid, "is_valid_utf8 says %d", !valid);

        // Well-formed UTF-16: surrogates only in high-low pairs.
        for (size_t i = 0; i < n; i++) {
                if (full[i] >= 0xd800 && full[i] <= 0xdbff) {
                        FUZZ_CHECK(i + 1 < n && full[i + 1] >= 0xdc00 && full[i + 1] <= 0xdfff);
                        i++;
                } else {
                        FUZZ_CHECK(full[i] < 0xdc00 || full[i] > 0xdfff, "lone low surrogate");
                }
        }

        // A short buffer receives the prefix and nothing more; the count stays the same.
        size_t k = n ? cut % (n + 1) : 0;
        char16_t *part = (char16_t *) malloc((k + 4) * sizeof(char16_t));
        for (size_t i = 0; i < k + 4; i++)
                part[i] = 0xbeef;
        FUZZ_CHECK(text::utf8_to_utf16(in, Span<char16_t>(part, k)) == n);
        FUZZ_CHECK(fuzz::same(part, full, k * sizeof(char16_t)));
        for (size_t i = k; i < k + 4; i++)
                FUZZ_CHECK(part[i] == 0xbeef, "wrote past a %zu-unit buffer", k);
        free(part);

        free(full);
}

bool blank(char16_t c) { return c <= 0x20 || c == 0x7f; }

void check_mangle(const char16_t *units, size_t n) {
        char16_t *s = (char16_t *) malloc((n ? n : 1) * sizeof(char16_t));
        if (n)
                memcpy(s, units, n * sizeof(char16_t));
        size_t m = text::mangle_command_line(Span<char16_t>(s, n));
        FUZZ_CHECK(m <= n, "grew from %zu to %zu", n, m);
        if (m) {
                FUZZ_CHECK(s[0] != u' ' && s[m - 1] != u' ', "leading or trailing space");
        }
        for (size_t i = 0; i < m; i++)
                FUZZ_CHECK(s[i] == u' ' || !blank(s[i]), "control character 0x%x at %zu", s[i], i);

        // The non-blank characters are kept in order; each inner blank became one space.
        std::vector<char16_t> expect;
        size_t first = 0, last = n;
        while (first < n && blank(units[first]))
                first++;
        while (last > first && blank(units[last - 1]))
                last--;
        for (size_t i = first; i < last; i++)
                expect.push_back(blank(units[i]) ? u' ' : units[i]);
        FUZZ_CHECK(expect.size() == m && fuzz::same(expect.data(), s, m * sizeof(char16_t)),
                   "mangled text differs from the model");

        size_t again = text::mangle_command_line(Span<char16_t>(s, m));
        FUZZ_CHECK(again == m && fuzz::same(expect.data(), s, m * sizeof(char16_t)), "not idempotent");
        free(s);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t cut = size ? data[size - 1] * 7u + size / 3 : 0;
        check_utf8(data, size, cut);

        std::vector<char16_t> decoded = reference_decode(data, size);
        check_mangle(decoded.data(), decoded.size());

        std::vector<char16_t> raw(size / 2);
        if (!raw.empty())
                memcpy(raw.data(), data, raw.size() * 2);
        check_mangle(raw.data(), raw.size());
        return 0;
}
