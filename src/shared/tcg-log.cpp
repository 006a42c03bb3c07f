// SPDX-License-Identifier: LGPL-2.1-or-later

#include "tcg-log.hpp"

namespace zuki::tcg {

namespace {

constexpr size_t kLegacyHeader = 4 + 4 + 20 + 4; // PCR, type, SHA-1 digest, event size
constexpr uint8_t kSpecIdSignature[16] = {'S', 'p', 'e', 'c', ' ', 'I', 'D', ' ',
                                          'E', 'v', 'e', 'n', 't', '0', '3', 0};
constexpr size_t kMaxEvent = 16u << 20; // no single event is larger

} // namespace

Result<size_t> legacy_event_size(Bytes log) {
        if (log.size() < kLegacyHeader)
                return Error::Truncated;
        uint32_t data = load_le32(log.data() + kLegacyHeader - 4);
        if (data > kMaxEvent || data > log.size() - kLegacyHeader)
                return Error::Truncated;
        return kLegacyHeader + (size_t) data;
}

Result<DigestSizes> spec_id_digests(Bytes log) {
        size_t total = ZUKI_TRY(legacy_event_size(log));
        Bytes ev(log.data() + kLegacyHeader, total - kLegacyHeader);
        // signature[16], platformClass u32, versions u8 x3, uintnSize u8, numberOfAlgorithms u32
        constexpr size_t kFixed = 16 + 4 + 4 + 4;
        if (ev.size() < kFixed || !bytes_equal(ev.data(), kSpecIdSignature, sizeof(kSpecIdSignature)))
                return Error::BadTcgLog;
        uint32_t n = load_le32(ev.data() + 24);
        if (n == 0 || n > kMaxAlgorithms || ev.size() - kFixed < (size_t) n * 4)
                return Error::BadTcgLog;
        DigestSizes d;
        for (uint32_t i = 0; i < n; i++) {
                d.algorithm[i] = load_le16(ev.data() + kFixed + 4 * i);
                d.size[i] = load_le16(ev.data() + kFixed + 4 * i + 2);
                if (d.size[i] == 0 || d.size[i] > 128)
                        return Error::BadTcgLog;
        }
        d.count = n;
        return d;
}

Bytes Event2::digest_of(uint16_t alg) const {
        for (size_t i = 0; i < digest_count; i++)
                if (algorithm[i] == alg)
                        return digest[i];
        return Bytes();
}

Result<Event2> parse_event2(Bytes at, const DigestSizes &digests) {
        size_t pos = 4 + 4 + 4; // PCR, type, digest count
        if (at.size() < pos)
                return Error::Truncated;
        Event2 e;
        e.pcr = load_le32(at.data());
        e.type = load_le32(at.data() + 4);
        uint32_t count = load_le32(at.data() + 8);
        if (count == 0 || count > kMaxAlgorithms)
                return Error::BadTcgLog;
        for (uint32_t i = 0; i < count; i++) {
                if (at.size() - pos < 2)
                        return Error::Truncated;
                uint16_t alg = load_le16(at.data() + pos);
                size_t k = 0;
                while (k < digests.count && digests.algorithm[k] != alg)
                        k++;
                if (k == digests.count)
                        return Error::BadTcgLog; // an algorithm the Spec ID event did not list
                pos += 2;
                if (at.size() - pos < digests.size[k])
                        return Error::Truncated;
                e.algorithm[i] = alg;
                e.digest[i] = Bytes(at.data() + pos, digests.size[k]);
                pos += digests.size[k];
        }
        e.digest_count = count;
        if (at.size() - pos < 4)
                return Error::Truncated;
        uint32_t data = load_le32(at.data() + pos);
        pos += 4;
        if (data > kMaxEvent || data > at.size() - pos)
                return Error::Truncated;
        e.data = Bytes(at.data() + pos, data);
        e.size = pos + data;
        return e;
}

Result<size_t> event2_size(Bytes at, const DigestSizes &digests) {
        Event2 e = ZUKI_TRY(parse_event2(at, digests));
        return e.size;
}

Result<size_t> events2_size(Bytes events, uint64_t count, const DigestSizes &digests) {
        size_t pos = 0;
        for (uint64_t i = 0; i < count; i++) {
                size_t n = ZUKI_TRY(event2_size(Bytes(events.data() + pos, events.size() - pos), digests));
                pos += n;
        }
        return pos;
}

} // namespace zuki::tcg
