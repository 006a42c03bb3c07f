// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What the stub measures for a UKI boot, predicted from the UKI's bytes. `zuki status` and
// `check-unlock` ask only these two functions; both run the shared boot model (boot-prediction.hpp).

#pragma once

#include <optional>
#include <string>
#include <vector>

#include "event-log.hpp"
#include "measure.hpp"

namespace zuki {

struct PredictedBoot;

// The PCR 11 events of a predicted boot (the sections it measures); the plan points into the
// UKI's bytes, not into `boot`.
measure::Plan pcr11_plan(const PredictedBoot &boot);

// The events the stub logs into PCRs 11 and 12 when it boots `profile` of `uki` with `cmdline`
// (UTF-16 with its NUL) measured as a load-options override, or none.
std::vector<StubEvent> expected_events(Bytes uki, uint32_t profile, const std::optional<std::u16string> &cmdline,
                                       const std::string &what);

} // namespace zuki
