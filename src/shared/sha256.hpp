// SPDX-License-Identifier: LGPL-2.1-or-later
//
// SHA-256 (FIPS 180-4), incremental, no allocation: the stub hashes with it where no TPM is
// involved (the random seed and the boot secret, whose recipes systemd-stub fixes).

#pragma once

#include "base.hpp"

namespace zuki {

class Sha256 {
public:
        static constexpr size_t kDigestSize = 32;
        static constexpr size_t kBlockSize = 64;

        Sha256() { reset(); }
        ~Sha256() { wipe(); }
        Sha256(const Sha256 &) = delete;
        Sha256 &operator=(const Sha256 &) = delete;

        void reset();
        void update(Bytes data);
        void update(const void *data, size_t size) { update(Bytes(static_cast<const uint8_t *>(data), size)); }
        // Writes the digest and leaves the object reset.
        void finish(uint8_t (&digest)[kDigestSize]);

        static void digest(Bytes data, uint8_t (&out)[kDigestSize]);

private:
        void compress(const uint8_t *block);
        void wipe();

        uint32_t state_[8];
        uint8_t buffer_[kBlockSize];
        size_t buffered_ = 0;
        uint64_t total_ = 0;
};

// Overwrites `n` bytes in a way the compiler may not drop (secrets on the stack).
void wipe_secret(void *p, size_t n);

} // namespace zuki
