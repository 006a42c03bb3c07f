// SPDX-License-Identifier: LGPL-2.1-or-later

#include "branch-filter.hpp"

namespace zuki::branch_filter {

namespace {

constexpr uint32_t kMask25 = 0x01ffffff;

// A displacement or a converted target: only fields with a top byte of 0x00 or 0xff take part.
constexpr bool near(uint32_t v) {
        uint32_t top = v >> 24;
        return top == 0x00 || top == 0xff;
}

constexpr uint32_t sign_extend25(uint32_t v) {
        v &= kMask25;
        return (v & 0x01000000) ? (v | ~kMask25) : v;
}

// The first index in [i, end) that may hold E8 or E9 (end if none): eight bytes at a time, as
// most code bytes are neither.
size_t next_candidate(const uint8_t *p, size_t i, size_t end) {
        constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
        while (i + 8 <= end) {
                // A byte b has (b & 0xfe) == 0xe8 iff ((b ^ 0xe8) & 0xfe) == 0: find a zero byte.
                uint64_t x = (load_le64(p + i) ^ (0xe8 * kOnes)) & (0xfe * kOnes);
                if ((x - kOnes) & ~x & kHighs)
                        break;
                i += 8;
        }
        while (i < end && (p[i] & 0xfe) != 0xe8)
                i++;
        return i;
}

template <bool kEncode>
size_t walk(MutableBytes data, uint64_t position) {
        size_t converted = 0;
        uint8_t *p = data.data();
        size_t n = data.size();
        size_t i = 0;
        while (n >= 5 && i <= n - 5) {
                if ((p[i] & 0xfe) != 0xe8) { // E8 CALL or E9 JMP
                        i = next_candidate(p, i + 1, n - 4);
                        continue;
                }
                // The four bytes after the opcode are consumed whether they are converted or
                // not: were a rejected field's bytes open to a later conversion, the decoder
                // would see them changed and could decide differently than the encoder did.
                uint32_t v = load_le32(p + i + 1);
                if (near(v)) {
                        // The instruction ends at i + 5: x86 displacements count from there.
                        uint32_t end = (uint32_t) (position + i + 5);
                        store_le32(p + i + 1, sign_extend25(kEncode ? v + end : v - end));
                        converted++;
                }
                i += 5;
        }
        return converted;
}

} // namespace

size_t x86_encode(MutableBytes data, uint64_t position) { return walk<true>(data, position); }
size_t x86_decode(MutableBytes data, uint64_t position) { return walk<false>(data, position); }

} // namespace zuki::branch_filter
