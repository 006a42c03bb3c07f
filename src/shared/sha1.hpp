// SPDX-License-Identifier: LGPL-2.1-or-later
//
// SHA-1 (FIPS 180-4), incremental, no allocation: only for CHIDs (name-based UUIDs, chid.hpp),
// which are defined over SHA-1. Not for anything that needs collision resistance.

#pragma once

#include "base.hpp"

namespace zuki {

class Sha1 {
public:
        static constexpr size_t kDigestSize = 20;

        Sha1();
        void update(const void *data, size_t size);
        void finish(uint8_t (&digest)[kDigestSize]);

private:
        void compress(const uint8_t *block);

        uint32_t state_[5];
        uint8_t buffer_[64];
        size_t buffered_ = 0;
        uint64_t total_ = 0;
};

} // namespace zuki
