// SPDX-License-Identifier: LGPL-2.1-or-later

#include "sha256.hpp"

namespace zuki {

namespace {

// FIPS 180-4 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64
// primes.
constexpr uint32_t kRound[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

// FIPS 180-4 5.3.3: the initial hash value.
constexpr uint32_t kInitial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

constexpr uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

} // namespace

void wipe_secret(void *p, size_t n) {
        volatile uint8_t *v = static_cast<volatile uint8_t *>(p);
        for (size_t i = 0; i < n; i++)
                v[i] = 0;
}

void Sha256::reset() {
        for (size_t i = 0; i < 8; i++)
                state_[i] = kInitial[i];
        buffered_ = 0;
        total_ = 0;
}

void Sha256::wipe() {
        wipe_secret(state_, sizeof(state_));
        wipe_secret(buffer_, sizeof(buffer_));
}

// FIPS 180-4 6.2.2: one 512-bit block.
void Sha256::compress(const uint8_t *block) {
        uint32_t w[64];
        for (size_t t = 0; t < 16; t++)
                w[t] = load_be32(block + 4 * t);
        for (size_t t = 16; t < 64; t++) {
                uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
                uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
                w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
        uint32_t e = state_[4], f = state_[5], g = state_[6], h = state_[7];
        for (size_t t = 0; t < 64; t++) {
                uint32_t sum1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
                uint32_t choose = (e & f) ^ (~e & g);
                uint32_t t1 = h + sum1 + choose + kRound[t] + w[t];
                uint32_t sum0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
                uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
                uint32_t t2 = sum0 + majority;
                h = g;
                g = f;
                f = e;
                e = d + t1;
                d = c;
                c = b;
                b = a;
                a = t1 + t2;
        }
        state_[0] += a;
        state_[1] += b;
        state_[2] += c;
        state_[3] += d;
        state_[4] += e;
        state_[5] += f;
        state_[6] += g;
        state_[7] += h;
        wipe_secret(w, sizeof(w));
}

void Sha256::update(Bytes data) {
        const uint8_t *p = data.data();
        size_t n = data.size();
        total_ += n;
        if (buffered_) {
                size_t take = kBlockSize - buffered_ < n ? kBlockSize - buffered_ : n;
                __builtin_memcpy(buffer_ + buffered_, p, take);
                buffered_ += take;
                p += take;
                n -= take;
                if (buffered_ < kBlockSize)
                        return;
                compress(buffer_);
                buffered_ = 0;
        }
        for (; n >= kBlockSize; p += kBlockSize, n -= kBlockSize)
                compress(p);
        if (n)
                __builtin_memcpy(buffer_, p, n);
        buffered_ = n;
}

// FIPS 180-4 5.1.1: a 1 bit, zeros, and the message length in bits as a big-endian 64-bit word.
void Sha256::finish(uint8_t (&digest)[kDigestSize]) {
        uint64_t bits = total_ * 8;
        uint8_t pad[kBlockSize + 8] = {0x80};
        size_t pad_len = (buffered_ < 56 ? 56 : 120) - buffered_;
        for (size_t i = 0; i < 8; i++)
                pad[pad_len + i] = (uint8_t) (bits >> (56 - 8 * i));
        update(pad, pad_len + 8);
        for (size_t i = 0; i < 8; i++)
                store_be32(digest + 4 * i, state_[i]);
        wipe();
        reset();
}

void Sha256::digest(Bytes data, uint8_t (&out)[kDigestSize]) {
        Sha256 h;
        h.update(data);
        h.finish(out);
}

} // namespace zuki
