// SPDX-License-Identifier: LGPL-2.1-or-later

#include "sha1.hpp"

namespace zuki {

namespace {

constexpr uint32_t rotl(uint32_t x, unsigned n) { return (x << n) | (x >> (32 - n)); }

} // namespace

Sha1::Sha1() : state_{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0}, buffer_{} {}

// FIPS 180-4 6.1.2.
void Sha1::compress(const uint8_t *block) {
        uint32_t w[80];
        for (int t = 0; t < 16; t++)
                w[t] = load_be32(block + 4 * t);
        for (int t = 16; t < 80; t++)
                w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
        uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3], e = state_[4];
        for (int t = 0; t < 80; t++) {
                uint32_t f, k;
                if (t < 20) {
                        f = (b & c) | (~b & d);
                        k = 0x5a827999;
                } else if (t < 40) {
                        f = b ^ c ^ d;
                        k = 0x6ed9eba1;
                } else if (t < 60) {
                        f = (b & c) | (b & d) | (c & d);
                        k = 0x8f1bbcdc;
                } else {
                        f = b ^ c ^ d;
                        k = 0xca62c1d6;
                }
                uint32_t tmp = rotl(a, 5) + f + e + k + w[t];
                e = d;
                d = c;
                c = rotl(b, 30);
                b = a;
                a = tmp;
        }
        state_[0] += a;
        state_[1] += b;
        state_[2] += c;
        state_[3] += d;
        state_[4] += e;
}

void Sha1::update(const void *data, size_t size) {
        const uint8_t *p = static_cast<const uint8_t *>(data);
        total_ += size;
        while (size > 0) {
                size_t n = 64 - buffered_;
                if (n > size)
                        n = size;
                for (size_t i = 0; i < n; i++)
                        buffer_[buffered_ + i] = p[i];
                buffered_ += n;
                p += n;
                size -= n;
                if (buffered_ == 64) {
                        compress(buffer_);
                        buffered_ = 0;
                }
        }
}

void Sha1::finish(uint8_t (&digest)[kDigestSize]) {
        uint64_t bits = total_ * 8;
        uint8_t pad = 0x80;
        update(&pad, 1);
        uint8_t zero = 0;
        while (buffered_ != 56)
                update(&zero, 1);
        uint8_t length[8];
        for (int i = 0; i < 8; i++)
                length[i] = (uint8_t) (bits >> (56 - 8 * i));
        update(length, 8);
        for (int i = 0; i < 5; i++)
                store_be32(digest + 4 * i, state_[i]);
}

} // namespace zuki
