// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Sizing TPM event logs as the firmware hands them out (TCG PC Client Platform Firmware Profile,
// 10.2 "Event Log Structures"), so the stub can copy the log into the table Linux reads
// (LINUX_EFI_TPM_EVENT_LOG) when the kernel's EFI stub, which normally does that, does not run.
// zuki status reads the log Linux exports with the same parser (src/zuki/event-log).
//
// A crypto-agile log starts with a TCG_PCClientPCREvent (SHA-1 format) whose data is the
// "Spec ID Event03" structure listing the digest size of every algorithm; every later event is a
// TCG_PCR_EVENT2: PCR index, type, a count of (algorithm, digest) pairs, the event size and data.

#pragma once

#include "base.hpp"

namespace zuki::tcg {

inline constexpr size_t kMaxAlgorithms = 8;

struct DigestSizes {
        uint16_t algorithm[kMaxAlgorithms] = {};
        uint16_t size[kMaxAlgorithms] = {};
        size_t count = 0;
};

// The size of a SHA-1 format event (TCG_PCClientPCREvent) at the start of `log`.
Result<size_t> legacy_event_size(Bytes log);

// The digest sizes from the Spec ID event at the start of a crypto-agile log.
Result<DigestSizes> spec_id_digests(Bytes log);

// Algorithm identifiers from the TCG Algorithm Registry.
inline constexpr uint16_t kAlgSha1 = 0x0004;
inline constexpr uint16_t kAlgSha256 = 0x000b;
inline constexpr uint16_t kAlgSha384 = 0x000c;
inline constexpr uint16_t kAlgSha512 = 0x000d;

// One TCG_PCR_EVENT2, as views into the log: only parse_event2 hands these out, after checking
// every length against the bytes that are there.
struct Event2 {
        uint32_t pcr = 0;
        uint32_t type = 0;
        size_t digest_count = 0;
        uint16_t algorithm[kMaxAlgorithms] = {};
        Bytes digest[kMaxAlgorithms] = {};
        Bytes data;       // the event data (for EV_IPL from a stub: the UTF-16 description)
        size_t size = 0;  // the whole event, header included

        // The digest of `alg`, or an empty view when the event has none.
        Bytes digest_of(uint16_t alg) const;
};

// The TCG_PCR_EVENT2 at the start of `at`.
Result<Event2> parse_event2(Bytes at, const DigestSizes &digests);

// The size of the TCG_PCR_EVENT2 at the start of `at`.
Result<size_t> event2_size(Bytes at, const DigestSizes &digests);

// The bytes of `count` consecutive TCG_PCR_EVENT2s at the start of `events`.
Result<size_t> events2_size(Bytes events, uint64_t count, const DigestSizes &digests);

} // namespace zuki::tcg
