// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The firmware's TPM event log as Linux exports it (/sys/kernel/security/tpm0/
// binary_bios_measurements): a crypto-agile log (TCG PC Client Platform Firmware Profile 10.2),
// parsed with the shared, bounds-checked reader in src/shared/tcg-log, replayed in software and
// compared event by event with what the measurement plan says the stub should have logged.

#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "file-io.hpp"

namespace zuki {

inline constexpr size_t kPcrCount = 24;

// One event of the log, with its SHA-256 digest (empty when the log has no SHA-256 bank).
struct LoggedEvent {
        size_t index = 0;   // 0 is the Spec ID event; the first TCG_PCR_EVENT2 is 1
        size_t offset = 0;  // in the log file
        uint32_t pcr = 0;
        uint32_t type = 0;
        Buffer sha256;
        Buffer data;
};

struct EventLog {
        std::vector<LoggedEvent> events;
        uint8_t startup_locality = 0;  // from a "StartupLocality" EV_NO_ACTION event (PFP 10.4.5.3)
};

// Parses a crypto-agile log; throws Failure naming `what` and the offset of the bad event.
EventLog parse_event_log(Bytes log, const std::string &what);

// PCRs 0-23 of the SHA-256 bank as the log says they were extended; PCRs without events keep
// their reset value. EV_NO_ACTION events are not extended (PFP 10.4.1).
std::array<Buffer, kPcrCount> replay_sha256(const EventLog &log);

// "EV_IPL", "EV_EVENT_TAG", … or "0x…" for types zuki does not name.
std::string event_type_name(uint32_t type);

// An event as the stub describes it: PCR, type, UTF-8 description and the SHA-256 digest. The
// same shape for what the log holds and for what the measurement plan predicts, so they compare.
struct StubEvent {
        uint32_t pcr = 0;
        uint32_t type = 0;
        std::string description;
        Buffer sha256;
        size_t log_index = 0;  // for events taken from the log
};

// The events of `pcrs` in `log` the stub logged, with the descriptions it writes (EV_IPL: UTF-16
// text; EV_EVENT_TAG: a TCG_PCClientTaggedEvent around UTF-16 text). PCR 12 EV_IPL events before
// the first PCR 11 event are a boot loader's (systemd-boot < 255 measures the options it passes)
// and left out.
std::vector<StubEvent> stub_events(const EventLog &log, std::initializer_list<uint32_t> pcrs);

// Where the logged events for one PCR first part from the expected ones (nullopt: they agree).
struct EventMismatch {
        uint32_t pcr = 0;
        size_t position = 0;                 // among this PCR's events
        std::optional<StubEvent> expected;   // absent: the log has an event too many
        std::optional<StubEvent> found;      // absent: the log lacks an expected event
};

// Compares PCR by PCR in ascending order, in log order within a PCR: type, description, digest.
std::optional<EventMismatch> first_mismatch(const std::vector<StubEvent> &expected, const std::vector<StubEvent> &found);

// UTF-16LE with an optional terminating NUL -> UTF-8; nullopt for odd lengths, inner NULs or
// unpaired surrogates.
std::optional<std::string> utf16_to_utf8(Bytes b);

} // namespace zuki
